"""The tenant's policy: read and validated write."""

import logging
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from cleanup.policy import POLICY_FIELDS
from tenants import schedule
from tenants.models import CleanupPolicy

logger = logging.getLogger(__name__)


def policy_get(schema_name: str) -> CleanupPolicy:
    return CleanupPolicy.objects.select_related("tenant").get(tenant__schema_name=schema_name)


def policy_input_validate(*, schema_name: str, data: dict[str, Any]) -> None:
    """The rules on policy input that need the tenant's data, beyond the serializer's shape
    checks: every exempt group must exist in the tenant's schema, by its exact name — a typo
    would otherwise exempt nobody, silently. Only the fields in `data` are checked, so a group
    deleted after it was saved does not block unrelated changes.

    Raises ValidationError naming the unknown groups.
    """
    names = data.get("exempt_groups")
    if not names:
        return
    with schema_context(schema_name):
        known = set(Group.objects.filter(name__in=names).values_list("name", flat=True))
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValidationError(
            {"exempt_groups": [f"No such group in this tenant: {', '.join(unknown)}."]}
        )


def policy_update(*, policy: CleanupPolicy, data: dict[str, Any]) -> CleanupPolicy:
    """Apply `data` (any policy fields), validate the whole policy, recompute `next_run_at`.

    Raises ValidationError with per-field messages and saves nothing on bad input.
    """
    unknown = set(data) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown policy field."] for name in sorted(unknown)})
    policy_input_validate(schema_name=policy.tenant.schema_name, data=data)
    for name, value in data.items():
        setattr(policy, name, value)
    policy.full_clean(exclude=["tenant"])
    policy.next_run_at = schedule.next_run(policy.schedule, policy.timezone, timezone.now())
    # Only the policy's own columns: a run may have written the operators' summary
    # (last_report_*) since `policy` was loaded.
    policy.save(update_fields=[*POLICY_FIELDS, "next_run_at"])
    logger.info(
        "cleanup.policy.updated", extra={"tenant": policy.tenant_id, "fields": sorted(data)}
    )
    return policy
