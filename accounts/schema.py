"""Teaches drf-spectacular the API's bearer authentication (imported by AccountsConfig)."""

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


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
