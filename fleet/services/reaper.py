"""The reaper: every minute, end runs whose worker is gone, expire unanswered approvals, and
publish again runs that may have lost their task — one query over the public registry finds
them, and only their schemas are visited (docs/architecture.md#the-fleet).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import schema_context

from cleanup.models import CleanupReport
from cleanup.services.registry import (
    ActiveRun,
    active_runs,
    registry_heartbeat,
    registry_report_changed,
    registry_report_withdrawn,
    registry_republished,
)
from cleanup.services.start import run_publish
from cleanup.services.transitions import report_finish, report_transition
from fleet.services.fanout import SCHEDULE_TASK_KWARGS
from fleet.services.publish import PublishFailed, RunMessage, runs_publish
from policy.models import CleanupPolicy

logger = logging.getLogger(__name__)

Status = CleanupReport.Status


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
