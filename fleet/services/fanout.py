"""Beat's fan-out: every minute, claim the tenants whose scheduled run is due and publish
their runs — a fixed number of queries however many tenants there are
(docs/architecture.md#the-fleet), through
the public registry of active runs (`cleanup.services.registry`).
"""

import functools
import logging
import uuid
from datetime import datetime
from typing import NamedTuple

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name
from psycopg2.extras import Json

from cleanup.models import CleanupReport
from cleanup.services.registry import reservations_release
from fleet.services.publish import PublishFailed, RunMessage, runs_publish
from policy import schedule
from policy.models import CleanupPolicy

logger = logging.getLogger(__name__)

Status = CleanupReport.Status

# Where the fan-out records when it last ran (for /metrics' "seconds since the last tick").
FAN_OUT_TICK_KEY = "cleanup:fan_out:last_tick"


class Claim(NamedTuple):
    """A due tenant the tick took: `next_run_at` moved from `due_at` to `next_run_at`; its
    run reserved under `task_id`, or None when the tenant already had an active run."""

    tenant_id: int
    schema_name: str
    due_at: datetime | None
    next_run_at: datetime
    task_id: str | None


SCHEDULE_TASK_KWARGS = {"trigger": CleanupReport.Trigger.SCHEDULE, "reserved": True}


# Advances each claimed tenant and reserves the idle ones' runs, in one statement whose
# cost grows linearly with the tenants (Django's bulk_update writes a CASE branch per row
# for every row: quadratic in PostgreSQL, about a second per field at 2,000 tenants).
_CLAIM_SQL = """
UPDATE {table} AS p
SET next_run_at = v.next_run_at,
    active_report_id = CASE WHEN v.task_id IS NULL THEN p.active_report_id END,
    active_report_status = COALESCE(v.status, p.active_report_status),
    active_report_since = CASE WHEN v.task_id IS NULL THEN p.active_report_since ELSE %(now)s END,
    active_report_heartbeat_at = CASE
        WHEN v.task_id IS NULL THEN p.active_report_heartbeat_at ELSE %(now)s END,
    active_task_id = COALESCE(v.task_id, p.active_task_id),
    active_task_kwargs = CASE WHEN v.task_id IS NULL THEN p.active_task_kwargs ELSE %(kwargs)s END
FROM unnest(%(ids)s::bigint[], %(next_runs)s::timestamptz[], %(task_ids)s::text[],
            %(statuses)s::text[]) AS v(tenant_id, next_run_at, task_id, status)
WHERE p.tenant_id = v.tenant_id
"""
# Puts claimed tenants back as they were, each only while it still holds the claim's
# `next_run_at` (linear, as above).
_RELEASE_SQL = """
UPDATE {table} AS p
SET next_run_at = v.due_at
FROM unnest(%(ids)s::bigint[], %(claimed)s::timestamptz[], %(due)s::timestamptz[])
    AS v(tenant_id, claimed, due_at)
WHERE p.tenant_id = v.tenant_id AND p.next_run_at = v.claimed
"""


def cleanup_due_claim(*, now: datetime) -> list[Claim]:
    """Claim the tenants whose scheduled run is due, and reserve a run for each idle one.

    One query selects them (indexed on next_run_at, locking rows and skipping rows another
    beat holds) and one query advances each `next_run_at` from its cron in its timezone and
    writes the reservations, in the same transaction: a second beat, or the same tick
    retried, finds nothing left to claim. A tenant whose run is still active (the registry
    says so; its row is locked, so it stays so) is advanced but not reserved: its next run
    waits for the next due time, as when its task found the slot taken. The query count
    does not depend on how many tenants are due.
    """
    with transaction.atomic():
        due = list(
            CleanupPolicy.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(enabled=True, tenant__is_active=True, next_run_at__lte=now)
            .exclude(tenant__schema_name=get_public_schema_name())
            .values_list(
                "pk",
                "tenant__schema_name",
                "schedule",
                "timezone",
                "next_run_at",
                "active_report_status",
            )
        )
        # Most tenants share a few schedules (the default "0 3 * * *" in UTC): each distinct
        # one is evaluated once per tick.
        following = functools.cache(lambda cron, zone: schedule.next_run(cron, zone, now))
        claims = [
            Claim(
                pk,
                schema_name,
                due_at,
                following(cron, zone),
                None if busy else str(uuid.uuid4()),
            )
            for pk, schema_name, cron, zone, due_at, busy in due
        ]
        if claims:
            with connection.cursor() as cursor:
                cursor.execute(
                    _CLAIM_SQL.format(table=CleanupPolicy._meta.db_table),
                    {
                        "now": now,
                        "kwargs": Json(SCHEDULE_TASK_KWARGS),
                        "ids": [c.tenant_id for c in claims],
                        "next_runs": [c.next_run_at for c in claims],
                        "task_ids": [c.task_id for c in claims],
                        "statuses": [Status.QUEUED if c.task_id else None for c in claims],
                    },
                )
    return claims


def cleanup_due_release(claims: list[Claim]) -> int:
    """Make claimed tenants due again, as they were before the tick; return how many.

    Two UPDATEs for any number of tenants. Each row is restored only while it still holds
    the `next_run_at` the claim set: a policy saved meanwhile (which recomputes it) keeps its
    new value, and a tenant another tick has since claimed is not touched. Reservations are
    released only while they still stand, so a message that reached the broker after all
    does nothing.
    """
    if not claims:
        return 0
    reservations_release([c.task_id for c in claims if c.task_id])
    with connection.cursor() as cursor:
        cursor.execute(
            _RELEASE_SQL.format(table=CleanupPolicy._meta.db_table),
            {
                "ids": [c.tenant_id for c in claims],
                "claimed": [c.next_run_at for c in claims],
                "due": [c.due_at for c in claims],
            },
        )
        return cursor.rowcount


def cleanup_fan_out(*, now: datetime | None = None) -> list[str]:
    """Queue a scheduled run for every due tenant; return the schemas queued.

    The tick itself touches no tenant schema: each task creates its own report, in place of
    the reservation the claim wrote. The claim is committed before publishing (a published
    run must find its reservation, and its tenant already advanced). The runs go out in
    Redis pipelines; when the broker refuses one, the tick stops there and releases the
    tenants of that pipeline and of the ones not yet sent — due again, reservation gone —
    so the first tick after Redis is back runs them, and each due tenant runs exactly once:
    a message of the failed pipeline that reached Redis finds no reservation and does
    nothing. Never raises for a broker failure.

    The process dying between the claim's commit and the publish (a SIGKILL, the OOM
    killer) leaves the reservations standing without messages: the reaper publishes them
    again after CLEANUP_QUEUED_TIMEOUT_S.
    """
    now = now or timezone.now()
    claims = cleanup_due_claim(now=now)
    reserved = [c for c in claims if c.task_id]
    messages = [RunMessage(c.schema_name, c.task_id or "", SCHEDULE_TASK_KWARGS) for c in reserved]
    try:
        runs_publish(messages, jitter_s=settings.CLEANUP_FANOUT_JITTER_S)
    except PublishFailed as failed:
        released = cleanup_due_release(reserved[failed.published :])
        reserved = reserved[: failed.published]
        logger.warning(
            "cleanup.fan_out.broker_unavailable",
            extra={
                "due": len(claims),
                "published": len(reserved),
                "released": released,
                "error": repr(failed.__cause__),
            },
        )
        return [c.schema_name for c in reserved]
    _tick_record(now)
    if claims:
        logger.info(
            "cleanup.fan_out",
            extra={
                "due": len(claims),
                "published": len(reserved),
                "busy": len(claims) - len(reserved),
            },
        )
    return [c.schema_name for c in reserved]


def _redis() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=settings.REDIS_TIMEOUT,
        socket_connect_timeout=settings.REDIS_TIMEOUT,
    )


def _tick_record(now: datetime) -> None:
    """Remember when the fan-out last ran, for /metrics; best effort (Redis just took the
    tick's messages, and a missing value only makes the metric look stale)."""
    try:
        _redis().set(FAN_OUT_TICK_KEY, now.timestamp())
    except redis.RedisError:
        logger.warning("cleanup.fan_out.tick_not_recorded", exc_info=True)


def fan_out_last_tick() -> float | None:
    """When the fan-out last ran (a Unix time), or None if unknown."""
    value = _redis().get(FAN_OUT_TICK_KEY)
    return float(value) if value is not None else None
