"""The tenant's policy: read and validated write."""

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from cleanup.policy import POLICY_FIELDS
from tenants import schedule
from tenants.models import CleanupPolicy

logger = logging.getLogger(__name__)


def policy_get(schema_name: str) -> CleanupPolicy:
    return CleanupPolicy.objects.select_related("tenant").get(tenant__schema_name=schema_name)


def policy_update(*, policy: CleanupPolicy, data: dict[str, Any]) -> CleanupPolicy:
    """Apply `data` (any policy fields), validate the whole policy, recompute `next_run_at`.

    Raises ValidationError with per-field messages and saves nothing on bad input.
    """
    unknown = set(data) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown policy field."] for name in sorted(unknown)})
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
