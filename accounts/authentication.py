from typing import Any

from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import Token

from accounts.activity import last_seen_touch
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
