"""The OpenAPI generator of every view (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS).

Named by a string setting, not imported by core.api: drf-spectacular's generator imports
DRF's generic views, whose import reads the pagination class from core.api.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import get_lib_doc_excludes

from core.scopes import ANY_TOKEN, SESSION_ONLY

# The name of the API tokens' security scheme (accounts.schema).
API_TOKEN_SCHEME = "apiToken"


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, plus which roles may call each tenant operation (the view's
    `auditor_methods`, see core.api.TenantAdminApi) and what an API token needs to call it
    (the view's `scopes`, see core.api.ScopedApi): in the description, and as the
    operation's `x-scope` (a scope name, `null` when any token may, absent when tokens are
    refused)."""

    def get_operation(self, *args: Any, **kwargs: Any) -> Any:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return operation
        sentences = []
        auditor_methods = getattr(self.view, "auditor_methods", None)
        if auditor_methods is not None:
            roles = (
                "tenant admins and auditors" if self.method in auditor_methods else "tenant admins"
            )
            sentences.append(f"Who may call it on a tenant host: {roles}.")
        scope = self._token_scope()
        if scope is not None:
            if scope == SESSION_ONLY:
                sentences.append("API tokens may not call it: it needs a signed-in session.")
            elif scope == ANY_TOKEN:
                operation["x-scope"] = None
                sentences.append("API tokens: any token may call it.")
            else:
                operation["x-scope"] = scope
                sentences.append(f"API tokens need the scope `{scope}`.")
        if sentences:
            description = operation.get("description", "")
            operation["description"] = "\n\n".join([description, *sentences]).strip()
        return operation

    def _token_scope(self) -> str | None:
        """The view's declaration for this method; None for views that take no token."""
        from core.api import scope_declared

        if getattr(self.view, "scopes", None) is None:
            return None
        return scope_declared(self.view, self.method) or SESSION_ONLY

    def get_auth(self) -> Any:
        """No API-token scheme on an operation that refuses tokens."""
        auth = super().get_auth()
        if self._token_scope() in (None, SESSION_ONLY):
            auth = [entry for entry in auth if API_TOKEN_SCHEME not in entry]
        return auth


def lib_doc_excludes() -> list[type]:
    """drf-spectacular's classes whose docstrings no operation inherits, plus the API's own
    base classes: theirs are written for the code's readers."""
    from core.api import OperatorApi, TenantAdminApi

    return [*get_lib_doc_excludes(), TenantAdminApi, OperatorApi]
