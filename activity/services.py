"""Writing the activity log. Callers call it inside their action's transaction."""

from typing import Any

from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from activity.models import ActivityEvent


def operator_actor(username: str) -> str:
    """How a tenant's log names an operator who acted on the tenant (from the root host's
    Django admin): not a bare username, which could be one of the tenant's own users' —
    spaces and parentheses never occur in one."""
    return f"{username} (operator)"


def activity_record(
    *, actor: str, verb: str, target: str = "", data: dict[str, Any] | None = None
) -> ActivityEvent:
    """Log a tenant admin's action in the current (tenant) schema.

    Must run inside the action's own `transaction.atomic()`, so an action that fails leaves
    no event and an event never describes an action that did not happen.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("activity_record must run inside the action's transaction")
    return ActivityEvent.objects.create(actor=actor, verb=verb, target=target, data=data or {})


def platform_activity_record(
    *, actor: str, verb: str, target: str = "", data: dict[str, Any] | None = None
) -> ActivityEvent:
    """Log an operator's action in the public schema (same transaction rule)."""
    with schema_context(get_public_schema_name()):
        return activity_record(actor=actor, verb=verb, target=target, data=data)
