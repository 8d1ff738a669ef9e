"""Sessions: rotating and ending them. Tokens are checked in accounts.tokens."""

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.activity import last_seen_touch
from accounts.tokens import token_cap

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
