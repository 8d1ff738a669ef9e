from django.contrib.postgres.fields import ArrayField
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from cleanup.policy import (
    DEFAULTS,
    DELETE_AFTER_DAYS_CONDITION,
    RANGES,
    RATIO_CONDITION,
    range_condition,
    range_validators,
)
from tenants.schedule import validate_cron, validate_timezone


class Tenant(TenantMixin):
    """A customer. Its users, reports and audit trail live in its own schema."""

    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(default=True)

    auto_create_schema = True
    # Deleting a tenant row drops its schema: there is nothing left to keep it for.
    auto_drop_schema = True

    class Meta:
        ordering = ["schema_name"]

    def __str__(self) -> str:
        return self.schema_name


class Domain(DomainMixin):
    def __str__(self) -> str:
        return self.domain


class CleanupPolicy(models.Model):
    """A tenant's cleanup policy and schedule, plus a summary of its last run.

    It lives in the public schema, keyed by tenant, so the scheduler finds every due tenant
    — and the operators' console lists every tenant's last run — in one indexed query,
    without visiting tenant schemas. Defaults, ranges and the rules between fields come from
    `cleanup.policy`, their one home.
    """

    class Action(models.TextChoices):
        DEACTIVATE = "deactivate"
        DELETE = "delete"

    class OnCap(models.TextChoices):
        ASK = "ask"
        ABORT = "abort"

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
    max_removal_ratio = models.FloatField(default=DEFAULTS.max_removal_ratio)
    on_cap = models.CharField(max_length=5, choices=OnCap.choices, default=DEFAULTS.on_cap)
    notice_days = models.PositiveSmallIntegerField(
        default=DEFAULTS.notice_days, validators=range_validators("notice_days")
    )
    delete_after_days = models.PositiveIntegerField(
        null=True, blank=True, validators=range_validators("delete_after_days")
    )
    notify_admins = models.BooleanField(default=DEFAULTS.notify_admins)
    schedule = models.CharField(
        max_length=100, default=DEFAULTS.schedule, validators=[validate_cron]
    )
    timezone = models.CharField(
        max_length=64, default=DEFAULTS.timezone, validators=[validate_timezone]
    )
    next_run_at = models.DateTimeField(null=True, blank=True)

    # Summary of the tenant's last finished run, written when a run ends.
    last_report_id = models.BigIntegerField(null=True, blank=True)
    last_report_status = models.CharField(max_length=10, blank=True, default="")
    last_report_finished_at = models.DateTimeField(null=True, blank=True)
    last_report_users_removed = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "cleanup policies"
        indexes = [
            # The fan-out's query: enabled policies due now.
            models.Index(
                fields=["next_run_at"],
                name="policy_due_idx",
                condition=models.Q(enabled=True),
            )
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
        ]

    def __str__(self) -> str:
        return f"policy of {self.tenant_id}"
