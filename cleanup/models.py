from django.conf import settings
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
        AWAITING_APPROVAL = "awaiting_approval"

    # The statuses that hold the tenant's single active slot
    # (docs/architecture.md#cleanup-semantics).
    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING, Status.AWAITING_APPROVAL)
    # The statuses of a run that has changed nobody, whose counters therefore say what it
    # would do: not started yet (an approved run is queued again with the figures it asked
    # with), stopped at the safety cap (awaiting approval), or ended there (aborted: over
    # the cap with `on_cap: abort`, rejected, approval expired, tenant suspended). Every
    # path to `aborted` leaves before the first batch; a run that loses its worker or
    # breaks mid-way ends `failed`, and its counters are the batches it committed.
    WOULD_STATUSES = (Status.QUEUED, Status.AWAITING_APPROVAL, Status.ABORTED)

    class Trigger(models.TextChoices):
        MANUAL = "manual"
        SCHEDULE = "schedule"
        PLATFORM = "platform"
        # The identity provider removed one user (SCIM): a run of one, finished when made.
        SCIM = "scim"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
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
    users_warned = models.IntegerField(default=0)
    # Matched users whose notice could not be delivered (the address refused it): held, not
    # removed, or — with the policy's `on_undeliverable: proceed` — removed like users
    # without an address. Counted with the other stages, before any of them runs.
    users_undeliverable = models.IntegerField(default=0, db_default=0)
    # The first UNDELIVERABLE_SAMPLE of them, for the report page and the admins' digest:
    # [{user_id, username, email, reason}] (reason: the mail server's refusal).
    undeliverable = models.JSONField(default=list, db_default=[], blank=True)
    users_deactivated = models.IntegerField(default=0)
    users_deleted = models.IntegerField(default=0)
    # = users_deactivated + users_deleted, kept as a column for the API and the summaries.
    users_removed = models.IntegerField(default=0)
    # API tokens revoked as unused for token_inactive_days (docs/architecture.md#api-tokens).
    tokens_revoked = models.IntegerField(default=0, db_default=0)
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True, default="")
    policy = models.JSONField()
    task_id = models.CharField(max_length=64, blank=True, default="")
    # When the reaper last re-published a run still `queued` (null: only its first publish,
    # at created_at), so it re-publishes at most once per CLEANUP_QUEUED_TIMEOUT_S.
    published_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.CharField(max_length=150, null=True, blank=True)  # noqa: DJ001 -- null: not approved
    approved_at = models.DateTimeField(null=True, blank=True)
    # Set on approval: the run removes at most this many users (what it showed when it asked).
    removal_limit = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one queued, running or awaiting-approval run per tenant, enforced by the
            # database so two concurrent triggers can never both start one: a unique index
            # over a constant, restricted to the active rows.
            models.UniqueConstraint(
                models.Value(True),
                condition=Q(status__in=["queued", "running", "awaiting_approval"]),
                name="cleanup_one_active_run",
            ),
        ]
        indexes = [models.Index(fields=["-created_at", "-id"], name="report_newest_idx")]

    def __str__(self) -> str:
        return f"cleanup #{self.pk} ({self.status})"

    @property
    def counts_are_would(self) -> bool:
        """Whether the counters say what the run would do rather than what it did: a dry
        run, or a run in one of WOULD_STATUSES. Such a run removed nobody."""
        return self.dry_run or self.status in self.WOULD_STATUSES

    @property
    def users_really_removed(self) -> int:
        """The users this run removed: its `users_removed`, or 0 when that is a would-be
        figure. What the fleet summary, /metrics and the operators' tenants list add up."""
        return 0 if self.counts_are_would else self.users_removed


class CleanupAuditEntry(models.Model):
    """A user removed by a run, written in the same transaction that removed them.

    `user_id` is a plain integer, not a foreign key: the user row may be gone.
    """

    class Reason(models.TextChoices):
        INACTIVE = "inactive"
        NEVER_LOGGED_IN = "never_logged_in"
        # Deactivated by an earlier run, never reactivated, past delete_after_days (§9).
        DEACTIVATION_EXPIRED = "deactivation_expired"
        # Deactivated or deleted by the tenant's identity provider (SCIM), not by a run's
        # rule (docs/architecture.md#provisioning-scim).
        PROVISIONING = "provisioning"

    class Action(models.TextChoices):
        DEACTIVATED = "deactivated"
        DELETED = "deleted"

    # Indexed by audit_report_idx (report, id), which also serves keyset pages.
    report = models.ForeignKey(
        CleanupReport, on_delete=models.CASCADE, related_name="audit", db_index=False
    )
    user_id = models.BigIntegerField()
    username = models.CharField(max_length=150)
    email = models.CharField(max_length=254, blank=True)
    last_login = models.DateTimeField(null=True)
    last_seen = models.DateTimeField(null=True)
    # What `last_seen` was (accounts.activity): with `last_login`, what the run saw as the
    # user's last activity and through what. A database default, for rows written with SQL.
    last_seen_source = models.CharField(max_length=32, blank=True, default="", db_default="")
    date_joined = models.DateTimeField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    action = models.CharField(max_length=12, choices=Action.choices)
    # When the user's notice was sent; null when they had no email address to warn.
    noticed_at = models.DateTimeField(null=True, blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_by = models.CharField(max_length=150, null=True, blank=True)  # noqa: DJ001 -- null: not restored
    # The user's token_version right after this run deactivated them (null for deletions).
    # Every deactivation by hand bumps it (accounts.User.save), so the restore window's
    # stage (§9) recognises an account still exactly as this run left it — see
    # cleanup.selectors.expired_deactivations.
    token_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["report", "id"], name="audit_report_idx"),
            # The restore window's lookup: a deactivated user's deactivations, from the user.
            models.Index(
                fields=["user_id"],
                name="audit_deactivated_user_idx",
                condition=Q(action="deactivated", restored_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} ({self.reason})"


class CleanupNotice(models.Model):
    """A warning email owed to a user before a run removes them
    (docs/architecture.md#notices-and-the-keep-link): the outbox.

    The run writes the row; the `notices` queue's sender sends it and sets `sent_at`. A
    notice protects its user until `notice_days` after `sent_at`, so an unsent one (the mail
    server is down) delays the removal and loses nothing. `user_id` is a plain integer, as
    in the audit: notices outlive a deleted user as history, and a foreign key would add one
    more dependant table to every batch of a delete run.
    """

    class Kind(models.TextChoices):
        # The user's account will be removed.
        ACCOUNT = "account"
        # An API token (`token_id`) will be revoked as unused; `user_id` is whom it warns:
        # the token's owner, or each tenant admin for a service account's token.
        TOKEN_INACTIVE = "token_inactive"
        # An API token expires within TOKEN_EXPIRY_NOTICE_DAYS.
        TOKEN_EXPIRY = "token_expiry"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        # The address refused it for good (5xx), or for longer than NOTICE_GIVE_UP_H (4xx).
        UNDELIVERABLE = "undeliverable"

    user_id = models.BigIntegerField()
    email = models.CharField(max_length=254)
    report = models.ForeignKey(
        CleanupReport, on_delete=models.CASCADE, related_name="notices", db_index=False
    )
    # Database defaults too: the run's own INSERT … SELECT (and the benchmarks') name no status.
    status = models.CharField(
        max_length=13, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING
    )
    kind = models.CharField(
        max_length=16, choices=Kind.choices, default=Kind.ACCOUNT, db_default=Kind.ACCOUNT
    )
    # A plain integer like user_id: the notice outlives the token as history.
    token_id = models.BigIntegerField(null=True, blank=True)
    # When the user will be removed unless they are active again (or follow the keep link).
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The sender's retry state: how often sending failed, why, and when to try again.
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the mail server first refused it for now (4xx): the give-up clock's start.
    refused_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["user_id", "-created_at"], name="notice_user_idx"),
            models.Index(
                fields=["token_id"], name="notice_token_idx", condition=Q(token_id__isnull=False)
            ),
            models.Index(fields=["report", "id"], name="notice_report_idx"),
            # The sender's query: what is still to send.
            models.Index(fields=["id"], name="notice_pending_idx", condition=Q(status="pending")),
            # The daily cap's count: what was sent in the last 24 hours.
            models.Index(
                fields=["sent_at"], name="notice_sent_idx", condition=Q(sent_at__isnull=False)
            ),
        ]
        constraints = [
            # `sent` exactly when the server accepted it: the run trusts either to mean it.
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False)
                | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="notice_sent_status",
            ),
        ]

    def __str__(self) -> str:
        return f"notice to user {self.user_id} ({self.status})"


class CleanupTokenAuditEntry(models.Model):
    """An API token a run revoked (docs/architecture.md#api-tokens), written in the statement
    that revoked it. A table of its own rather than rows of the users' audit: a token is no
    account (no date joined, no reactivation), and the users' audit list, its CSV and its
    undo rules stay about accounts only."""

    class Reason(models.TextChoices):
        TOKEN_INACTIVE = "token_inactive"

    report = models.ForeignKey(
        CleanupReport, on_delete=models.CASCADE, related_name="token_audit", db_index=False
    )
    token_id = models.BigIntegerField()
    prefix = models.CharField(max_length=8)
    name = models.CharField(max_length=100)
    owner_id = models.BigIntegerField()
    owner_username = models.CharField(max_length=150)
    owner_kind = models.CharField(max_length=8)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True)
    expires_at = models.DateTimeField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    # When the notice about it was sent; null when nobody could be warned.
    noticed_at = models.DateTimeField(null=True, blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_by = models.CharField(max_length=150, null=True, blank=True)  # noqa: DJ001 -- null: not restored

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["report", "id"], name="token_audit_report_idx")]

    def __str__(self) -> str:
        return f"cc_{self.prefix} ({self.reason})"


class CleanupExemption(models.Model):
    """One user no run may touch, with a reason, until `expires_at` (null: for good). §10."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cleanup_exemption"
    )
    reason = models.CharField(max_length=500)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"exemption of user {self.user_id}"
