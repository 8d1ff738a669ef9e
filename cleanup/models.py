from django.db import models
from django.db.models import Q


class CleanupReport(models.Model):
    """One cleanup run of this tenant, and what it did. Lives in the tenant's schema."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        ABORTED = "aborted"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    class Trigger(models.TextChoices):
        MANUAL = "manual"
        SCHEDULE = "schedule"
        PLATFORM = "platform"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    triggered_by = models.CharField(max_length=150, null=True, blank=True)  # noqa: DJ001 -- null: no person (the scheduler)
    dry_run = models.BooleanField()
    action = models.CharField(max_length=10)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    users_eligible = models.IntegerField(null=True, blank=True)
    users_matched = models.IntegerField(null=True, blank=True)
    users_removed = models.IntegerField(default=0)
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True, default="")
    policy = models.JSONField()
    task_id = models.CharField(max_length=64, blank=True, default="")
    # When the reaper last re-published a run still `queued` (null: only its first publish,
    # at created_at), so it re-publishes at most once per CLEANUP_QUEUED_TIMEOUT_S.
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one queued-or-running run per tenant, enforced by the database so two
            # concurrent triggers can never both start one: a unique index over a constant,
            # restricted to the active rows.
            models.UniqueConstraint(
                models.Value(True),
                condition=Q(status__in=["queued", "running"]),
                name="cleanup_one_active_run",
            ),
        ]
        indexes = [models.Index(fields=["-created_at", "-id"], name="report_newest_idx")]

    def __str__(self) -> str:
        return f"cleanup #{self.pk} ({self.status})"


class CleanupAuditEntry(models.Model):
    """A user removed by a run, written in the same transaction that removed them.

    `user_id` is a plain integer, not a foreign key: the user row may be gone.
    """

    class Reason(models.TextChoices):
        INACTIVE = "inactive"
        NEVER_LOGGED_IN = "never_logged_in"

    # Indexed by audit_report_idx (report, id), which also serves keyset pages.
    report = models.ForeignKey(
        CleanupReport, on_delete=models.CASCADE, related_name="audit", db_index=False
    )
    user_id = models.BigIntegerField()
    username = models.CharField(max_length=150)
    email = models.CharField(max_length=254, blank=True)
    last_login = models.DateTimeField(null=True)
    last_seen = models.DateTimeField(null=True)
    date_joined = models.DateTimeField()
    reason = models.CharField(max_length=20, choices=Reason.choices)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["report", "id"], name="audit_report_idx")]

    def __str__(self) -> str:
        return f"{self.username} ({self.reason})"
