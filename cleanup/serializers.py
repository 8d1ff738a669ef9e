"""Shapes of the cleanup API. Serializers check shape and ranges; they never write."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cleanup.models import CleanupAuditEntry, CleanupReport
from cleanup.policy import LIFECYCLE_FIELDS, RANGES, RATIO_MAX, RATIO_MIN_EXCLUSIVE
from core.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictFloatField,
    StrictIntegerField,
    StrictRegexField,
)
from tenants.models import CleanupPolicy
from tenants.schedule import describe, validate_cron, validate_timezone


class ReportSerializer(serializers.ModelSerializer):
    action = serializers.ChoiceField(choices=CleanupPolicy.Action.choices, read_only=True)

    class Meta:
        model = CleanupReport
        fields = [
            "id",
            "status",
            "trigger",
            "triggered_by",
            "dry_run",
            "action",
            "created_at",
            "started_at",
            "finished_at",
            "users_eligible",
            "users_matched",
            "users_warned",
            "users_deactivated",
            "users_deleted",
            "users_removed",
            "progress",
            "error",
            "policy",
            "approved_by",
            "approved_at",
        ]
        read_only_fields = fields


# Built once: DRF rebuilds a ModelSerializer's fields for every instance, which costs
# more than the query behind the hottest endpoint (`reports/latest/`, polled by the UI).
_report_fields = ReportSerializer()


def report_data(report: CleanupReport) -> dict[str, Any]:
    """`ReportSerializer(report).data`, with the serializer's fields built only once."""
    return dict(_report_fields.to_representation(report))


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = CleanupAuditEntry
        fields = [
            "user_id",
            "username",
            "email",
            "last_login",
            "last_seen",
            "date_joined",
            "reason",
            "action",
            "noticed_at",
            "restored_at",
            "restored_by",
        ]
        read_only_fields = fields


def _validator(check: Any) -> Any:
    def run(value: str) -> None:
        try:
            check(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    return run


@extend_schema_field(
    {
        "type": "number",
        "minimum": RATIO_MIN_EXCLUSIVE,
        "exclusiveMinimum": True,
        "maximum": RATIO_MAX,
    }
)
class RatioField(StrictFloatField):
    """A share in (0, 1]."""

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not RATIO_MIN_EXCLUSIVE < value <= RATIO_MAX:
            raise serializers.ValidationError("Must be greater than 0 and at most 1.")
        return value


def _days(name: str, **kwargs: Any) -> StrictIntegerField:
    low, high = RANGES[name]
    return StrictIntegerField(min_value=low, max_value=high, **kwargs)


CRON_PATTERN = r"^[0-9A-Za-z*,/?#-]+( [0-9A-Za-z*,/?#-]+){4}$"


class PolicyFieldsSerializer(serializers.Serializer):
    """Every editable policy field with its shape and range (`cleanup.policy`). The rules
    between fields and the tenant's groups are the service's to check."""

    enabled = StrictBooleanField()
    inactive_days = _days("inactive_days")
    never_logged_in_days = _days("never_logged_in_days")
    action = serializers.ChoiceField(choices=CleanupPolicy.Action.choices)
    dry_run = StrictBooleanField()
    exempt_groups = serializers.ListField(
        child=StrictCharField(max_length=150), max_length=100, allow_empty=True
    )
    max_removal_ratio = RatioField()
    on_cap = serializers.ChoiceField(
        choices=CleanupPolicy.OnCap.choices,
        help_text="Over the safety cap: `ask` waits for a tenant admin's approval, `abort` "
        "ends the run.",
    )
    notice_days = _days(
        "notice_days",
        help_text="Days between a user's warning email and their removal; 0: no warning.",
    )
    delete_after_days = _days(
        "delete_after_days",
        allow_null=True,
        help_text='Only with action "deactivate": delete accounts a cleanup deactivated this '
        "many days ago and nobody reactivated. null: never.",
    )
    notify_admins = StrictBooleanField(
        help_text="Email the tenant's admins when a run waits for approval, fails or removes "
        "anyone.",
    )
    schedule = StrictRegexField(
        CRON_PATTERN,
        max_length=100,
        validators=[_validator(validate_cron)],
        error_messages={"invalid": "Enter a 5-field cron expression, e.g. '0 3 * * *'."},
    )
    timezone = StrictCharField(max_length=64, validators=[_validator(validate_timezone)])


class PolicyWriteSerializer(PolicyFieldsSerializer):
    """A PUT or PATCH of the policy. The lifecycle fields (§9) may be left out even of a PUT:
    they keep their value, so scripts that PUT the policy as it was before them keep working."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in LIFECYCLE_FIELDS:
            self.fields[name].required = False


class PolicySerializer(PolicyFieldsSerializer):
    next_run_at = serializers.DateTimeField(read_only=True, allow_null=True)
    schedule_description = serializers.SerializerMethodField()

    def get_schedule_description(self, policy: CleanupPolicy) -> str:
        return describe(policy.schedule)


class PreviewRequestSerializer(PolicyFieldsSerializer):
    """Any policy fields to try; the rest come from the saved policy."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class PreviewUserSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField(allow_blank=True)
    last_login = serializers.DateTimeField(allow_null=True)
    last_seen = serializers.DateTimeField(allow_null=True)
    date_joined = serializers.DateTimeField()
    reason = serializers.ChoiceField(choices=CleanupAuditEntry.Reason.choices)


class PreviewSerializer(serializers.Serializer):
    users_eligible = serializers.IntegerField()
    users_matched = serializers.IntegerField(
        help_text="Eligible users past the inactivity limits now."
    )
    users_to_warn = serializers.IntegerField(
        help_text="Users a run would send a notice now (due within notice_days)."
    )
    users_to_deactivate = serializers.IntegerField(
        help_text="Users a run would deactivate now: matched, and warned long enough ago "
        "(or without an email address)."
    )
    users_to_delete = serializers.IntegerField(
        help_text="Users a run would delete now: matched (action delete), or past the "
        "restore window."
    )
    would_abort = serializers.BooleanField(
        help_text="Over the safety cap: the run would remove nobody, and wait for approval "
        "or stop (on_cap)."
    )
    sample = PreviewUserSerializer(many=True)


class TriggerRequestSerializer(serializers.Serializer):
    dry_run = StrictBooleanField(required=False, allow_null=True, default=None)


class TriggerResponseSerializer(serializers.Serializer):
    report_id = serializers.IntegerField()
    task_id = serializers.CharField()
    status = serializers.CharField()


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    report_id = serializers.IntegerField(allow_null=True)
