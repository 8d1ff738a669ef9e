"""Starting and running a cleanup. Each service owns its transactions.

A run removes people's accounts, so the invariants are strict (DESIGN §4):
- a removed user always has an audit entry and an audited user is always gone, because
  both happen in one transaction per batch;
- at most one queued-or-running run per tenant, enforced by a unique index;
- a run that would remove too large a share of the tenant removes nothing.
"""

import logging
import time
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import (
    Error,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context
from psycopg2 import errors as pg_errors

from cleanup.models import CleanupReport
from cleanup.policy import PolicySpec
from cleanup.selectors import eligible_users, matched_users, report_active
from cleanup.services.policy import policy_get
from cleanup.services.registry import FINISHED_STATUSES as FINISHED_STATUSES
from cleanup.services.registry import (
    registry_heartbeat,
    registry_report_active,
    registry_report_changed,
    registry_report_withdrawn,
    registry_reservation_claim,
)
from cleanup.services.removal import Batch, audit_insert, users_remove
from core.errors import ServiceError
from tenants.context import current_schema
from tenants.models import Tenant

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


class TenantNotFound(ServiceError):
    """No tenant has this schema name (the public schema is no tenant)."""

    status_code = 404
    detail = "No such tenant."


class TenantSuspended(ServiceError):
    """The tenant is suspended (`is_active=False`): no run starts."""

    status_code = 403
    detail = "This tenant is suspended."


class ReportNotFound(ServiceError):
    """The report a task was given is gone (its tenant was deleted and re-created)."""

    status_code = 404
    detail = "No such report."


class RunCancelled(Exception):
    """The report stopped being `running` under us (e.g. the reaper ended it)."""


# --- Starting a run -------------------------------------------------------------------------


def _tenant_check(schema_name: str) -> None:
    """Raise TenantNotFound or TenantSuspended unless runs may start in this tenant."""
    is_active = (
        Tenant.objects.exclude(schema_name=get_public_schema_name())
        .filter(schema_name=schema_name)
        .values_list("is_active", flat=True)
        .first()
    )
    if is_active is None:
        raise TenantNotFound()
    if not is_active:
        raise TenantSuspended()


def cleanup_report_create(
    *,
    schema_name: str,
    trigger: str,
    triggered_by: str | None = None,
    dry_run: bool | None = None,
    task_id: str = "",
    reserved: bool = False,
) -> CleanupReport:
    """Create a `queued` report in the current (tenant) schema, snapshotting the policy, and
    record it in the public registry in the same transaction.

    Raises CleanupAlreadyActive — decided by the database's unique index, not by a
    check-then-insert — when the tenant already has a queued or running run. With
    `reserved`, the report takes the place of task `task_id`'s reservation, and RunWithdrawn
    (nothing created) is raised when that reservation no longer stands.
    """
    spec = PolicySpec.from_policy(policy_get(schema_name))
    try:
        with transaction.atomic():
            report = CleanupReport.objects.create(
                status=Status.QUEUED,
                trigger=trigger,
                triggered_by=triggered_by,
                dry_run=spec.dry_run if dry_run is None else dry_run,
                action=spec.action,
                policy=spec.snapshot(),
                task_id=task_id,
            )
            if reserved:
                registry_reservation_claim(report, task_id)
            else:
                registry_report_active(report)
            return report
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
    BrokerUnavailable raised: no run is left `queued` forever. TenantNotFound and
    TenantSuspended are raised before any report is created.
    """
    from cleanup.tasks import run_tenant  # tasks import services; avoid the cycle

    _tenant_check(schema_name)
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
            # Only while still `queued`: a publish whose reply timed out may have reached
            # Redis, and a worker may already run it (removing users, writing their audit).
            # Deleting that report would delete the audit with it.
            with transaction.atomic():
                withdrawn, _ = CleanupReport.objects.filter(
                    pk=report.pk, status=Status.QUEUED
                ).delete()
                if withdrawn:
                    registry_report_withdrawn(report.pk)
            logger.warning(
                "cleanup.enqueue.broker_unavailable",
                extra={"tenant": schema_name, "error": repr(exc), "withdrawn": bool(withdrawn)},
            )
            if withdrawn:
                raise BrokerUnavailable() from exc
            report.refresh_from_db()
    logger.info(
        "cleanup.enqueued",
        extra={"tenant": schema_name, "report_id": report.pk, "trigger": trigger},
    )
    return report


def cleanup_start(
    *,
    schema_name: str,
    report_id: int | None = None,
    trigger: str = CleanupReport.Trigger.SCHEDULE,
    triggered_by: str | None = None,
    dry_run: bool | None = None,
    batch_size: int | None = None,
    task_id: str = "",
    reserved: bool = False,
) -> CleanupReport:
    """Run a tenant's cleanup in this process, in the tenant's schema, and return its report.

    The worker's task and `manage.py cleanup_run` both come here. Without `report_id` the
    report is created first (with `reserved`, in place of task `task_id`'s reservation in
    the registry). Raises ValueError for the public schema or an empty name (a caller's
    bug), TenantNotFound, ReportNotFound, CleanupAlreadyActive (no `report_id` and a run is
    active), RunWithdrawn (the reservation is gone) and TenantSuspended (no `report_id`). A
    report queued before its tenant was suspended is ended `aborted` instead of run, so
    nothing is left `queued`.
    """
    if not schema_name or schema_name == get_public_schema_name():
        raise ValueError(f"A cleanup needs a tenant schema name, got {schema_name!r}")
    try:
        _tenant_check(schema_name)
        suspended = False
    except TenantSuspended:
        if report_id is None:
            raise
        suspended = True
    with schema_context(schema_name):
        if report_id is None:
            report_id = cleanup_report_create(
                schema_name=schema_name,
                trigger=trigger,
                triggered_by=triggered_by,
                dry_run=dry_run,
                task_id=task_id,
                reserved=reserved,
            ).pk
        report = CleanupReport.objects.filter(pk=report_id).first()
        if report is None:
            raise ReportNotFound()
        if suspended:
            report_finish(
                report,
                Status.ABORTED,
                "The tenant was suspended before this run started. Nothing was removed.",
                from_statuses=(Status.QUEUED,),
            )
            logger.warning(
                "cleanup.run.tenant_suspended",
                extra={"tenant": schema_name, "report_id": report.pk, "status": report.status},
            )
            return report
        return cleanup_run(report_id=report.pk, batch_size=batch_size)


# --- Running --------------------------------------------------------------------------------


def report_transition(
    report: CleanupReport, status: str, *, from_statuses: tuple[str, ...], **fields: object
) -> bool:
    """Move a run to `status` (writing `fields` too), only if it is still in one of
    `from_statuses`; say whether it took. `report` is reloaded either way, so it shows what
    the database holds.

    Every status change of an existing report comes here, so each is conditional — a worker
    and the reaper can both reach a run's end, and the run the reaper ended stays ended —
    and the public registry that mirrors it (`cleanup.services.registry`) is written in the
    same transaction, only when the change took.
    """
    with transaction.atomic():
        took = bool(
            CleanupReport.objects.filter(pk=report.pk, status__in=from_statuses).update(
                status=status, **fields
            )
        )
        report.refresh_from_db()
        if took:
            registry_report_changed(report)
    return took


def report_finish(
    report: CleanupReport,
    status: str,
    error: str = "",
    *,
    from_statuses: tuple[str, ...],
) -> bool:
    """End a run with `status` and `error` (a report_transition); say whether it took.

    The worker and the reaper end `running` runs; a run whose tenant was suspended ends from
    `queued`.
    """
    fields: dict[str, object] = {"error": error, "finished_at": timezone.now()}
    if status == Status.SUCCEEDED:
        fields["progress"] = 1.0
    took = report_transition(report, status, from_statuses=from_statuses, **fields)
    if not took:
        logger.warning(
            "cleanup.run.already_ended",
            extra={"report_id": report.pk, "status": report.status, "wanted": status},
        )
    return took


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
    itself: the report ends `failed` with the error. Raises ReportNotFound when the report
    is gone.
    """
    batch_size = batch_size or settings.CLEANUP_BATCH_SIZE
    with transaction.atomic():
        report = CleanupReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None:  # withdrawn: its publish failed (cleanup_enqueue)
            raise ReportNotFound()
        if report.status != Status.QUEUED:
            logger.info(
                "cleanup.run.skipped", extra={"report_id": report_id, "status": report.status}
            )
            return report
        now = timezone.now()
        report.status, report.started_at, report.heartbeat_at = Status.RUNNING, now, now
        report.save(update_fields=["status", "started_at", "heartbeat_at"])
        registry_report_active(report)

    log = {"tenant": current_schema(), "report_id": report.pk}
    logger.info("cleanup.run.started", extra=log)
    try:
        _run(report, PolicySpec.from_snapshot(report.policy), now, batch_size)
    except RunCancelled:
        report.refresh_from_db()
        logger.warning("cleanup.run.cancelled", extra={**log, "status": report.status})
    except Exception as exc:
        logger.exception("cleanup.run.failed", extra=log)
        _run_fail(report, exc)
    logger.info(
        "cleanup.run.finished",
        extra={**log, "status": report.status, "removed": report.users_removed},
    )
    return report


# Waits before each new try at recording a failure after the database dropped the
# connection: a restarting PostgreSQL is back within seconds.
FAIL_RETRY_DELAYS_S = (1.0, 2.0, 4.0, 8.0)
# SQLSTATEs of a server that ended the session: admin_shutdown (pg_terminate_backend, a
# fast shutdown), crash_shutdown, cannot_connect_now (still starting up).
SESSION_ENDED_CODES = {"57P01", "57P02", "57P03"}


def _is_connection_lost(exc: BaseException) -> bool:
    """Whether `exc` says the database connection broke, rather than that a statement failed.

    Checked on the error, not on the connection: by the time the run's handler sees it, the
    failed rollback may already have made Django drop the connection and open a fresh one.
    """
    if isinstance(exc, InterfaceError):  # the driver's "connection/cursor already closed"
        return True
    if isinstance(exc, OperationalError):
        code = getattr(exc.__cause__, "pgcode", None)
        # No SQLSTATE: libpq lost the server ("server closed the connection unexpectedly").
        return code is None or code.startswith("08") or code in SESSION_ENDED_CODES
    return False


def _connection_drop_if_broken() -> None:
    """Close a broken connection (outside any transaction) so the next query opens a new one,
    search_path included."""
    if connection.connection is None or connection.in_atomic_block:
        return
    if not connection.is_usable():
        connection.close()


def _failure_message(exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}".strip()
    if isinstance(exc.__cause__, pg_errors.LockNotAvailable):
        return (
            "Lock timeout: a user of the batch stayed locked by another transaction for more "
            f"than {settings.CLEANUP_LOCK_TIMEOUT_MS} ms (CLEANUP_LOCK_TIMEOUT_MS); the batch "
            "was rolled back. Start a new run to finish the job."
        )
    if _is_connection_lost(exc):
        return (
            f"Database connection lost: {error}; the batch in flight was rolled back. "
            "Start a new run to finish the job."
        )
    return error


def _run_fail(report: CleanupReport, exc: Exception) -> None:
    """End the run `failed` with the real cause of `exc`, whatever state the connection is in.

    When the database dropped the connection (a restart, a failover), recording the failure
    needs a new one: without it the write fails too, the run stays `running`, and the reaper
    ends it minutes later as "worker lost". The broken connection is closed and the write
    tried again for a few seconds while PostgreSQL comes back; if it never does, this
    raises and the reaper still frees the tenant.
    """
    error = _failure_message(exc)
    delays = (0.0, *FAIL_RETRY_DELAYS_S)
    for attempt, delay in enumerate(delays, start=1):
        time.sleep(delay)
        try:
            _connection_drop_if_broken()
            report_finish(report, Status.FAILED, error, from_statuses=(Status.RUNNING,))
            return
        except Error as write_error:
            if not _is_connection_lost(write_error) or attempt == len(delays):
                raise
            logger.warning(
                "cleanup.run.fail_retry", extra={"report_id": report.pk, "error": repr(write_error)}
            )


def _lock_timeout_set() -> None:
    """Bound how long this batch's transaction waits for a row lock (a user someone else is
    editing): it fails with a clear error instead of hanging until the task's time limit."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true)",
            [f"{settings.CLEANUP_LOCK_TIMEOUT_MS}ms"],
        )


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
            from_statuses=(Status.RUNNING,),
        )
        return
    if report.dry_run:
        report_finish(report, Status.SUCCEEDED, from_statuses=(Status.RUNNING,))
        return

    after_pk: int | None = 0
    while after_pk is not None:
        with transaction.atomic():
            _lock_timeout_set()
            batch = _batch_next(spec, now, after_pk, batch_size)
            if batch.ids:
                audit_insert(report.pk, batch, spec.action)
                report.users_removed += users_remove(spec.action, batch.ids)
                report.progress = min(1.0, report.users_removed / max(report.users_matched, 1))
            # Conditional on still `running`: if the reaper ended this run, roll the batch
            # back and stop rather than remove anyone more. Also the heartbeat, so it beats
            # through windows where nobody matched.
            beat = timezone.now()
            updated = CleanupReport.objects.filter(pk=report.pk, status=Status.RUNNING).update(
                users_removed=report.users_removed, progress=report.progress, heartbeat_at=beat
            )
            if not updated:
                raise RunCancelled()
            registry_heartbeat(report.pk, beat)
        after_pk = batch.next_after
    report_finish(report, Status.SUCCEEDED, from_statuses=(Status.RUNNING,))
