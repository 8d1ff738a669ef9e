"""Sessions (rotating and ending them; tokens are checked in accounts.tokens), roles, API
tokens and service accounts."""

import logging
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.activity import last_seen_touch
from accounts.api_tokens import DEFAULT_DAYS, owner_role, secret_hash, token_mint, token_text
from accounts.models import ApiToken, User
from accounts.tokens import current_tenant_id, token_cap
from activity.models import ActivityEvent
from activity.services import activity_record
from core.errors import ServiceError
from core.scopes import scopes_allowed
from webhooks import catalogue
from webhooks.services.events import webhook_event_emit

logger = logging.getLogger(__name__)


def session_refresh(*, refresh: RefreshToken, user: Any) -> dict[str, str]:
    """A new token pair for a checked refresh token, which is blacklisted (rotation).

    The new pair keeps the session's claims (tenant, token version, session start) and never
    outlives the session.
    """
    with transaction.atomic():
        # simplejwt annotates one object but returns get_or_create's (token, created).
        first_use: bool
        _, first_use = refresh.blacklist()  # type: ignore[misc]
        if not first_use:
            # Two requests raced with the same refresh token: only the first may rotate it.
            raise InvalidToken("Token is blacklisted")
        refresh.set_jti()
        refresh.set_exp()
        refresh.set_iat()
        token_cap(refresh)
        refresh.outstand()
    access = refresh.access_token
    token_cap(access)
    last_seen_touch(user)
    return {"access": str(access), "refresh": str(refresh)}


def session_logout(*, refresh: RefreshToken, user: Any, everywhere: bool) -> None:
    """Blacklist `refresh`; with `everywhere`, revoke every token the user holds and end
    their Django admin sessions.

    Revoking is one increment of the user's token version, checked on every use of every
    token and hashed into every admin session's auth hash (`User.get_session_auth_hash`):
    nothing to enumerate, and access tokens (never stored) die with the rest.
    """
    with transaction.atomic():
        refresh.blacklist()
        if everywhere:
            get_user_model().objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    logger.info("auth.logout", extra={"user_id": user.pk, "everywhere": everywhere})


# --- Roles ----------------------------------------------------------------------------------


class UserNotFound(ServiceError):
    status_code = 404
    detail = "No such user."


class LastAdmin(ServiceError):
    status_code = 409


def user_role_set(
    *, role: str, actor: str, user_id: int | None = None, username: str | None = None
) -> Any:
    """Give the user of the current (tenant) schema named by `user_id` or `username` (the API
    knows ids, operators usernames) `role` ("admin", "auditor", or "" for none); log
    `user.role_changed` in the same transaction. Setting the role a user
    already holds changes nothing and logs nothing.

    The tenant always keeps an active admin: demoting the last one raises LastAdmin (409),
    nothing written. Lock order, the same for every role change: first every active admin's
    row (in id order), then the user's. Two admins demoting each other at once so wait for
    one another, and the second counts the admins the first left; locking the user first
    would let them deadlock instead. A role is read from the user's row on each request,
    so the change holds from the user's next request without ending their sessions.

    Raises UserNotFound (404) and LastAdmin (409).
    """
    Role = User.Role
    with transaction.atomic():
        # People: a service account holding the admin role runs no tenant.
        admins = list(
            User.objects.select_for_update()
            .filter(role=Role.ADMIN, is_active=True, kind=User.Kind.PERSON)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        lookup = {"pk": user_id} if username is None else {"username": username}
        user = User.objects.select_for_update().filter(**lookup).first()
        if user is None:
            raise UserNotFound()
        old = user.role
        if old == role:
            return user
        if user.pk in admins and admins == [user.pk]:
            raise LastAdmin(
                f"'{user.username}' is this tenant's last active admin: "
                "give another user the admin role first."
            )
        user.role = role
        user.save(update_fields=["role"])
        activity_record(
            actor=actor,
            verb=ActivityEvent.Verb.USER_ROLE_CHANGED,
            target=user.username,
            data={"user_id": user.pk, "old": old or None, "new": role or None},
        )
    logger.info(
        "accounts.role.changed",
        extra={"user_id": user.pk, "old": old, "new": role, "actor": actor},
    )
    return user


# --- API tokens and service accounts (docs/architecture.md#api-tokens) -----------------------


class TokenNotFound(ServiceError):
    status_code = 404
    detail = "No such API token."


class ServiceAccountNotFound(ServiceError):
    status_code = 404
    detail = "No such service account."


def _visible_tokens(actor: User, *, public: bool) -> QuerySet[ApiToken]:
    """The tokens `actor` manages: their own, and — a tenant admin — service accounts'."""
    mine = Q(user=actor)
    if not public and actor.role == User.Role.ADMIN:
        mine |= Q(user__kind=User.Kind.SERVICE)
    return ApiToken.objects.select_related("user").filter(mine)


def api_token_list(*, actor: User, public: bool) -> QuerySet[ApiToken]:
    return _visible_tokens(actor, public=public).order_by("-created_at", "-id")


def api_token_input_check(
    *, actor: User, public: bool, data: dict[str, Any], max_days: int
) -> User:
    """Every rule on a new token's fields at once, beyond their shapes; returns its owner.

    The owner is the actor, or — `owner` named, a tenant admin only — a service account of
    this tenant. The scopes must be ones the owner's role allows; the expiry at most
    `max_days` (the tenant's token_max_days). Raises one ValidationError naming each field.
    """
    errors: dict[str, list[str]] = {}
    owner: User | None = actor
    owner_name = data.get("owner")
    if owner_name is not None:
        owner = None
        if public:
            errors["owner"] = ["The root host has no service accounts: leave owner out."]
        elif actor.role != User.Role.ADMIN:
            errors["owner"] = ["Only a tenant admin makes tokens for service accounts."]
        else:
            found = User.objects.filter(username=owner_name).first()
            if found is None or found.kind != User.Kind.SERVICE:
                errors["owner"] = [f"No service account '{owner_name}' in this tenant."]
            elif not found.is_active:
                errors["owner"] = [f"The service account '{owner_name}' is deactivated."]
            else:
                owner = found
    if owner is not None and "scopes" in data:
        role = owner_role(owner, public=public)
        refused = sorted(set(data["scopes"]) - set(scopes_allowed(role)))
        if refused:
            holder = f"role '{role}'" if role else "no role"
            errors["scopes"] = [
                f"Not allowed to a token of {owner.username} ({holder}): {', '.join(refused)}."
            ]
    days = data.get("expires_in_days")
    if days is not None and not 1 <= days <= max_days:
        errors["expires_in_days"] = [
            f"Must be from 1 to {max_days} (this tenant's token_max_days)."
        ]
    if errors:
        raise ValidationError(errors)
    assert owner is not None
    return owner


def api_token_create(
    *, actor: User, public: bool, data: dict[str, Any], max_days: int
) -> tuple[ApiToken, str]:
    """Make a token from checked fields (`name`, `scopes`, `expires_in_days`, `owner`) and log
    `token.created` (never the secret) in the same transaction; return it and its text,
    which is shown once and kept nowhere."""
    owner = api_token_input_check(actor=actor, public=public, data=data, max_days=max_days)
    tenant_id = current_tenant_id()
    if tenant_id is None:  # outside a routed request: no tenant to bind it to
        raise RuntimeError("api_token_create needs the request's tenant")
    now = timezone.now()
    days = data.get("expires_in_days") or DEFAULT_DAYS
    for _attempt in range(5):
        prefix, secret = token_mint()
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=owner,
                    name=data["name"],
                    prefix=prefix,
                    secret_hash=secret_hash(secret),
                    scopes=sorted(set(data["scopes"])),
                    tenant_id=tenant_id,
                    created_at=now,
                    created_by=actor.username,
                    expires_at=now + timedelta(days=days),
                )
                activity_record(
                    actor=actor.username,
                    verb=ActivityEvent.Verb.TOKEN_CREATED,
                    target=f"cc_{prefix}",
                    data={
                        "name": token.name,
                        "owner": owner.username,
                        "scopes": token.scopes,
                        "expires_at": token.expires_at.isoformat(),
                    },
                )
        except IntegrityError:
            continue  # the prefix was taken (1 in 2.8 trillion): draw another
        logger.info(
            "accounts.token.created",
            extra={"prefix": prefix, "owner_id": owner.pk, "actor": actor.username},
        )
        return token, token_text(prefix, secret)
    raise RuntimeError("no free token prefix after 5 draws")


def api_token_revoke(*, actor: User, public: bool, token_id: int) -> None:
    """Revoke a token the actor manages (`_visible_tokens`; any other is a 404) and log
    `token.revoked`, in one transaction. A token revoked already stays as it was: 204
    again, nothing logged."""
    with transaction.atomic():
        token = (
            _visible_tokens(actor, public=public)
            .select_for_update(of=("self",))
            .filter(pk=token_id)
            .first()
        )
        if token is None:
            raise TokenNotFound()
        if token.revoked_at is not None:
            return
        own = token.user_id == actor.pk
        reason = ApiToken.Reason.OWNER if own else ApiToken.Reason.ADMIN
        token.revoked_at = timezone.now()
        token.revoked_reason = reason
        token.revoked_by = actor.username
        token.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
        activity_record(
            actor=actor.username,
            verb=ActivityEvent.Verb.TOKEN_REVOKED,
            target=f"cc_{token.prefix}",
            data={"name": token.name, "owner": token.user.username, "reason": reason},
        )
        webhook_event_emit(
            type=catalogue.TOKEN_REVOKED,
            data={
                "token_id": token.pk,
                "prefix": f"cc_{token.prefix}",
                "owner": token.user.username,
                "reason": reason,
            },
        )
    logger.info("accounts.token.revoked", extra={"prefix": token.prefix, "reason": reason})


def service_account_list() -> QuerySet[User]:
    """Service accounts, with how many live tokens each holds."""
    live = Q(api_tokens__revoked_at__isnull=True, api_tokens__expires_at__gt=timezone.now())
    return (
        User.objects.filter(kind=User.Kind.SERVICE)
        .annotate(tokens_active=Count("api_tokens", filter=live))
        .order_by("username")
    )


def service_account_input_check(data: dict[str, Any]) -> None:
    """The username is free in this tenant (people and service accounts share names)."""
    username = data.get("username")
    if username is not None and User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": ["A user with that username already exists."]})


def service_account_create(*, actor: str, data: dict[str, Any]) -> User:
    """A service account: no usable password (no login anywhere), no email (no notice),
    the role its tokens are bounded by. Logs `service_account.created`."""
    service_account_input_check(data)
    with transaction.atomic():
        user = User(
            username=data["username"],
            first_name=data.get("name") or "",
            kind=User.Kind.SERVICE,
            role=data["role"],
        )
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:  # taken meanwhile
            raise ValidationError(
                {"username": ["A user with that username already exists."]}
            ) from exc
        activity_record(
            actor=actor,
            verb=ActivityEvent.Verb.SERVICE_ACCOUNT_CREATED,
            target=user.username,
            data={"user_id": user.pk, "role": user.role},
        )
    return user


def service_account_delete(*, actor: str, username: str) -> None:
    """Delete a service account; its tokens go with it (their rows cascade). Logs
    `service_account.deleted` with the tokens it took, in the same transaction."""
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(username=username, kind=User.Kind.SERVICE)
            .first()
        )
        if user is None:
            raise ServiceAccountNotFound()
        prefixes = [f"cc_{p}" for p in user.api_tokens.values_list("prefix", flat=True)]
        user_id = user.pk
        user.delete()
        activity_record(
            actor=actor,
            verb=ActivityEvent.Verb.SERVICE_ACCOUNT_DELETED,
            target=username,
            data={"user_id": user_id, "tokens": prefixes},
        )
