"""Teaches drf-spectacular the API's two bearer authentications (imported by AccountsConfig):
JWTs and API tokens."""

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from core.schema import API_TOKEN_SCHEME


class TenantJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.TenantJWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema: Any) -> Any:
        definition = super().get_security_definition(auto_schema)
        definition["description"] = (
            "Access token from POST /api/auth/token/ on the same host; tokens from another "
            "host are rejected with 401."
        )
        return definition


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = API_TOKEN_SCHEME
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> Any:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "cc_<prefix>_<secret>",
            "description": "An API token from POST /api/tokens/ on the same host "
            "(`Authorization: Bearer cc_...`). Each operation says the scope it needs "
            "(`x-scope`); a token without it gets 403 naming it. Tokens of another host are "
            "refused with 401.",
        }
