"""Sessions (rotating and ending them; tokens are checked in accounts.tokens) and roles."""

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.activity import last_seen_touch
from accounts.tokens import token_cap
from activity.models import ActivityEvent
from activity.services import activity_record
from core.errors import ServiceError

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
    User = get_user_model()
    Role = User.Role
    with transaction.atomic():
        admins = list(
            User.objects.select_for_update()
            .filter(role=Role.ADMIN, is_active=True)
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
