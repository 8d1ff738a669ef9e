from typing import Any

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied, Throttled
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import Token

from accounts.activity import last_seen_touch
from accounts.api_tokens import TOKEN_MARK, token_load, token_touch
from accounts.models import ApiToken, User
from accounts.throttling import TokenThrottle, client_ip
from accounts.tokens import token_check_tenant, token_check_user


class TenantJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer authentication, refusing tokens of another tenant or revoked ones.

    The user row is read on every request, never remembered by the process: a password
    change, logout-everywhere, deactivation or demotion takes effect on the very next
    request, whichever web process serves it.
    """

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        token_check_tenant(token)
        return token

    def get_user(self, validated_token: Token) -> Any:
        user = super().get_user(validated_token)
        token_check_user(validated_token, user)
        return user

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:
        result = super().authenticate(request)
        if result is not None:
            last_seen_touch(result[0])
        return result


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer cc_<prefix>_<secret>`: an API token (accounts.api_tokens).
    Any other header is left to TenantJWTAuthentication.

    Returns the token's owner and the token (`request.auth`), whose scopes the view's base
    class checks (`core.api.ScopedApi`). A view that is no ScopedApi declares no scopes, so
    a token is refused there (403) rather than let through unchecked. Failures are counted
    per client address (`TokenThrottle`); the token itself never reaches a log or an answer.
    """

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        if not parts[1].startswith(TOKEN_MARK):
            return None
        # Not isinstance(view, core.api.ScopedApi): DRF imports this module while defining
        # APIView, which core.api subclasses.
        view = (request.parser_context or {}).get("view")
        if getattr(view, "scopes", None) is None:
            raise PermissionDenied("This endpoint does not accept API tokens.")
        ip = client_ip(request)  # type: ignore[arg-type]
        throttle = TokenThrottle(ip)
        if throttle.blocked():
            raise Throttled(detail="Too many failed API token attempts. Try again later.")
        raw = parts[1].decode("latin-1")
        now = timezone.now()
        try:
            token = token_load(raw, now)
        except AuthenticationFailed:
            throttle.failed()
            raise
        token_touch(token, ip, now)
        if token.user.kind == User.Kind.PERSON:
            last_seen_touch(token.user)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
