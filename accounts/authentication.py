from typing import Any

from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import Token

from accounts.activity import last_seen_touch
from accounts.tokens import token_check_schema


class TenantJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer authentication, refusing tokens minted in another schema."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        token_check_schema(token)
        return token

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:
        result = super().authenticate(request)
        if result is not None:
            last_seen_touch(result[0])
        return result
