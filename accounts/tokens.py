"""JWTs bound to the schema (tenant) they were minted in.

User ids repeat across schemas — the first admin of every tenant is user 1 — and simplejwt
looks the user up by id in whatever schema the request is in. So every token carries a
`tenant` claim, and every use of a token (access, refresh, logout) rejects one from
another schema with 401.
"""

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.serializers import (
    TokenBlacklistSerializer,
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken, Token

from accounts.activity import last_seen_touch
from tenants.context import current_schema

TENANT_CLAIM = "tenant"


def token_check_schema(token: Token) -> None:
    """Reject a token minted in another schema — as an invalid token, never as a user."""
    if token.get(TENANT_CLAIM) != current_schema():
        raise InvalidToken("Token is not valid for this host.")


class TenantTokenObtainSerializer(TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user: Any) -> RefreshToken:
        token = super().get_token(user)
        token[TENANT_CLAIM] = current_schema()
        return token  # type: ignore[return-value]


class TenantTokenRefreshSerializer(TokenRefreshSerializer):
    refresh = serializers.CharField()
    access = serializers.CharField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = RefreshToken(attrs["refresh"])
        token_check_schema(refresh)
        user = (
            get_user_model()
            .objects.filter(**{api_settings.USER_ID_FIELD: refresh.get(api_settings.USER_ID_CLAIM)})
            .first()
        )
        if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed("No active account found for the given token.")
        data = super().validate(attrs)
        last_seen_touch(user)
        return data


class TenantLogoutSerializer(TokenBlacklistSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[Any, Any]:
        token_check_schema(RefreshToken(attrs["refresh"]))
        return super().validate(attrs)
