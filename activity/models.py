from django.db import models


class ActivityEvent(models.Model):
    """One admin action, written in the same transaction as the action itself
    (docs/architecture.md#oversight).

    The table exists in every schema: a tenant's schema holds its admins' actions, the
    public schema the operators'. `actor` is a username, not a foreign key: the log
    outlives the account.
    """

    class Verb(models.TextChoices):
        POLICY_UPDATED = "policy.updated"
        CLEANUP_TRIGGERED = "cleanup.triggered"
        RUN_APPROVED = "run.approved"
        RUN_REJECTED = "run.rejected"
        RUN_UNDONE = "run.undone"
        USER_REACTIVATED = "user.reactivated"
        EXEMPTION_CREATED = "exemption.created"
        EXEMPTION_DELETED = "exemption.deleted"
        USER_ROLE_CHANGED = "user.role_changed"
        WEBHOOK_CREATED = "webhook.created"
        WEBHOOK_UPDATED = "webhook.updated"
        WEBHOOK_DELETED = "webhook.deleted"
        WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"
        WEBHOOK_DISABLED = "webhook.disabled"
        # The identity provider's changes (SCIM, docs/architecture.md#provisioning-scim).
        USER_PROVISIONED = "user.provisioned"
        USER_UPDATED = "user.updated"
        USER_DEACTIVATED = "user.deactivated"
        USER_DELETED = "user.deleted"
        GROUP_CREATED = "group.created"
        GROUP_UPDATED = "group.updated"
        GROUP_DELETED = "group.deleted"
        TOKEN_CREATED = "token.created"
        TOKEN_REVOKED = "token.revoked"
        SERVICE_ACCOUNT_CREATED = "service_account.created"
        SERVICE_ACCOUNT_DELETED = "service_account.deleted"
        TENANT_CREATED = "tenant.created"
        PLATFORM_TRIGGERED = "platform.triggered"

    # The actor of what no person did (a management command, the demo seed). Parentheses
    # cannot occur in a username, so it never reads as someone's account.
    SYSTEM_ACTOR = "(system)"

    at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=150)
    verb = models.CharField(max_length=40, choices=Verb.choices)
    # What the action was done to, as a person would name it: "report 12", "alice", "acme".
    target = models.CharField(max_length=200, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["-at", "-id"], name="activity_newest_idx")]

    def __str__(self) -> str:
        return f"{self.actor} {self.verb} {self.target}".strip()
