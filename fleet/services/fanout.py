"""Scheduling and housekeeping across the fleet: beat's fan-out of due tenants, operators'
trigger-all, and the reaper — each in a fixed number of queries however many tenants there
are (DESIGN §12), through the public registry of active runs (`cleanup.services.registry`).
"""

import functools
import logging
import random
import uuid
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context
from psycopg2.extras import Json

from cleanup.models import CleanupReport
from cleanup.services.registry import (
    ActiveRun,
    active_runs,
    registry_heartbeat,
    registry_report_changed,
    registry_report_withdrawn,
    registry_republished,
    reservations_make,
    reservations_release,
)
from cleanup.services.runs import (
    BrokerUnavailable,
    report_finish,
    report_transition,
    run_publish,
)
from tenants import schedule
from tenants.models import CleanupPolicy, Tenant

logger = logging.getLogger(__name__)

Status = CleanupReport.Status

# Run messages per Redis pipeline (kombu's publish batch): one round trip each.
PUBLISH_BATCH_SIZE = 1000
# Runs per message of trigger-all's `cleanup.publish_runs` task.
DISPATCH_CHUNK = 500
# Where the fan-out records when it last ran (for /metrics' "seconds since the last tick").
FAN_OUT_TICK_KEY = "cleanup:fan_out:last_tick"


# --- Publishing runs in bulk ----------------------------------------------------------------


class RunMessage(NamedTuple):
    """One `cleanup.run_tenant` message: the tenant, the task's id and its kwargs."""

    schema_name: str
    task_id: str
    kwargs: dict[str, Any]


class PublishFailed(Exception):
    """The broker refused a batch: the first `published` messages surely reached it; the
    failed batch's delivery is uncertain, and the rest were never sent."""

    def __init__(self, published: int):
        super().__init__(f"publish failed after {published} messages")
        self.published = published


def runs_publish(messages: list[RunMessage], *, jitter_s: float = 0) -> None:
    """Publish run tasks through one producer, PUBLISH_BATCH_SIZE per Redis pipeline (one
    round trip each, kombu's publish batch).

    Raises PublishFailed when the broker refuses. A failed pipeline's delivery is uncertain
    (kombu cannot tell which of its commands Redis ran), so callers publish only *reserved*
    runs and release the reservations of every message from the failed batch on: a message
    that reached Redis after all then does nothing. `jitter_s` delays each run by a random
    0 to jitter_s seconds, so a thousand tenants due at 03:00 do not all start at once.
    """
    from cleanup.tasks import run_tenant  # tasks import services; avoid the cycle

    published = 0
    try:
        with run_tenant.app.producer_or_acquire() as producer:
            for start in range(0, len(messages), PUBLISH_BATCH_SIZE):
                batch = messages[start : start + PUBLISH_BATCH_SIZE]
                with producer.batch(PUBLISH_BATCH_SIZE):  # flushed on leaving the block
                    for message in batch:
                        run_tenant.apply_async(
                            args=[message.schema_name],
                            kwargs=message.kwargs,
                            task_id=message.task_id,
                            countdown=random.uniform(0, jitter_s) if jitter_s else 0,  # noqa: S311 -- not secret
                            producer=producer,
                            retry_policy=settings.CLEANUP_PUBLISH_RETRY_POLICY,
                        )
                published += len(batch)
    except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
        raise PublishFailed(published) from exc


# --- Beat's fan-out -------------------------------------------------------------------------


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


# --- Operators' trigger-all -----------------------------------------------------------------


class SkippedRun(NamedTuple):
    tenant: str
    reason: str


_BUSY: dict[str, str] = {
    Status.QUEUED: "queued",
    Status.RUNNING: "running",
    Status.AWAITING_APPROVAL: "awaiting approval",
}


def _busy_reason(status: str, report_id: int | None) -> str:
    run = f" (report {report_id})" if report_id else ""
    return f"A cleanup is already {_BUSY.get(status, status)}{run}."


def cleanup_trigger_many(
    *, schema_names: list[str] | None, dry_run: bool | None, triggered_by: str | None
) -> tuple[list[str], list[SkippedRun]]:
    """Queue a platform run in each named tenant (default: every active tenant); return the
    tenants queued and the ones skipped, with the reason.

    Constant work in the request, whatever the number of tenants: one query reads the
    tenants' registry rows, one writes the reservations of the idle ones, and the runs
    go to the broker as a few `cleanup.publish_runs` messages, which a worker expands into
    one run task each (`runs_publish`); every task then creates its own report, as scheduled
    runs do. A tenant is skipped when unknown, suspended, without a policy, or already
    running (or queued, or awaiting approval). Raises BrokerUnavailable when the broker
    refuses, after releasing the reservations again: nothing is left half-made, and a
    message that reached Redis after all finds no reservation and does nothing.

    The process dying between the reservations' commit and the publish leaves reservations
    without messages: the reaper publishes them after CLEANUP_QUEUED_TIMEOUT_S.
    """
    from cleanup.tasks import publish_runs  # tasks import services; avoid the cycle

    public = get_public_schema_name()
    names = list(dict.fromkeys(schema_names)) if schema_names else None
    task_kwargs = {
        "trigger": CleanupReport.Trigger.PLATFORM,
        "triggered_by": triggered_by,
        "dry_run": dry_run,
        "reserved": True,
    }
    policies = CleanupPolicy.objects.exclude(tenant__schema_name=public)
    if names is None:
        policies = policies.filter(tenant__is_active=True)
    else:
        policies = policies.filter(tenant__schema_name__in=names)
    found = {
        row[1]: row
        for row in policies.values_list(
            "pk",
            "tenant__schema_name",
            "tenant__is_active",
            "active_report_status",
            "active_report_id",
        )
    }
    idle = [pk for pk, _, is_active, status, _ in found.values() if is_active and not status]
    reserved = reservations_make(idle, task_kwargs, timezone.now())
    without_policy = _tenants_without_policy([n for n in names or [] if n not in found])
    skipped: list[SkippedRun] = []
    runs: list[list[str]] = []
    for schema_name in names if names is not None else sorted(found):
        if schema_name not in found:
            reason = (
                "This tenant has no cleanup policy."
                if schema_name in without_policy
                else "No such tenant."
            )
            skipped.append(SkippedRun(schema_name, reason))
            continue
        pk, _, is_active, status, report_id = found[schema_name]
        if not is_active:
            skipped.append(SkippedRun(schema_name, "This tenant is suspended."))
        elif pk in reserved:
            runs.append([schema_name, reserved[pk]])
        else:  # busy, or a run took the slot between the read and the reservation
            skipped.append(
                SkippedRun(schema_name, _busy_reason(status or Status.QUEUED, report_id))
            )
    # Published once the reservations are committed: a worker may take a message at once,
    # and its run must find its reservation.
    if runs:
        try:
            _dispatch_publish(publish_runs, runs, task_kwargs)
        except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
            released = reservations_release([task_id for _, task_id in runs])
            logger.warning(
                "cleanup.trigger_many.broker_unavailable",
                extra={"tenants": len(runs), "released": released, "error": repr(exc)},
            )
            raise BrokerUnavailable() from exc
    queued = [schema_name for schema_name, _ in runs]
    logger.info(
        "cleanup.trigger_many",
        extra={"queued": len(queued), "skipped": len(skipped), "triggered_by": triggered_by},
    )
    return queued, skipped


def _dispatch_publish(task: Any, runs: list[list[str]], task_kwargs: dict[str, Any]) -> None:
    with task.app.producer_or_acquire() as producer, producer.batch():
        for start in range(0, len(runs), DISPATCH_CHUNK):
            task.apply_async(
                args=[runs[start : start + DISPATCH_CHUNK], task_kwargs],
                producer=producer,
                retry_policy=settings.CLEANUP_PUBLISH_RETRY_POLICY,
            )


def _tenants_without_policy(names: list[str]) -> set[str]:
    """Which of these names (not found with a policy) are tenants nonetheless: rows made
    outside the provisioning service, which no run can use. One query, or none."""
    if not names:
        return set()
    tenants = Tenant.objects.filter(schema_name__in=names).exclude(
        schema_name=get_public_schema_name()
    )
    return set(tenants.values_list("schema_name", flat=True))


def cleanup_runs_dispatch(runs: list[list[str]], task_kwargs: dict[str, Any]) -> int:
    """Publish the run tasks of a trigger-all (a worker's half of `cleanup_trigger_many`):
    `runs` are [schema name, task id] pairs whose reservations the request wrote. Safe to run
    twice: a second copy of a task finds its reservation taken and does nothing."""
    runs_publish([RunMessage(schema, task_id, task_kwargs) for schema, task_id in runs])
    return len(runs)


# --- The reaper -----------------------------------------------------------------------------


def cleanup_reap_stale(*, now: datetime | None = None) -> list[tuple[str, int]]:
    """End runs whose worker is gone, expire unanswered approvals, and re-publish runs that
    may have lost their task; return (schema, report id) of the runs it ended.

    One query over the registry finds the runs to act on; only their schemas are visited,
    each in its own transaction, so a tick costs the same at 2,000 tenants as at 10:
    - `running` with no heartbeat for CLEANUP_STALE_AFTER_S → `failed` ("Worker lost");
    - `awaiting_approval` for CLEANUP_APPROVAL_TTL_H → `aborted` ("approval expired");
    - `queued` for CLEANUP_QUEUED_TIMEOUT_S since its last publish → published again (never
      failed: it may only be waiting behind a long trigger-all), at most once per period;
      with the broker down it is left for a later tick. A reservation (no report yet) is
      re-published as it was, in bulk, without visiting its schema.

    The report in the tenant's schema is the truth: where the registry disagrees with it (a
    run that ended under code older than the registry), the registry is corrected from the
    report. A tenant that fails (its schema dropped, a table missing) is logged and skipped.
    """
    now = now or timezone.now()
    stale_heartbeat = now - timedelta(seconds=settings.CLEANUP_STALE_AFTER_S)
    stale_publish = now - timedelta(seconds=settings.CLEANUP_QUEUED_TIMEOUT_S)
    expired = now - timedelta(hours=settings.CLEANUP_APPROVAL_TTL_H)
    candidates = active_runs(
        CleanupPolicy.objects.filter(
            Q(active_report_status=Status.RUNNING, active_report_heartbeat_at__lt=stale_heartbeat)
            | Q(active_report_status=Status.QUEUED, active_report_heartbeat_at__lt=stale_publish)
            | Q(active_report_status=Status.AWAITING_APPROVAL, active_report_since__lt=expired)
            # A row written before the registry had every column: look at its report.
            | Q(active_report_heartbeat_at__isnull=True)
        )
    )
    broker_up = _reservations_republish([c for c in candidates if c.report_id is None], now)
    reaped: list[tuple[str, int]] = []
    for run in candidates:
        if run.report_id is None:
            continue
        try:
            with schema_context(run.schema_name):
                ended, broker_up = _reap_run(run, now, republish=broker_up)
        except Exception:
            logger.exception(
                "cleanup.reap.failed", extra={"tenant": run.schema_name, "report_id": run.report_id}
            )
            continue
        if ended:
            reaped.append((run.schema_name, run.report_id))
    return reaped


def _reservations_republish(runs: list[ActiveRun], now: datetime) -> bool:
    """Publish again, as they were, reserved runs whose task never created its report (lost
    with a Redis restart, or still waiting in a long queue: then the copy does nothing).
    One batch, one UPDATE; say whether the broker took them."""
    if not runs:
        return True
    messages = [
        RunMessage(r.schema_name, r.task_id, r.task_kwargs or SCHEDULE_TASK_KWARGS) for r in runs
    ]
    try:
        runs_publish(messages)
        published = len(runs)
    except PublishFailed as failed:
        published = failed.published
        logger.warning(
            "cleanup.run.republish_failed",
            extra={"reservations": len(runs), "error": repr(failed.__cause__)},
        )
    # Those surely published wait a whole period again; the others are tried next tick.
    CleanupPolicy.objects.filter(
        active_task_id__in=[r.task_id for r in runs[:published]], active_report_id__isnull=True
    ).update(active_report_heartbeat_at=now)
    if published:
        logger.info("cleanup.run.republished", extra={"reservations": published})
    return published == len(runs)


def _reap_run(run: ActiveRun, now: datetime, republish: bool) -> tuple[bool, bool]:
    """Act on one registry entry in its tenant's (current) schema; return whether the run
    was ended, and whether the broker is still worth trying."""
    stale_heartbeat = now - timedelta(seconds=settings.CLEANUP_STALE_AFTER_S)
    stale_publish = now - timedelta(seconds=settings.CLEANUP_QUEUED_TIMEOUT_S)
    expired = now - timedelta(hours=settings.CLEANUP_APPROVAL_TTL_H)
    report_id = run.report_id
    if report_id is None:  # a reservation: republished in bulk, no schema to visit
        return False, republish
    with transaction.atomic():
        # Locked, skipping a row its worker holds mid-batch: that run is plainly not lost.
        report = CleanupReport.objects.select_for_update(skip_locked=True).filter(pk=report_id)
        locked = report.first()
        if locked is None:
            if not CleanupReport.objects.filter(pk=report_id).exists():
                # Deleted without its mirror (by hand, or before the registry existed).
                registry_report_withdrawn(report_id)
            return False, republish
        if locked.status != run.status or locked.status not in CleanupReport.ACTIVE_STATUSES:
            registry_report_changed(locked)  # the registry was behind its report
            logger.warning(
                "cleanup.registry.corrected",
                extra={"report_id": locked.pk, "registry": run.status, "report": locked.status},
            )
        if locked.status == Status.RUNNING:
            if locked.heartbeat_at and locked.heartbeat_at >= stale_heartbeat:
                registry_heartbeat(locked.pk, locked.heartbeat_at)  # only the mirror lagged
                return False, republish
            report_finish(
                locked,
                Status.FAILED,
                "Worker lost: no heartbeat since "
                f"{locked.heartbeat_at or locked.started_at or locked.created_at:%Y-%m-%d %H:%M:%S}"
                " UTC; the batch in flight was rolled back. Start a new run to finish the job.",
                from_statuses=(Status.RUNNING,),
            )
            logger.warning(
                "cleanup.run.reaped", extra={"tenant": run.schema_name, "report_id": locked.pk}
            )
            return True, republish
        if locked.status == Status.AWAITING_APPROVAL:
            asked = run.since if run.status == locked.status and run.since else now
            if asked >= expired:
                return False, republish
            hours = settings.CLEANUP_APPROVAL_TTL_H
            report_transition(
                locked,
                Status.ABORTED,
                from_statuses=(Status.AWAITING_APPROVAL,),
                error=f"Approval expired: nobody approved or rejected this run within {hours} "
                "hours. Nothing was removed.",
                finished_at=now,
            )
            logger.warning(
                "cleanup.run.approval_expired",
                extra={"tenant": run.schema_name, "report_id": locked.pk},
            )
            return True, republish
        if locked.status == Status.QUEUED and republish:
            published = locked.published_at or locked.created_at
            if published < stale_publish:
                republish = _run_republish(run, locked, now)
    return False, republish


def _run_republish(run: ActiveRun, report: CleanupReport, now: datetime) -> bool:
    """Publish a still-`queued` run's task again; False when the broker refuses.

    Safe however many copies reach the queue: the run starts only from `queued`, so the
    first copy a worker takes runs it and the others return at once.
    """
    try:
        run_publish(run.schema_name, report)
    except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
        logger.warning(
            "cleanup.run.republish_failed",
            extra={"tenant": run.schema_name, "report_id": report.pk, "error": repr(exc)},
        )
        return False
    CleanupReport.objects.filter(pk=report.pk, status=Status.QUEUED).update(published_at=now)
    registry_republished(run.tenant_id, now, report.pk)
    logger.info(
        "cleanup.run.republished", extra={"tenant": run.schema_name, "report_id": report.pk}
    )
    return True
