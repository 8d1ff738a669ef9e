"""Reads of the policy for layers that must not import it."""

from core.scopes import TOKEN_MAX_DAYS
from core.tenancy import current_schema, on_public_schema
from policy.models import CleanupPolicy


def token_max_days() -> int:
    """The longest expiry a new API token may have here: the current tenant's
    `token_max_days`, or the ceiling on the root host (operators' tokens)."""
    if on_public_schema():
        return TOKEN_MAX_DAYS
    days = (
        CleanupPolicy.objects.filter(tenant__schema_name=current_schema())
        .values_list("token_max_days", flat=True)
        .first()
    )
    return TOKEN_MAX_DAYS if days is None else days
