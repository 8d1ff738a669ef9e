"""The policy's state in the public schema: each tenant's policy row (which also mirrors its
active run) and the history of finished runs.

The tables keep the names they had when these models lived in `tenants`
(`tenants_cleanuppolicy`, `tenants_runoutcome`): moving a model to its own app moved no
data (`policy/migrations/0001_initial.py`).
"""

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxLengthValidator
from django.db import models

from policy.rules import (
    DEFAULTS,
    DELETE_AFTER_DAYS_CONDITION,
    NOTICE_BODY_MAX_LENGTH,
    NOTICE_LANGUAGES,
    NOTICE_SUBJECT_MAX_LENGTH,
    RANGES,
    RATIO_CONDITION,
    range_condition,
    range_validators,
    ratio_validators,
)
from policy.schedule import validate_cron, validate_timezone
from tenants.models import Tenant


class CleanupPolicy(models.Model):
    """A tenant's cleanup policy and schedule, plus a summary of its last run.

    It lives in the public schema, keyed by tenant, so the scheduler finds every due tenant
    — and the operators' console lists every tenant's last run — in one indexed query,
    without visiting tenant schemas. Defaults, ranges and the rules between fields come from
    `policy.rules`, their one home.
    """

    class Action(models.TextChoices):
        DEACTIVATE = "deactivate"
        DELETE = "delete"

    class OnCap(models.TextChoices):
        ASK = "ask"
        ABORT = "abort"

    class OnUndeliverable(models.TextChoices):
        HOLD = "hold"
        PROCEED = "proceed"

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, primary_key=True, related_name="policy"
    )
    enabled = models.BooleanField(default=DEFAULTS.enabled)
    inactive_days = models.PositiveIntegerField(
        default=DEFAULTS.inactive_days, validators=range_validators("inactive_days")
    )
    never_logged_in_days = models.PositiveIntegerField(
        default=DEFAULTS.never_logged_in_days, validators=range_validators("never_logged_in_days")
    )
    action = models.CharField(max_length=10, choices=Action.choices, default=DEFAULTS.action)
    dry_run = models.BooleanField(default=DEFAULTS.dry_run)
    exempt_groups = ArrayField(models.CharField(max_length=150), default=list, blank=True)
    max_removal_ratio = models.FloatField(
        default=DEFAULTS.max_removal_ratio, validators=ratio_validators()
    )
    on_cap = models.CharField(max_length=5, choices=OnCap.choices, default=DEFAULTS.on_cap)
    notice_days = models.PositiveSmallIntegerField(
        default=DEFAULTS.notice_days, validators=range_validators("notice_days")
    )
    delete_after_days = models.PositiveIntegerField(
        null=True, blank=True, validators=range_validators("delete_after_days")
    )
    notify_admins = models.BooleanField(default=DEFAULTS.notify_admins)
    on_undeliverable = models.CharField(
        max_length=7,
        choices=OnUndeliverable.choices,
        default=DEFAULTS.on_undeliverable,
        db_default=DEFAULTS.on_undeliverable,
    )
    # The notice in the tenant's own words (empty: the built-in text); checked by
    # `policy.rules.policy_check` (placeholders), like every rule between fields.
    notice_subject = models.CharField(
        max_length=NOTICE_SUBJECT_MAX_LENGTH, blank=True, default="", db_default=""
    )
    notice_body = models.TextField(
        blank=True,
        default="",
        db_default="",
        validators=[MaxLengthValidator(NOTICE_BODY_MAX_LENGTH)],
    )
    notice_reply_to = models.EmailField(blank=True, default="", db_default="")
    notice_language = models.CharField(
        max_length=2,
        choices=[(code, code) for code in NOTICE_LANGUAGES],
        default=DEFAULTS.notice_language,
        db_default=DEFAULTS.notice_language,
    )
    schedule = models.CharField(
        max_length=100, default=DEFAULTS.schedule, validators=[validate_cron]
    )
    timezone = models.CharField(
        max_length=64, default=DEFAULTS.timezone, validators=[validate_timezone]
    )
    next_run_at = models.DateTimeField(null=True, blank=True)
    token_max_days = models.PositiveSmallIntegerField(
        default=DEFAULTS.token_max_days, validators=range_validators("token_max_days")
    )
    token_inactive_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=DEFAULTS.token_inactive_days,
        validators=range_validators("token_inactive_days"),
    )

    # Summary of the tenant's last finished run, written when a run ends.
    last_report_id = models.BigIntegerField(null=True, blank=True)
    last_report_status = models.CharField(max_length=10, blank=True, default="")
    last_report_finished_at = models.DateTimeField(null=True, blank=True)
    last_report_users_removed = models.IntegerField(null=True, blank=True)

    # The registry of the tenant's active run (docs/architecture.md#the-fleet), written in the same
    # transaction
    # as each status change of the run's report (`cleanup.services.registry`), so the
    # reaper, the approval expiry, trigger-all and the fleet summary read one public table
    # instead of visiting every schema. Status "" = no active run. A run can be active
    # before its report exists: trigger-all and the fan-out *reserve* the slot (status
    # `queued`, no report id, `active_task_id` set) and the published task creates the
    # report in the tenant's schema only while its reservation still stands.
    active_report_id = models.BigIntegerField(null=True, blank=True)
    active_report_status = models.CharField(max_length=20, blank=True, default="")
    # When the run entered its status (queued: reserved or created; awaiting_approval: asked).
    active_report_since = models.DateTimeField(null=True, blank=True)
    # running: the worker's last heartbeat; queued: when its task was last published.
    active_report_heartbeat_at = models.DateTimeField(null=True, blank=True)
    # A reservation's task: its id and kwargs, so the reaper can publish it again as it was.
    active_task_id = models.CharField(max_length=64, blank=True, default="")
    active_task_kwargs = models.JSONField(null=True, blank=True)

    # Notices (docs/architecture.md#notices-and-the-keep-link) the sender delivered or gave up on,
    # for /metrics: counted here, in
    # public, so a scrape never visits tenant schemas (`registry.notices_count`).
    notices_sent = models.BigIntegerField(default=0)
    notices_failed = models.BigIntegerField(default=0)
    notices_undeliverable = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "tenants_cleanuppolicy"
        verbose_name_plural = "cleanup policies"
        indexes = [
            # The fan-out's query: enabled policies due now.
            models.Index(
                fields=["next_run_at"],
                name="policy_due_idx",
                condition=models.Q(enabled=True),
            ),
            # The reaper's and the summary's query: the active runs only (a few rows out of
            # thousands of tenants), by status and heartbeat.
            models.Index(
                fields=["active_report_status", "active_report_heartbeat_at"],
                name="policy_active_run_idx",
                condition=~models.Q(active_report_status=""),
            ),
            # The summary's "needs attention": tenants whose last run failed or aborted.
            models.Index(
                fields=["last_report_status", "last_report_finished_at"],
                name="policy_last_run_idx",
                condition=models.Q(last_report_status__in=["failed", "aborted"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=RATIO_CONDITION, name="policy_max_removal_ratio_range"
            ),
            models.CheckConstraint(
                condition=range_condition("inactive_days"), name="policy_inactive_days_range"
            ),
            models.CheckConstraint(
                condition=range_condition("never_logged_in_days"),
                name="policy_never_logged_in_days_range",
            ),
            models.CheckConstraint(
                condition=models.Q(notice_days__lte=RANGES["notice_days"][1]),
                name="policy_notice_days_range",
            ),
            models.CheckConstraint(
                condition=DELETE_AFTER_DAYS_CONDITION, name="policy_delete_after_days_range"
            ),
            models.CheckConstraint(
                condition=range_condition("token_max_days"), name="policy_token_max_days_range"
            ),
            models.CheckConstraint(
                condition=models.Q(token_inactive_days__isnull=True)
                | range_condition("token_inactive_days"),
                name="policy_token_inactive_days_range",
            ),
        ]

    def __str__(self) -> str:
        return f"policy of {self.tenant_id}"


class RunOutcome(models.Model):
    """A finished run, in public: the fleet summary's and /metrics' history
    (docs/architecture.md#the-fleet).

    Written in the same transaction that ends the run's report (`cleanup.services.registry`),
    so windows like "removed in the last 24 hours" are one indexed query over this table,
    never a visit to thousands of schemas. One small row per run, kept: /metrics' counters
    are totals over it, and deleting old rows shows there as a counter reset.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="run_outcomes")
    report_id = models.BigIntegerField()
    status = models.CharField(max_length=20)
    trigger = models.CharField(max_length=10)
    dry_run = models.BooleanField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField()
    # What the run removed: 0 for a dry or aborted run, whose counters only say what it
    # would have (`CleanupReport.users_really_removed`).
    users_removed = models.IntegerField(default=0)

    class Meta:
        db_table = "tenants_runoutcome"
        ordering = ["-finished_at", "-id"]
        indexes = [
            # The summary's windows (24 hours, 30 days): read from the index alone.
            models.Index(
                fields=["finished_at"],
                include=["status", "users_removed"],
                name="outcome_finished_idx",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "report_id"], name="outcome_one_per_run")
        ]

    def __str__(self) -> str:
        return f"run {self.report_id} of {self.tenant_id} ({self.status})"


class RemovalDay(models.Model):
    """Users removed per UTC day, summed from `RunOutcome` by the database itself (triggers on
    its insert and delete, `policy/migrations/0004_removal_day.py`), so the fleet summary's
    30-day figure reads about 30 rows instead of one row per run (300,000 at 10,000 tenants).
    Only runs that removed somebody touch it: dry and aborted runs finishing at once never
    wait on each other for today's row."""

    day = models.DateField(primary_key=True)
    users_removed = models.BigIntegerField(default=0)

    class Meta:
        db_table = "policy_removalday"

    def __str__(self) -> str:
        return f"{self.day}: {self.users_removed} removed"
