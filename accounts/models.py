from collections.abc import Iterator
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from core.scopes import scopes_allowed


class User(AbstractUser):
    """A person in one schema: the public schema holds operators, each tenant schema its users.

    Ids repeat across schemas, so nothing may identify a user by id alone.
    """

    class Role(models.TextChoices):
        ADMIN = "admin", "Tenant admin"
        AUDITOR = "auditor", "Auditor (read-only)"

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        # A script's identity (docs/architecture.md#api-tokens): no usable password, so no
        # login to the API or Django admin; acts only through API tokens; never matched by
        # the people-inactivity rule and never sent a notice.
        SERVICE = "service", "Service account"

    # What the user may do in the tenant's API: an admin everything, an auditor read, anyone
    # else (blank) nothing. `is_staff` is only Django admin's door and grants nothing in the
    # API. Role holders are never removed by a cleanup run. Changed through
    # accounts.services.user_role_set, which logs it and keeps at least one active admin. A
    # database default, so rows inserted with SQL (benchmarks, drills) need not name it.
    role = models.CharField(
        max_length=16, choices=Role.choices, blank=True, default="", db_default=""
    )
    # The user's latest activity other than a sign-in (which is `last_login`): API use (token
    # refresh, authenticated requests; at most hourly), the keep link, a signal from the
    # tenant's own systems, a reactivation; `last_seen_source` names which. Written only
    # through accounts.activity, which also keeps each source's latest time
    # (`UserActivitySource`). See docs/architecture.md#what-counts-as-activity.
    last_seen = models.DateTimeField(null=True, blank=True)
    last_seen_source = models.CharField(max_length=32, blank=True, default="", db_default="")
    # The identity provider's id for this person (SCIM `externalId`), unique in the tenant when
    # set; signals may name a user by it too.
    external_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001 -- null: not provisioned (unique only when set)
    # Every token carries the version it was minted under and dies when it changes: bumped
    # by a password change, a deactivation (so reactivating an account does not revive its
    # old sessions) and logout-everywhere (accounts.tokens). A database default,
    # so rows inserted with SQL (benchmarks, drills) need not name it.
    token_version = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # A database default, like role's, for rows inserted with SQL.
    kind = models.CharField(
        max_length=8, choices=Kind.choices, default=Kind.PERSON, db_default=Kind.PERSON
    )

    # is_active as loaded from the database: saving it off is a deactivation.
    _loaded_active: bool | None = None

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # Equalities, not IN: PostgreSQL stores `varchar IN (...)` in a form that does not
            # read back the same, so the template's clone (tenants.clone) would differ from it.
            models.CheckConstraint(
                condition=Q(role="") | Q(role="admin") | Q(role="auditor"),
                name="accounts_user_role_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind="person") | Q(kind="service"), name="accounts_user_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=Q(external_id__isnull=False),
                name="accounts_user_external_id_unique",
            ),
        ]
        # The few role holders (admins to email, the last-admin check) without a scan of
        # a table that may hold millions of members.
        indexes = [
            models.Index(fields=["role"], condition=~Q(role=""), name="accounts_user_role_idx")
        ]

    @classmethod
    def from_db(cls, *args: Any, **kwargs: Any) -> "User":
        user = super().from_db(*args, **kwargs)
        user._loaded_active = user.__dict__.get("is_active")
        return user

    # Django admin's sessions are checked against this hash on every request (Django's
    # AuthenticationMiddleware) and end when it changes. Django hashes the password alone;
    # hashing the token version too ends them whenever the tokens die — on logout-everywhere
    # and deactivation as well as on a password change — with no session table to scan.
    def get_session_auth_hash(self) -> str:
        return self._version_auth_hash()

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._version_auth_hash(secret)

    def _version_auth_hash(self, secret: str | bytes | None = None) -> str:
        return salted_hmac(
            "accounts.User.get_session_auth_hash",
            f"{self.password}:{self.token_version}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def save(self, *args: Any, **kwargs: Any) -> None:
        # `_password` is set by set_password() — from a form, the admin, a shell or
        # `changepassword` — and cleared by Django before it saves a mere hash upgrade at
        # login, which must not end the session being opened.
        password_changed = self._password is not None  # type: ignore[attr-defined]
        deactivated = not self.is_active and bool(self._loaded_active)
        bump = (password_changed or deactivated) and not self._state.adding
        if deactivated and not self._state.adding:
            # The owner's API tokens die with the deactivation, in its transaction (the
            # Django admin, a shell, any service that saves the user).
            ApiToken.objects.owners_revoke([self.pk], ApiToken.Reason.OWNER_DEACTIVATED)
        if bump:
            # Incremented in SQL: a stale copy of the user cannot write an old version back.
            self.token_version = F("token_version") + 1  # type: ignore[assignment]
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "token_version"}
        super().save(*args, **kwargs)
        self._loaded_active = self.is_active
        if bump:
            self.refresh_from_db(fields=["token_version"])


class UserActivitySource(models.Model):
    """A user's latest activity through one source (`api`, `keep_link`, or a signal's label
    such as `sso`): one row per user and source, only ever moved forward. Sign-ins are
    Django's `User.last_login`, not a row here. See docs/architecture.md#what-counts-as-activity.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_sources"
    )
    source = models.CharField(max_length=32)
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            # The upsert's conflict target, and the index a user's rows are read by.
            models.UniqueConstraint(fields=["user", "source"], name="activity_source_user_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.source} {self.last_at:%Y-%m-%d %H:%M}"


class GroupExternalId(models.Model):
    """The identity provider's id for a group (SCIM `externalId`), unique in the tenant: Django's
    Group has no column for it. A row only for a group provisioned with one; it goes with its
    group."""

    group = models.OneToOneField(
        "auth.Group", on_delete=models.CASCADE, primary_key=True, related_name="external"
    )
    external_id = models.CharField(max_length=255, unique=True)

    def __str__(self) -> str:
        return f"{self.group_id} {self.external_id}"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def owners_revoke(self, user_ids: list[int], reason: str, by: str = "") -> int:
        """Revoke every live token of these users (one UPDATE); return how many."""
        return self.filter(user_id__in=user_ids, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=reason, revoked_by=by
        )


class ApiToken(models.Model):
    """A long-lived, scoped, expiring credential of one user of this schema (a person, a
    service account, or an operator in public), for scripts (docs/architecture.md#api-tokens).

    Shown once as `cc_<prefix>_<secret>`; only the SHA-256 of the secret is kept, and the
    prefix is the lookup key. `tenant_id` is the Tenant row it was made on: a schema name can
    come back with a new tenant, a tenant's primary key never does.
    """

    class Reason(models.TextChoices):
        OWNER = "owner", "Revoked by its owner"
        ADMIN = "admin", "Revoked by a tenant admin"
        OWNER_DEACTIVATED = "owner_deactivated", "Its owner was deactivated"
        TOKEN_INACTIVE = "token_inactive", "Unused for the policy's token_inactive_days"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=32))
    tenant_id = models.BigIntegerField()
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150)
    expires_at = models.DateTimeField()
    # Written at most once a minute (a conditional UPDATE), not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)
    # The cleanup run that revoked it (reason token_inactive), so undoing the run restores
    # it; and when it was restored, which then counts as use for the next run's clock.
    revoked_report_id = models.BigIntegerField(null=True, blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()
    # What `core.api.token_scope_check` tells a token's request by (core imports no app).
    is_api_token: ClassVar[bool] = True

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user"], name="apitoken_live_user_idx", condition=Q(revoked_at__isnull=True)
            ),
            models.Index(
                fields=["revoked_report_id"],
                name="apitoken_revoked_report_idx",
                condition=Q(revoked_report_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"cc_{self.prefix}_… ({self.name})"

    def scopes_effective(self, role: str) -> frozenset[str]:
        """The scopes it holds that `role` (its owner's now) still allows."""
        return frozenset(self.scopes) & frozenset(scopes_allowed(role))
