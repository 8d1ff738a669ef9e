"""JWTs bound to their tenant, to their user's token version and to their session.

- `tenant_id`: user ids repeat across schemas — the first admin of every tenant is user 1 —
  and simplejwt looks the user up by id in whatever schema the request is in. A schema name
  can also be reused once its tenant is deleted. So a token names the primary key of the
  Tenant row it was minted for (PostgreSQL's sequence never hands a key out twice), and
  every use of a token (access, refresh, logout) refuses another tenant's with 401.
- `ver`: the user's `token_version` when the session began. A password change and
  logout-everywhere bump it; every access-token use and every refresh compares it with the
  user row, loaded fresh on each request, so revocation holds on the very next request on
  every web process.
- `auth_time`: when the session began (login). Copied through every rotation, never
  renewed: no token of the session expires after `auth_time + JWT_SESSION_MAX_DAYS`.
"""

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.serializers import PasswordField, TokenObtainPairSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken, Token

TENANT_CLAIM = "tenant_id"
VERSION_CLAIM = "ver"
AUTH_TIME_CLAIM = "auth_time"


def current_tenant_id() -> int | None:
    """The Tenant row the request is routed to; None outside a routed request."""
    # schema_context() installs a stand-in tenant without a primary key: no token is valid
    # there, which fails closed.
    return getattr(getattr(connection, "tenant", None), "pk", None)


def session_end(token: Token) -> int:
    """The epoch second after which no token of this session is valid."""
    auth_time = token.get(AUTH_TIME_CLAIM)
    if not isinstance(auth_time, int):
        raise InvalidToken("Token has no session start.")
    return auth_time + settings.JWT_SESSION_MAX_DAYS * 86400


def token_cap(token: Token) -> None:
    """Shorten the token's lifetime to its session's end, if that comes first."""
    token["exp"] = min(token["exp"], session_end(token))


def token_check_tenant(token: Token) -> None:
    """Refuse a token minted for another tenant — as an invalid token, never as a user."""
    tenant_id = current_tenant_id()
    if tenant_id is None or token.get(TENANT_CLAIM) != tenant_id:
        raise InvalidToken("Token is not valid for this host.")


def token_check_user(token: Token, user: Any) -> None:
    """Refuse a token of an inactive user, or minted before the user's tokens were revoked."""
    if not api_settings.USER_AUTHENTICATION_RULE(user):
        raise AuthenticationFailed("No active account found for the given token.")
    if token.get(VERSION_CLAIM) != user.token_version:
        raise AuthenticationFailed("Token has been revoked.", code="token_revoked")


def refresh_token_load(raw: str) -> tuple[RefreshToken, Any]:
    """The refresh token `raw` and its user, if it may be used on this host now.

    Signed, unexpired, not blacklisted, of this tenant, of the user's current token version,
    within its session's lifetime; anything else raises a 401.
    """
    try:
        refresh = RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidToken(str(exc)) from exc
    token_check_tenant(refresh)
    if time.time() >= session_end(refresh):
        raise InvalidToken("Session has expired: log in again.")
    user = (
        get_user_model()
        .objects.filter(**{api_settings.USER_ID_FIELD: refresh.get(api_settings.USER_ID_CLAIM)})
        .first()
    )
    if user is None:
        raise AuthenticationFailed("No active account found for the given token.")
    token_check_user(refresh, user)
    return refresh, user


class TenantTokenObtainSerializer(TokenObtainPairSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A password is checked as typed, as Django admin's login does: simplejwt's field
        # trims it, so " secret " signed in as "secret" and "   " was a 400, not a 401.
        self.fields["password"] = PasswordField(trim_whitespace=False)

    @classmethod
    def get_token(cls, user: Any) -> RefreshToken:
        token = super().get_token(user)
        token[TENANT_CLAIM] = current_tenant_id()
        token[VERSION_CLAIM] = user.token_version
        token[AUTH_TIME_CLAIM] = int(time.time())
        token_cap(token)
        return token  # type: ignore[return-value]
