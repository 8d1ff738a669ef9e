"""Shapes of the cleanup API. Serializers check shape and ranges; they never write."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.activity import last_active
from cleanup.models import (
    CleanupAuditEntry,
    CleanupExemption,
    CleanupNotice,
    CleanupReport,
    CleanupTokenAuditEntry,
)
from cleanup.services.execution import UNDELIVERABLE_SAMPLE
from cleanup.services.oversight import report_can_answer, report_can_undo
from core.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictDateTimeField,
    StrictEmailField,
    StrictFloatField,
    StrictIntegerField,
    template_pattern,
)
from policy.models import CleanupPolicy
from policy.rules import (
    NOTICE_BODY_MAX_LENGTH,
    NOTICE_LANGUAGES,
    NOTICE_PLACEHOLDERS,
    NOTICE_SUBJECT_MAX_LENGTH,
    OPTIONAL_FIELDS,
    RANGES,
    RATIO_MAX,
    RATIO_MESSAGE,
    RATIO_MIN,
)
from policy.schedule import (
    CRON_MAX_LENGTH,
    CRON_PATTERN,
    describe,
    timezones,
    validate_cron,
    validate_timezone,
)

PLACEHOLDER_LIST = ", ".join(f"`{{{name}}}`" for name in NOTICE_PLACEHOLDERS)


class UndeliverableUserSerializer(serializers.Serializer):
    """A matched user whose address refused their notice."""

    user_id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    reason = serializers.CharField(help_text="The mail server's refusal of the notice.")


class ReportSerializer(serializers.ModelSerializer):
    action = serializers.ChoiceField(choices=CleanupPolicy.Action.choices, read_only=True)
    users_undeliverable = serializers.IntegerField(
        read_only=True,
        help_text="Matched users whose address refused their notice: held (not removed) with "
        "the policy's `on_undeliverable: hold`, removed without a notice with `proceed` "
        "(counted in users_deactivated / users_deleted too).",
    )
    undeliverable = serializers.ListField(
        child=UndeliverableUserSerializer(),
        read_only=True,
        max_length=UNDELIVERABLE_SAMPLE,
        help_text=f"The first {UNDELIVERABLE_SAMPLE} of users_undeliverable, by user id.",
    )
    counts_are_would = serializers.BooleanField(
        read_only=True,
        help_text="The counters say what the run would do, not what it did: a dry run, or a "
        "run that changed nobody — queued, awaiting approval, or aborted (over the safety "
        "cap, rejected, approval expired, tenant suspended). Such a run removed nobody.",
    )
    can_undo = serializers.SerializerMethodField(
        help_text="The caller may undo this run and it has something to reactivate: a "
        "tenant admin, and a finished run that really deactivated someone. False for an "
        "auditor, and in an operator's list of a tenant's runs."
    )
    can_approve = serializers.SerializerMethodField(
        help_text="The caller may approve or reject this run: a tenant admin, and the run "
        "awaits approval. False for an auditor, and in an operator's list of a tenant's "
        "runs."
    )

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
            "users_undeliverable",
            "undeliverable",
            "tokens_revoked",
            "counts_are_would",
            "progress",
            "error",
            "policy",
            "approved_by",
            "approved_at",
            "removal_limit",
            "can_undo",
            "can_approve",
        ]
        read_only_fields = fields

    def _may_change(self) -> bool:
        # Set by the tenant endpoints from the caller's role; absent (an operator's list of
        # a tenant's runs, any other use) it offers nothing.
        return bool(self.context.get("may_change"))

    def get_can_undo(self, report: CleanupReport) -> bool:
        return self._may_change() and report_can_undo(report)

    def get_can_approve(self, report: CleanupReport) -> bool:
        return self._may_change() and report_can_answer(report)


# Built once per answer to "may the caller change things": DRF rebuilds a ModelSerializer's
# fields for every instance, which costs more than the query behind the hottest endpoint
# (`reports/latest/`, polled by the UI).
_report_fields = {
    may_change: ReportSerializer(context={"may_change": may_change}) for may_change in (False, True)
}


def report_data(report: CleanupReport, *, may_change: bool) -> dict[str, Any]:
    """`ReportSerializer(report).data` for a caller who may (a tenant admin) or may not
    change things, with the serializer's fields built only once."""
    return dict(_report_fields[may_change].to_representation(report))


LAST_ACTIVE_SOURCE_HELP = (
    "Through what: `login` (a sign-in), `api` (API use), `keep_link` (the notice's keep "
    "link), `reactivated` (an admin or the identity provider gave the account back), or the "
    "source a signal named (`sso`, `app`...). Null when never active (see `date_joined`), or "
    "for activity recorded before sources were kept."
)


class ActivitySourceSerializer(serializers.Serializer):
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source
    at = serializers.DateTimeField()


class WhySerializer(serializers.Serializer):
    """Why a user matched: when they were last active and through what
    (docs/architecture.md#what-counts-as-activity)."""

    last_active_at = serializers.DateTimeField(
        allow_null=True,
        help_text="The later of `last_login` and `last_seen`; null when never active.",
    )
    last_active_source = serializers.CharField(allow_null=True, help_text=LAST_ACTIVE_SOURCE_HELP)
    activity = ActivitySourceSerializer(
        many=True,
        help_text="The user's latest time per source other than a sign-in (`last_login`), "
        "newest first, as stored now (empty once the account is deleted).",
    )


def why_data(row: Any, activity: dict[int, list[dict[str, Any]]], user_id: int) -> dict[str, Any]:
    """The `WhySerializer` fields of a user (a row with last_login, last_seen and
    last_seen_source, as attributes or keys), with their per-source times from `activity`."""

    def get(name: str) -> Any:
        return row[name] if isinstance(row, dict) else getattr(row, name)

    at, source = last_active(get("last_login"), get("last_seen"), get("last_seen_source"))
    return {
        "last_active_at": at,
        "last_active_source": source,
        "activity": activity.get(user_id, []),
    }


class AuditEntrySerializer(serializers.ModelSerializer):
    """An audit row; the "why" fields come from what the run saw (`last_login`, `last_seen`
    and its source, copied at removal), the per-source times from the context's `activity`."""

    last_active_at = serializers.SerializerMethodField()
    last_active_source = serializers.SerializerMethodField()
    activity = serializers.SerializerMethodField()

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
            "last_active_at",
            "last_active_source",
            "activity",
        ]
        read_only_fields = fields

    def _why(self, entry: CleanupAuditEntry) -> dict[str, Any]:
        return why_data(entry, self.context.get("activity", {}), entry.user_id)

    @extend_schema_field(WhySerializer().fields["last_active_at"])
    def get_last_active_at(self, entry: CleanupAuditEntry) -> Any:
        at = self._why(entry)["last_active_at"]
        return None if at is None else serializers.DateTimeField().to_representation(at)

    @extend_schema_field(WhySerializer().fields["last_active_source"])
    def get_last_active_source(self, entry: CleanupAuditEntry) -> str | None:
        return self._why(entry)["last_active_source"]  # type: ignore[no-any-return]

    @extend_schema_field(ActivitySourceSerializer(many=True))
    def get_activity(self, entry: CleanupAuditEntry) -> Any:
        return ActivitySourceSerializer(self._why(entry)["activity"], many=True).data


class TokenAuditEntrySerializer(serializers.ModelSerializer):
    """An API token a run revoked (docs/architecture.md#api-tokens)."""

    class Meta:
        model = CleanupTokenAuditEntry
        fields = [
            "token_id",
            "prefix",
            "name",
            "owner_id",
            "owner_username",
            "owner_kind",
            "created_at",
            "last_used_at",
            "expires_at",
            "reason",
            "noticed_at",
            "restored_at",
            "restored_by",
        ]
        read_only_fields = fields


class NoticeSerializer(serializers.ModelSerializer):
    """A user a run warned by email (one of its notices)."""

    username = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The user's username now; null once the account is deleted.",
    )
    status = serializers.ChoiceField(
        read_only=True,
        choices=CleanupNotice.Status.choices,
        help_text="`sent` once the mail server accepted it (`sent_at`); `pending` until then "
        "(a pending notice protects its user: nobody is removed before being told); "
        "`undeliverable` once the address refused it for good (5xx), or for NOTICE_GIVE_UP_H "
        "(4xx): the policy's `on_undeliverable` then holds its user or removes them as one "
        "without an address.",
    )
    error = serializers.CharField(
        read_only=True,
        source="last_error",
        help_text="The mail server's last refusal or failure, empty when there was none.",
    )

    class Meta:
        model = CleanupNotice
        fields = [
            "user_id",
            "username",
            "email",
            "status",
            "due_at",
            "created_at",
            "sent_at",
            "attempts",
            "error",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "due_at": {"help_text": "When the user is removed unless they are active again."},
            "attempts": {"help_text": "Failed attempts to send it so far."},
        }


class NoticeQuerySerializer(serializers.Serializer):
    """The notices list's query: a `status` given once, or none."""

    status = serializers.ChoiceField(choices=CleanupNotice.Status.choices, required=False)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if hasattr(data, "getlist") and len(data.getlist("status")) > 1:
            raise serializers.ValidationError({"status": ["Give this parameter once."]})
        return dict(super().to_internal_value(data))


def _validator(check: Any) -> Any:
    def run(value: str) -> None:
        try:
            check(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    return run


@extend_schema_field({"type": "number", "minimum": RATIO_MIN, "maximum": RATIO_MAX})
class RatioField(StrictFloatField):
    """A share from RATIO_MIN to RATIO_MAX (1% to 100%)."""

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not RATIO_MIN <= value <= RATIO_MAX:
            raise serializers.ValidationError(RATIO_MESSAGE)
        return value


def _days(name: str, **kwargs: Any) -> StrictIntegerField:
    low, high = RANGES[name]
    return StrictIntegerField(min_value=low, max_value=high, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "maxLength": CRON_MAX_LENGTH,
        "pattern": CRON_PATTERN,
        "description": "A 5-field cron expression: minute hour day-of-month month "
        "day-of-week, e.g. `0 3 * * *` or `30 4 * * mon-fri`; lists, ranges, steps (1-99), "
        "month and weekday names, `L` (last day of the month), `n#k` (k-th weekday n) and `?` "
        "(a whole day field). Also refused with a 400, which no pattern can say: a date that "
        "never comes (`0 0 31 2 *`, `0 0 31 4,6,9,11 *`).",
        "example": "0 3 * * *",
    },
    component_name="CronExpression",
)
class CronField(StrictCharField):
    """A schedule: CRON_PATTERN's syntax, and a date that comes (`validate_cron`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_length=CRON_MAX_LENGTH, validators=[_validator(validate_cron)], **kwargs
        )


@extend_schema_field(
    {
        "type": "string",
        "enum": sorted(timezones()),
        "description": "An IANA timezone name (the tzdata package's list).",
        "example": "Europe/Paris",
    },
    component_name="Timezone",
)
class TimezoneField(StrictCharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=64, validators=[_validator(validate_timezone)], **kwargs)


class PolicyFieldsSerializer(serializers.Serializer):
    """Every editable policy field with its shape and range (`policy.rules`). The rules
    between fields and the tenant's groups are the service's to check."""

    enabled = StrictBooleanField()
    inactive_days = _days("inactive_days")
    never_logged_in_days = _days("never_logged_in_days")
    action = serializers.ChoiceField(choices=CleanupPolicy.Action.choices)
    dry_run = StrictBooleanField()
    exempt_groups = serializers.ListField(
        child=StrictCharField(max_length=150),
        max_length=100,
        allow_empty=True,
        help_text="Names of the tenant's groups whose members no run touches; each must be a "
        "group of the tenant, by its exact name (a 400 names the unknown ones).",
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
        "anyone, and a digest of the users whose address refused their notice.",
    )
    on_undeliverable = serializers.ChoiceField(
        choices=CleanupPolicy.OnUndeliverable.choices,
        help_text="A matched user whose address refused their notice: `hold` keeps them (and "
        "lists them for the admins), `proceed` removes them as a user without an address.",
    )
    notice_subject = StrictCharField(
        max_length=NOTICE_SUBJECT_MAX_LENGTH,
        allow_blank=True,
        schema_pattern=template_pattern(NOTICE_PLACEHOLDERS, line_breaks=False),
        help_text=f"The notice's subject in the tenant's words; empty: the built-in one. "
        f"Placeholders: {PLACEHOLDER_LIST}; any other brace is a 400 naming it.",
    )
    notice_body = StrictCharField(
        max_length=NOTICE_BODY_MAX_LENGTH,
        allow_blank=True,
        schema_pattern=template_pattern(NOTICE_PLACEHOLDERS, line_breaks=True),
        help_text=f"The notice's text (plain text; line breaks kept) in the tenant's words; "
        f"empty: the built-in text. Placeholders: {PLACEHOLDER_LIST}; any other brace is a "
        "400 naming it.",
    )
    notice_reply_to = StrictEmailField(
        max_length=254,
        allow_blank=True,
        help_text="Where replies to a notice go (its Reply-To); empty: none.",
    )
    notice_language = serializers.ChoiceField(
        choices=[(code, code) for code in NOTICE_LANGUAGES],
        help_text="The language of the built-in text and of the dates.",
    )
    schedule = CronField()
    timezone = TimezoneField()
    token_max_days = _days(
        "token_max_days",
        help_text="The longest expiry a new API token may have, in days (tokens made before "
        "a change keep theirs).",
    )
    token_inactive_days = _days(
        "token_inactive_days",
        allow_null=True,
        help_text="Runs revoke API tokens unused this many days (after a notice notice_days "
        "before, to the owner or, for a service account, the tenant's admins). null: never.",
    )

    def to_internal_value(self, data: Any) -> Any:
        """A name that is no policy field is a 400, not ignored: a script that misspells
        `dry_run` must not get a 200 and a policy still removing people. The fields only a
        GET answers are let through, so a policy read and sent back still saves."""
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields) - READ_ONLY_POLICY_FIELDS)
            if unknown:
                raise serializers.ValidationError(
                    {name[:100]: ["Not a policy field."] for name in unknown[:20]}
                )
        return super().to_internal_value(data)


class PolicyFieldsSchema(OpenApiSerializerExtension):
    """The document also states the rule between fields that a body alone decides
    (`policy.rules.policy_check`): delete_after_days only with action "deactivate". A
    partial body is still checked with the saved policy's other fields, which no schema
    knows: PATCH {"action": "delete"} is a 400 while delete_after_days is saved."""

    target_class = PolicyFieldsSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema: AutoSchema, direction: Any) -> Any:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["not"] = {
            "required": ["action", "delete_after_days"],
            "properties": {
                "action": {"enum": [CleanupPolicy.Action.DELETE.value]},
                "delete_after_days": {"type": "integer"},
            },
        }
        if direction == "request":
            # A name that is no policy field is a 400 (to_internal_value).
            schema["additionalProperties"] = False
        return schema


class PolicyWriteSerializer(PolicyFieldsSerializer):
    """A PUT or PATCH of the policy. The lifecycle and token fields may be left out even of a
    PUT: they keep their value, so scripts that PUT the policy as it was before them keep
    working."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in OPTIONAL_FIELDS:
            self.fields[name].required = False


class PolicySerializer(PolicyFieldsSerializer):
    next_run_at = serializers.DateTimeField(read_only=True, allow_null=True)
    schedule_description = serializers.SerializerMethodField()

    def get_schedule_description(self, policy: CleanupPolicy) -> str:
        return describe(policy.schedule)


# What a GET of the policy answers beyond its editable fields: a body may carry them back.
READ_ONLY_POLICY_FIELDS = frozenset(
    name for name, field in PolicySerializer().fields.items() if field.read_only
)


class PreviewRequestSerializer(PolicyFieldsSerializer):
    """Any policy fields to try; the rest come from the saved policy."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class PreviewUserSerializer(WhySerializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField(allow_blank=True)
    last_login = serializers.DateTimeField(allow_null=True)
    last_seen = serializers.DateTimeField(allow_null=True)
    date_joined = serializers.DateTimeField()
    reason = serializers.ChoiceField(choices=CleanupAuditEntry.Reason.choices)


class NoticePreviewSerializer(serializers.Serializer):
    """A notice as the policy would write it, with sample values (the caller's own name, a
    removal date notice_days from now, a keep link that keeps nobody)."""

    subject = serializers.CharField()
    text = serializers.CharField(help_text="The plain-text part, as received.")


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
    tokens_to_warn = serializers.IntegerField(
        help_text="API tokens a run would send a notice about now (unused for "
        "token_inactive_days by notice_days from now)."
    )
    tokens_to_revoke = serializers.IntegerField(
        help_text="API tokens a run would revoke now: unused for token_inactive_days, and "
        "their notice sent long enough ago (or nobody to warn)."
    )
    would_abort = serializers.BooleanField(
        help_text="Over the safety cap: the run would remove nobody, and wait for approval "
        "or stop (on_cap)."
    )
    sample = PreviewUserSerializer(many=True)
    notice = NoticePreviewSerializer()


class TestNoticeSerializer(serializers.Serializer):
    to = serializers.EmailField(help_text="Where the test goes: the caller's own address.")


class TriggerRequestSerializer(serializers.Serializer):
    dry_run = StrictBooleanField(required=False, allow_null=True, default=None)


class TriggerResponseSerializer(serializers.Serializer):
    report_id = serializers.IntegerField()
    task_id = serializers.CharField()
    status = serializers.CharField()


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    report_id = serializers.IntegerField(allow_null=True)


class ExemptionSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    expired = serializers.BooleanField(
        read_only=True, help_text="Past its expiry: it protects nobody any more."
    )

    class Meta:
        model = CleanupExemption
        fields = [
            "id",
            "user_id",
            "username",
            "reason",
            "expires_at",
            "expired",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class ExemptionCreateSerializer(serializers.Serializer):
    username = StrictCharField(
        max_length=150, help_text="A user of the tenant (a 400 if there is none by this name)."
    )
    # Blank passes here: the service says why a reason is needed, with the other fields' errors.
    reason = StrictCharField(
        max_length=CleanupExemption._meta.get_field("reason").max_length, defer_blank=True
    )
    expires_at = StrictDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the exemption ends (must be in the future); absent or null: never.",
    )


class ReportConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    status = serializers.ChoiceField(choices=CleanupReport.Status.choices)


class ReactivatedSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    restored_at = serializers.DateTimeField()


class UndoSerializer(serializers.Serializer):
    """What an undo did, one count per account of the run's audit list."""

    reactivated = serializers.IntegerField(help_text="Accounts reactivated now.")
    already_active = serializers.IntegerField(help_text="Accounts active already.")
    deleted = serializers.IntegerField(
        help_text="Accounts the run deleted, or deleted since: counted, never restored."
    )
    deactivated_again = serializers.IntegerField(
        help_text="Accounts reactivated and deactivated again since the run (by hand or by a "
        "later run): left inactive; Reactivate on the audit row still can."
    )
    tokens_restored = serializers.IntegerField(
        help_text="API tokens the run revoked as unused, given back now (those whose owner "
        "is still active and that have not expired)."
    )


class UndoPreviewSerializer(serializers.Serializer):
    """What an undo would do now."""

    reactivate = serializers.IntegerField(help_text="Accounts an undo would reactivate.")
    already_active = serializers.IntegerField()
    deleted = serializers.IntegerField()
    deactivated_again = serializers.IntegerField()
    tokens_restore = serializers.IntegerField(
        help_text="API tokens the run revoked as unused that an undo would give back."
    )
