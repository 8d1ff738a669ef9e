"""Scheduling and housekeeping: beat's fan-out of due tenants, and the reaper."""

import logging
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from cleanup.models import CleanupReport
from cleanup.services.runs import report_finish
from tenants import schedule
from tenants.models import CleanupPolicy, Tenant

logger = logging.getLogger(__name__)

Status = CleanupReport.Status


def cleanup_due_claim(*, now: datetime) -> list[str]:
    """Claim the tenants whose scheduled run is due; return their schema names.

    One query selects them (indexed on next_run_at, locking rows and skipping rows another
    beat holds) and one query advances each `next_run_at` from its cron in its timezone, in
    the same transaction: a second beat, or the same tick retried, finds nothing left to
    claim. The query count does not depend on how many tenants are due.
    """
    with transaction.atomic():
        due = list(
            CleanupPolicy.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(enabled=True, tenant__is_active=True, next_run_at__lte=now)
            .exclude(tenant__schema_name=get_public_schema_name())
            .select_related("tenant")
            .only("tenant__schema_name", "schedule", "timezone", "next_run_at")
        )
        for policy in due:
            policy.next_run_at = schedule.next_run(policy.schedule, policy.timezone, now)
        if due:
            CleanupPolicy.objects.bulk_update(due, ["next_run_at"])
    return [policy.tenant.schema_name for policy in due]


def cleanup_fan_out(*, now: datetime | None = None) -> list[str]:
    """Queue a scheduled run for every due tenant; the tick itself touches no tenant schema.

    Each task gets a small random delay so a thousand tenants due at 03:00 do not all hit
    the database in the same second.
    """
    from cleanup.tasks import run_tenant

    due = cleanup_due_claim(now=now or timezone.now())
    jitter = settings.CLEANUP_FANOUT_JITTER_S
    for schema_name in due:
        run_tenant.apply_async(
            args=[schema_name],
            kwargs={"trigger": CleanupReport.Trigger.SCHEDULE},
            countdown=random.uniform(0, jitter) if jitter else 0,  # noqa: S311 -- not secret
        )
    if due:
        logger.info("cleanup.fan_out", extra={"due": len(due)})
    return due


def cleanup_reap_stale(*, now: datetime | None = None) -> list[tuple[str, int]]:
    """End runs whose worker is gone, releasing their tenants.

    `running` with no heartbeat for CLEANUP_STALE_AFTER_S, or `queued` for longer than
    CLEANUP_QUEUED_TIMEOUT_S, becomes `failed`. Visits each active tenant's schema with one
    UPDATE; returns (schema, report id) of what it ended.
    """
    now = now or timezone.now()
    stale_heartbeat = now - timedelta(seconds=settings.CLEANUP_STALE_AFTER_S)
    stale_queue = now - timedelta(seconds=settings.CLEANUP_QUEUED_TIMEOUT_S)
    reaped: list[tuple[str, int]] = []
    schemas = Tenant.objects.exclude(schema_name=get_public_schema_name()).values_list(
        "schema_name", flat=True
    )
    for schema_name in schemas:
        with schema_context(schema_name), transaction.atomic():
            stale = list(
                CleanupReport.objects.select_for_update(skip_locked=True).filter(
                    Q(status=Status.RUNNING, heartbeat_at__lt=stale_heartbeat)
                    | Q(status=Status.QUEUED, created_at__lt=stale_queue)
                )
            )
            for report in stale:
                was = report.status
                message = (
                    "Worker lost: no heartbeat since "
                    f"{report.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC; the batch in flight was "
                    "rolled back. Start a new run to finish the job."
                    if was == Status.RUNNING
                    else "Never started: the task was lost before a worker picked it up."
                )
                report_finish(report, Status.FAILED, message)
                reaped.append((schema_name, report.pk))
                logger.warning(
                    "cleanup.run.reaped",
                    extra={"tenant": schema_name, "report_id": report.pk, "was": was},
                )
    return reaped
