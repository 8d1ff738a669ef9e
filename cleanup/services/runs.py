"""Starting and running a cleanup. Each service owns its transactions.

A run removes people's accounts, so the invariants are strict (DESIGN §4):
- a removed user always has an audit entry and an audited user is always gone, because
  both happen in one transaction per batch;
- at most one queued-or-running run per tenant, enforced by a unique index;
- a run that would remove too large a share of the tenant removes nothing.
"""

import logging
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from cleanup.models import CleanupReport
from cleanup.policy import PolicySpec
from cleanup.selectors import eligible_users, matched_users, report_active
from cleanup.services.policy import policy_get
from cleanup.services.removal import Batch, audit_insert, users_remove
from core.errors import ServiceError
from tenants.context import current_schema
from tenants.models import CleanupPolicy

logger = logging.getLogger(__name__)

Status = CleanupReport.Status


class CleanupAlreadyActive(ServiceError):
    """A run is already queued or running for this tenant."""

    status_code = 409
    detail = "A cleanup is already queued or running."

    def __init__(self, report_id: int | None):
        super().__init__(report_id=report_id)
        self.report_id = report_id


class BrokerUnavailable(ServiceError):
    """The task queue (Redis) could not accept the run."""

    status_code = 503
    detail = "The task queue is unavailable; try again shortly."


class RunCancelled(Exception):
    """The report stopped being `running` under us (e.g. the reaper ended it)."""


# --- Starting a run -------------------------------------------------------------------------


def cleanup_report_create(
    *,
    schema_name: str,
    trigger: str,
    triggered_by: str | None = None,
    dry_run: bool | None = None,
    task_id: str = "",
) -> CleanupReport:
    """Create a `queued` report in the current (tenant) schema, snapshotting the policy.

    Raises CleanupAlreadyActive — decided by the database's unique index, not by a
    check-then-insert — when the tenant already has a queued or running run.
    """
    spec = PolicySpec.from_policy(policy_get(schema_name))
    try:
        with transaction.atomic():
            return CleanupReport.objects.create(
                status=Status.QUEUED,
                trigger=trigger,
                triggered_by=triggered_by,
                dry_run=spec.dry_run if dry_run is None else dry_run,
                action=spec.action,
                policy=spec.snapshot(),
                task_id=task_id,
            )
    except IntegrityError as exc:
        active = report_active()
        raise CleanupAlreadyActive(active.pk if active else None) from exc


def cleanup_enqueue(
    *,
    schema_name: str,
    trigger: str,
    triggered_by: str | None = None,
    dry_run: bool | None = None,
) -> CleanupReport:
    """Queue a run for a tenant: create its `queued` report, then publish the task.

    The report is committed before the task is published, so a worker always finds it.
    When the broker refuses or times out, the report is deleted again and
    BrokerUnavailable raised: no run is left `queued` forever.
    """
    from cleanup.tasks import run_tenant  # tasks import services; avoid the cycle

    task_id = str(uuid.uuid4())
    with schema_context(schema_name):
        report = cleanup_report_create(
            schema_name=schema_name,
            trigger=trigger,
            triggered_by=triggered_by,
            dry_run=dry_run,
            task_id=task_id,
        )
        try:
            run_tenant.apply_async(
                args=[schema_name],
                kwargs={"report_id": report.pk, "trigger": trigger},
                task_id=task_id,
                retry_policy=settings.CLEANUP_PUBLISH_RETRY_POLICY,
            )
        except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
            CleanupReport.objects.filter(pk=report.pk).delete()
            logger.warning(
                "cleanup.enqueue.broker_unavailable",
                extra={"tenant": schema_name, "error": repr(exc)},
            )
            raise BrokerUnavailable() from exc
    logger.info(
        "cleanup.enqueued",
        extra={"tenant": schema_name, "report_id": report.pk, "trigger": trigger},
    )
    return report


# --- Running --------------------------------------------------------------------------------


def report_finish(report: CleanupReport, status: str, error: str = "") -> None:
    report.status = status
    report.error = error
    report.finished_at = timezone.now()
    if status == Status.SUCCEEDED:
        report.progress = 1.0
    report.save(update_fields=["status", "error", "finished_at", "progress"])
    _summary_publish(report)


def _summary_publish(report: CleanupReport) -> None:
    """Copy the run's outcome to the tenant's public policy row for the operators' console."""
    CleanupPolicy.objects.filter(tenant__schema_name=current_schema()).update(
        last_report_id=report.pk,
        last_report_status=report.status,
        last_report_finished_at=report.finished_at,
        last_report_users_removed=report.users_removed,
    )


BATCH_WINDOW = 4


def _batch_next(spec: PolicySpec, now: datetime, after_pk: int, size: int) -> Batch:
    """Up to `size` matched users after `after_pk` by primary key, locked, re-checked against
    the policy — looked for among the next `size * BATCH_WINDOW` users only.

    The window's upper bound keeps each batch's query as cheap at the end of the table as at
    its start: with only `pk > after_pk`, PostgreSQL merges the exempt-group anti-join from
    the first row of the group-membership index on every batch, so a run's cost grew with
    the square of the tenant's size. A window may hold no matched user at all.
    """
    window = size * BATCH_WINDOW
    following = get_user_model().objects.filter(pk__gt=after_pk).order_by("pk")
    upper = list(following.values_list("pk", flat=True)[window - 1 : window])
    candidates = matched_users(spec, now).filter(pk__gt=after_pk)
    if upper:
        candidates = candidates.filter(pk__lte=upper[0])
    rows = (
        candidates.order_by("pk").select_for_update(of=("self",)).values_list("pk", "reason")[:size]  # type: ignore[misc]  # "reason" is annotated
    )
    ids, reasons = [], []
    for pk, reason in rows:
        ids.append(pk)
        reasons.append(reason)
    if len(ids) == size:
        next_after: int | None = ids[-1]  # the window may hold more
    else:
        next_after = upper[0] if upper else None  # window exhausted; none after it
    return Batch(ids=ids, reasons=reasons, next_after=next_after)


def cleanup_run(*, report_id: int, batch_size: int | None = None) -> CleanupReport:
    """Run a queued cleanup to its end, in the current (tenant) schema.

    Safe to call twice: only a `queued` report is started; any other is returned as is.
    Matched users are walked in keyset batches over the primary key, one transaction per
    batch — re-check, audit, remove, count — so memory stays flat and a crash loses at most
    the batch in flight, which rolls back whole. Never raises for a failure of the run
    itself: the report ends `failed` with the error.
    """
    batch_size = batch_size or settings.CLEANUP_BATCH_SIZE
    with transaction.atomic():
        report = CleanupReport.objects.select_for_update().get(pk=report_id)
        if report.status != Status.QUEUED:
            logger.info(
                "cleanup.run.skipped", extra={"report_id": report_id, "status": report.status}
            )
            return report
        now = timezone.now()
        report.status, report.started_at, report.heartbeat_at = Status.RUNNING, now, now
        report.save(update_fields=["status", "started_at", "heartbeat_at"])

    log = {"tenant": current_schema(), "report_id": report.pk}
    logger.info("cleanup.run.started", extra=log)
    try:
        _run(report, PolicySpec.from_snapshot(report.policy), now, batch_size)
    except RunCancelled:
        report.refresh_from_db()
        logger.warning("cleanup.run.cancelled", extra={**log, "status": report.status})
    except Exception as exc:
        logger.exception("cleanup.run.failed", extra=log)
        report.refresh_from_db()
        report_finish(report, Status.FAILED, f"{type(exc).__name__}: {exc}")
    logger.info(
        "cleanup.run.finished",
        extra={**log, "status": report.status, "removed": report.users_removed},
    )
    return report


def _run(report: CleanupReport, spec: PolicySpec, now: datetime, batch_size: int) -> None:
    report.users_eligible = eligible_users(spec, now).count()
    report.users_matched = matched_users(spec, now).count()
    report.save(update_fields=["users_eligible", "users_matched"])

    if (
        report.users_eligible
        and report.users_matched / report.users_eligible > spec.max_removal_ratio
    ):
        share = report.users_matched / report.users_eligible
        report_finish(
            report,
            Status.ABORTED,
            f"Safety cap: the run would remove {report.users_matched} of {report.users_eligible} "
            f"eligible users ({share:.0%}), more than max_removal_ratio "
            f"{spec.max_removal_ratio:.0%}. Nothing was removed.",
        )
        return
    if report.dry_run:
        report_finish(report, Status.SUCCEEDED)
        return

    after_pk: int | None = 0
    while after_pk is not None:
        with transaction.atomic():
            batch = _batch_next(spec, now, after_pk, batch_size)
            if batch.ids:
                audit_insert(report.pk, batch)
                report.users_removed += users_remove(spec.action, batch.ids)
                report.progress = min(1.0, report.users_removed / max(report.users_matched, 1))
            # Conditional on still `running`: if the reaper ended this run, roll the batch
            # back and stop rather than remove anyone more. Also the heartbeat, so it beats
            # through windows where nobody matched.
            updated = CleanupReport.objects.filter(pk=report.pk, status=Status.RUNNING).update(
                users_removed=report.users_removed,
                progress=report.progress,
                heartbeat_at=timezone.now(),
            )
            if not updated:
                raise RunCancelled()
        after_pk = batch.next_after
    report_finish(report, Status.SUCCEEDED)
