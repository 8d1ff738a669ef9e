"""The OpenAPI generator of every view (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS).

Named by a string setting, not imported by core.api: drf-spectacular's generator imports
DRF's generic views, whose import reads the pagination class from core.api.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import get_lib_doc_excludes


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, plus which roles may call each tenant operation (the view's
    `auditor_methods`, see core.api.TenantAdminApi), so the document says it too."""

    def get_operation(self, *args: Any, **kwargs: Any) -> Any:
        operation = super().get_operation(*args, **kwargs)
        auditor_methods = getattr(self.view, "auditor_methods", None)
        if operation is None or auditor_methods is None:
            return operation
        roles = "tenant admins and auditors" if self.method in auditor_methods else "tenant admins"
        description = operation.get("description", "")
        sentence = f"Who may call it on a tenant host: {roles}."
        operation["description"] = f"{description}\n\n{sentence}".strip()
        return operation


def lib_doc_excludes() -> list[type]:
    """drf-spectacular's classes whose docstrings no operation inherits, plus the API's own
    base classes: theirs are written for the code's readers."""
    from core.api import OperatorApi, TenantAdminApi

    return [*get_lib_doc_excludes(), TenantAdminApi, OperatorApi]
