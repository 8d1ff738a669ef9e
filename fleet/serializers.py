import unicodedata
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cleanup.models import CleanupReport
from core.fields import NewPasswordField, StrictBooleanField, StrictCharField, StrictEmailField
from fleet.selectors import TENANT_ORDERINGS, TENANT_STATUS_NEVER, TRIGGER_RUN_STATUSES
from tenants.models import Tenant
from tenants.services import DOMAIN_PATTERN, SCHEMA_NAME_PATTERN


class LastReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CleanupReport.Status.choices)
    finished_at = serializers.DateTimeField(allow_null=True)
    users_removed = serializers.IntegerField(
        allow_null=True,
        help_text="Users the run removed: 0 for a dry or aborted run, whatever it would have",
    )


class ActiveRunSerializer(serializers.Serializer):
    """The tenant's queued, running or awaiting-approval run, from the public registry. `id`
    is null while a queued run's task has not yet created its report."""

    id = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=CleanupReport.ACTIVE_STATUSES)
    since = serializers.DateTimeField(allow_null=True)


class TenantScheduleSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    schedule = serializers.CharField()
    timezone = serializers.CharField()
    next_run_at = serializers.DateTimeField(allow_null=True)


class TenantSerializer(serializers.ModelSerializer):
    domain = serializers.SerializerMethodField()
    schedule = serializers.SerializerMethodField()
    last_report = serializers.SerializerMethodField()
    active_run = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = [
            "schema_name",
            "name",
            "domain",
            "is_active",
            "created_at",
            "schedule",
            "last_report",
            "active_run",
        ]
        read_only_fields = fields

    def get_domain(self, tenant: Tenant) -> str | None:
        # `domains` is prefetched (primary only) by the selector: no query per tenant.
        domains = list(tenant.domains.all())
        return domains[0].domain if domains else None

    # The three nested objects are built as plain dicts: a nested serializer per row deep-
    # copies its fields each time, which was half of a page's time (the schema still
    # documents them through the serializers).

    @extend_schema_field(TenantScheduleSerializer(allow_null=True))
    def get_schedule(self, tenant: Tenant) -> dict[str, Any] | None:
        policy = getattr(tenant, "policy", None)
        if policy is None:
            return None
        return {
            "enabled": policy.enabled,
            "schedule": policy.schedule,
            "timezone": policy.timezone,
            "next_run_at": _datetime(policy.next_run_at),
        }

    @extend_schema_field(LastReportSerializer(allow_null=True))
    def get_last_report(self, tenant: Tenant) -> dict[str, Any] | None:
        policy = getattr(tenant, "policy", None)
        if policy is None or policy.last_report_id is None:
            return None
        return {
            "id": policy.last_report_id,
            "status": policy.last_report_status,
            "finished_at": _datetime(policy.last_report_finished_at),
            "users_removed": policy.last_report_users_removed,
        }

    @extend_schema_field(ActiveRunSerializer(allow_null=True))
    def get_active_run(self, tenant: Tenant) -> dict[str, Any] | None:
        policy = getattr(tenant, "policy", None)
        if policy is None or not policy.active_report_status:
            return None
        return {
            "id": policy.active_report_id,
            "status": policy.active_report_status,
            "since": _datetime(policy.active_report_since),
        }


_DATETIME = serializers.DateTimeField()


def _datetime(value: Any) -> str | None:
    """A datetime as every other field of the API writes it (DRF's format)."""
    return None if value is None else _DATETIME.to_representation(value)


# The longest thing a search can match: a domain name (253 characters).
TENANT_SEARCH_MAX_LENGTH = 253
# The summary on the policy row is of the last *finished* run: queued and running runs are
# never in it, so filtering on them could only ever answer an empty list.
TENANT_STATUSES = [
    *(s for s in CleanupReport.Status.values if s not in CleanupReport.ACTIVE_STATUSES),
    TENANT_STATUS_NEVER,
]


def _no_control_characters(value: str) -> None:
    # PostgreSQL refuses NUL in text, and no name, schema or domain holds any control character:
    # such a search is a mistake, not a query to run.
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise serializers.ValidationError("Must not contain control characters.")


class TenantListQuerySerializer(serializers.Serializer):
    """The operators' tenants list's query parameters. An empty value means the parameter is
    absent; a repeated one is refused rather than silently taking the last."""

    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=TENANT_SEARCH_MAX_LENGTH,
        validators=[_no_control_characters],
    )
    status = serializers.ChoiceField(choices=TENANT_STATUSES, required=False, allow_blank=True)
    ordering = serializers.ChoiceField(
        choices=list(TENANT_ORDERINGS), required=False, allow_blank=True
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        names: list[str] = list(self.fields)
        repeated = {
            name: ["Give this parameter once."]
            for name in names
            if hasattr(data, "getlist") and len(data.getlist(name)) > 1
        }
        if repeated:
            raise serializers.ValidationError(repeated)
        values = super().to_internal_value(data)
        return {name: value for name, value in values.items() if value}


class TenantAdminInputSerializer(serializers.Serializer):
    # Django's username rule (letters, digits and @ . + - _), as Django admin applies it.
    username = StrictCharField(max_length=150, validators=[UnicodeUsernameValidator()])
    email = StrictEmailField(max_length=254)  # the user table's column
    password = NewPasswordField(max_length=128)


class TenantCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100, control_characters=False)
    schema_name = StrictCharField(
        max_length=63,
        schema_pattern=SCHEMA_NAME_PATTERN,
        help_text="Lowercase letters, digits and '_', starting with a letter and ending with a "
        "letter or digit; not a reserved name (www, api, admin, static, media, mail, app, "
        "root, public, the template's) nor starting with pg_; not taken (a 400 if it is).",
    )
    domain = StrictCharField(
        max_length=253,
        required=False,
        allow_null=True,
        allow_blank=True,
        schema_pattern=DOMAIN_PATTERN,
        help_text="The tenant's host name, lowercase; its first label not a reserved name. "
        "Absent, null or empty: <schema name, '_' as '-'>.<BASE_DOMAIN>. Not taken (a 400 if "
        "it is).",
    )
    admin = TenantAdminInputSerializer()


class PlatformTriggerSerializer(serializers.Serializer):
    tenants = serializers.ListField(
        child=StrictCharField(max_length=63),
        required=False,
        allow_empty=False,
        min_length=1,
        max_length=1000,
        help_text="Schema names; absent: every active tenant. Unknown or suspended tenants "
        "are listed under `skipped`.",
    )
    dry_run = StrictBooleanField(required=False, allow_null=True, default=None)


class PlatformRunSerializer(serializers.Serializer):
    """A tenant whose run was queued. Its report is created by the run's task (so it has no
    id yet); the trigger's handle shows the id once it exists."""

    tenant = serializers.CharField()


class PlatformSkipSerializer(serializers.Serializer):
    tenant = serializers.CharField()
    reason = serializers.CharField()


class PlatformTriggerResponseSerializer(serializers.Serializer):
    trigger_id = serializers.IntegerField(
        help_text="Follow the runs at `GET /api/platform/triggers/{trigger_id}/`"
    )
    runs = PlatformRunSerializer(many=True)
    skipped = PlatformSkipSerializer(many=True)


class RunsByStatusSerializer(serializers.Serializer):
    """Runs that ended in the last 24 hours under their final status, and runs active now
    under theirs."""

    queued = serializers.IntegerField()
    running = serializers.IntegerField()
    awaiting_approval = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    aborted = serializers.IntegerField()


class NeedsAttentionSerializer(serializers.Serializer):
    tenant = serializers.CharField(help_text="The tenant's schema name")
    name = serializers.CharField()
    report_id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=[
            CleanupReport.Status.FAILED,
            CleanupReport.Status.ABORTED,
            CleanupReport.Status.AWAITING_APPROVAL,
        ]
    )
    finished_at = serializers.DateTimeField(allow_null=True, help_text="null while awaiting")


class FleetSummarySerializer(serializers.Serializer):
    tenants = serializers.IntegerField()
    active_tenants = serializers.IntegerField(help_text="Not suspended")
    runs_24h = RunsByStatusSerializer()
    users_removed_24h = serializers.IntegerField(
        help_text="Users really removed: dry and aborted runs count none"
    )
    users_removed_30d = serializers.IntegerField(
        help_text="Users really removed: dry and aborted runs count none"
    )
    needs_attention = NeedsAttentionSerializer(many=True)


class TriggerRunSerializer(serializers.Serializer):
    tenant = serializers.CharField(help_text="The tenant's schema name")
    report_id = serializers.IntegerField(
        allow_null=True, help_text="Null until the run's task has created its report"
    )
    status = serializers.ChoiceField(
        choices=TRIGGER_RUN_STATUSES,
        help_text="The report's status; `withdrawn`: the run will not happen (the tenant was "
        "suspended or deleted before it started) and made no report",
    )


class TriggerSerializer(serializers.Serializer):
    """A trigger-all and a page of its runs (`?page=N&page_size=M`, as every list)."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField()
    count = serializers.IntegerField(help_text="Runs the trigger queued")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TriggerRunSerializer(many=True)
