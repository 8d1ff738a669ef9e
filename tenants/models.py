from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

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
    without visiting tenant schemas. Rules are validated in `cleanup.policy`.
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
    enabled = models.BooleanField(default=True)
    inactive_days = models.PositiveIntegerField(
        default=90, validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    never_logged_in_days = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.DEACTIVATE)
    dry_run = models.BooleanField(default=True)
    exempt_groups = ArrayField(models.CharField(max_length=150), default=list, blank=True)
    max_removal_ratio = models.FloatField(default=0.5)
    on_cap = models.CharField(max_length=5, choices=OnCap.choices, default=OnCap.ASK)
    notice_days = models.PositiveSmallIntegerField(
        default=14, validators=[MinValueValidator(0), MaxValueValidator(365)]
    )
    delete_after_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    notify_admins = models.BooleanField(default=True)
    schedule = models.CharField(max_length=100, default="0 3 * * *", validators=[validate_cron])
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
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
                condition=models.Q(max_removal_ratio__gt=0, max_removal_ratio__lte=1),
                name="policy_max_removal_ratio_range",
            ),
            models.CheckConstraint(
                condition=models.Q(inactive_days__gte=1, inactive_days__lte=3650),
                name="policy_inactive_days_range",
            ),
            models.CheckConstraint(
                condition=models.Q(never_logged_in_days__gte=1, never_logged_in_days__lte=3650),
                name="policy_never_logged_in_days_range",
            ),
            models.CheckConstraint(
                condition=models.Q(notice_days__lte=365),
                name="policy_notice_days_range",
            ),
            # The restore window only follows a deactivation (DESIGN §9).
            models.CheckConstraint(
                condition=models.Q(delete_after_days__isnull=True)
                | models.Q(
                    action="deactivate", delete_after_days__gte=1, delete_after_days__lte=3650
                ),
                name="policy_delete_after_days_range",
            ),
        ]

    def __str__(self) -> str:
        return f"policy of {self.tenant_id}"
