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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.db import (
    Error,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    reset_queries,
    transaction,
)
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context
from psycopg2 import errors as pg_errors

from activity.models import ActivityEvent
from activity.services import activity_record
from cleanup.models import CleanupReport
from cleanup.policy import PolicySpec, cap_exceeded, cap_message
from cleanup.selectors import report_active, stage_counts
from cleanup.services.admin_mail import admin_event, admins_notify_enqueue
from cleanup.services.notices import notices_pending_enqueue
from cleanup.services.policy import policy_get
from cleanup.services.registry import FINISHED_STATUSES as FINISHED_STATUSES
from cleanup.services.registry import (
    registry_heartbeat,
    registry_report_active,
    registry_report_changed,
    registry_report_withdrawn,
    registry_reservation_claim,
)
from cleanup.services.stages import Batch, expire_batches, remove_batches, warn_batches
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


def run_publish(schema_name: str, report: CleanupReport, task_id: str | None = None) -> None:
    """Publish the `cleanup.run_tenant` task that runs `report`, retrying as
    CLEANUP_PUBLISH_RETRY_POLICY says; raises what the broker raises. Every publish of one
    report's run goes through here: queueing it, approving it, and the reaper's re-publish."""
    from cleanup.tasks import run_tenant  # tasks import services; avoid the cycle

    run_tenant.apply_async(
        args=[schema_name],
        kwargs={"report_id": report.pk, "trigger": report.trigger},
        task_id=task_id,
        retry_policy=settings.CLEANUP_PUBLISH_RETRY_POLICY,
    )


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

    A tenant admin's run (`manual`, with `triggered_by`) is logged as `cleanup.triggered`
    in the report's own transaction, and withdrawn with the report.
    """
    _tenant_check(schema_name)
    task_id = str(uuid.uuid4())
    with schema_context(schema_name):
        with transaction.atomic():
            report = cleanup_report_create(
                schema_name=schema_name,
                trigger=trigger,
                triggered_by=triggered_by,
                dry_run=dry_run,
                task_id=task_id,
            )
            if trigger == CleanupReport.Trigger.MANUAL and triggered_by:
                activity_record(
                    actor=triggered_by,
                    verb=ActivityEvent.Verb.CLEANUP_TRIGGERED,
                    target=f"report {report.pk}",
                    data={"report_id": report.pk, "dry_run": report.dry_run},
                )
        try:
            run_publish(schema_name, report, task_id)
        except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
            # Only while still `queued`: a publish whose reply timed out may have reached
            # Redis, and a worker may already run it (removing users, writing their audit).
            # Deleting that report would delete the audit with it.
            withdrawn = _report_withdraw(report)
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


def _report_withdraw(report: CleanupReport) -> bool:
    """Delete a run whose publish failed, and its `cleanup.triggered` event, in one
    transaction — only while still `queued`; say whether it was."""
    with transaction.atomic():
        withdrawn, _ = CleanupReport.objects.filter(pk=report.pk, status=Status.QUEUED).delete()
        if withdrawn:
            # Written after the report in its transaction: `at` bounds the index scan.
            ActivityEvent.objects.filter(
                verb=ActivityEvent.Verb.CLEANUP_TRIGGERED,
                at__gte=report.created_at,
                data__report_id=report.pk,
            ).delete()
            registry_report_withdrawn(report.pk)
    return bool(withdrawn)


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
            _mail_schedule(report)
    return took


def report_finish(
    report: CleanupReport,
    status: str,
    error: str = "",
    *,
    from_statuses: tuple[str, ...],
    counters: dict[str, int] | None = None,
) -> bool:
    """End a run with `status` and `error` (a report_transition, writing `counters` with
    it); say whether it took.

    The worker and the reaper end `running` runs; a run whose tenant was suspended ends from
    `queued`.
    """
    fields: dict[str, object] = {**(counters or {}), "error": error, "finished_at": timezone.now()}
    if status == Status.SUCCEEDED:
        fields["progress"] = 1.0
    took = report_transition(report, status, from_statuses=from_statuses, **fields)
    if not took:
        logger.warning(
            "cleanup.run.already_ended",
            extra={"report_id": report.pk, "status": report.status, "wanted": status},
        )
    return took


def _mail_schedule(report: CleanupReport) -> None:
    """What the report's new status owes by mail, published once the transition commits (a
    rolled-back transition sends nothing): the tenant admins' email when `admin_event` says
    so, and — when a real run ends or stops for approval — the sender of the tenant's unsent
    notices, those its warn stage wrote and any an earlier run left (DESIGN §12: nothing
    periodic looks for them). Neither publish can fail the transition."""
    schema_name = current_schema()
    event = admin_event(report)
    if event:
        transaction.on_commit(
            partial(admins_notify_enqueue, schema_name, report.pk, event), robust=True
        )
    if not report.dry_run and report.status in (*FINISHED_STATUSES, Status.AWAITING_APPROVAL):
        transaction.on_commit(partial(notices_pending_enqueue, schema_name), robust=True)


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
        # An approved run comes back `queued` with the counters of what it would have done
        # (§10): it starts again from zero and counts what it does.
        report_transition(
            report,
            Status.RUNNING,
            from_statuses=(Status.QUEUED,),  # it is: the row is locked
            started_at=now,
            heartbeat_at=now,
            error="",
            progress=0.0,
            **dict.fromkeys(COUNTERS, 0),
        )

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
        extra={**log, "status": report.status, "removed": report.users_really_removed},
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


@contextmanager
def _lock_timeout_bounded() -> Iterator[None]:
    """Bound how long each batch waits for a row lock (a user someone else is editing): the
    batch fails with a clear error instead of hanging until the task's time limit.

    Set once for the connection's session while the stages run, not in every batch's
    transaction — one statement per run instead of one per batch — and reset after, so a
    worker's persistent connection does not carry it into its next task. A connection that
    broke meanwhile is closed instead: a new one starts without it.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, false)",
            [f"{settings.CLEANUP_LOCK_TIMEOUT_MS}ms"],
        )
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        except Error:
            # The connection broke (or its transaction did): whatever the run raised is the
            # error worth reporting, and cleanup_run's handler closes a broken connection.
            logger.warning("cleanup.run.lock_timeout_reset_failed", exc_info=True)


COUNTERS = ("users_warned", "users_deactivated", "users_deleted", "users_removed")


class Stage(NamedTuple):
    """One stage of a run: what prepares its batches (given the report's id, the policy and
    the run's `now`; each batch given `after_pk` and its size), the report counter it adds
    to, and how many times CLEANUP_BATCH_SIZE users its batches take."""

    name: str
    batches: Callable[[int, PolicySpec, datetime], Callable[[int, int], Batch]]
    counter: str
    removes: bool
    scale: int = 1


# The warn stage locks no row and sends nothing (the outbox does): its batches only bound a
# transaction's length and the progress's steps, so they can be larger than the removal's.
# A commit per 1,000 notices (its fsync and the deferred key checks) made the stage three
# times an INSERT … SELECT of them all.
WARN_BATCH_SCALE = 5


def stages_for(spec: PolicySpec) -> list[Stage]:
    """The stages this policy runs, in order (DESIGN §9). Looked up at each run, so tests can
    stand in for a stage's batches."""
    stages = []
    if spec.notice_days:
        stages.append(
            Stage("warn", warn_batches, "users_warned", removes=False, scale=WARN_BATCH_SCALE)
        )
    removed_counter = "users_deleted" if spec.action == "delete" else "users_deactivated"
    stages.append(Stage("remove", remove_batches, removed_counter, removes=True))
    if spec.action == "deactivate" and spec.delete_after_days is not None:
        stages.append(Stage("expire", expire_batches, "users_deleted", removes=True))
    return stages


def _run(report: CleanupReport, spec: PolicySpec, now: datetime, batch_size: int) -> None:
    """Count, apply the safety cap, then run the stages (or, for a dry run, only count).

    Every count comes first, before any stage changes anything: the safety cap weighs
    everyone the run would deactivate or delete against the eligible users. An approved run
    (`removal_limit` set, DESIGN §10) skips the cap and removes at most that many users.
    """
    counts = stage_counts(spec, now)
    would = {
        "users_warned": counts.to_warn,
        "users_deactivated": counts.to_deactivate,
        "users_deleted": counts.to_delete,
        "users_removed": counts.removing,
    }
    report.users_eligible, report.users_matched = counts.eligible, counts.matched
    report.save(update_fields=["users_eligible", "users_matched"])

    limit = report.removal_limit
    if limit is None and cap_exceeded(counts.removing, counts.eligible, spec.max_removal_ratio):
        _cap_reached(report, spec, counts.removing, counts.eligible, would)
        return
    if report.dry_run:
        # The counters say what the run would have done; nothing is written.
        report_finish(report, Status.SUCCEEDED, from_statuses=(Status.RUNNING,), counters=would)
        return

    removing = counts.removing if limit is None else min(counts.removing, limit)
    total = max(counts.to_warn + removing, 1)
    with _lock_timeout_bounded():
        for stage in stages_for(spec):
            stage_run(report, spec, now, stage, batch_size, limit, total)
    report_finish(report, Status.SUCCEEDED, from_statuses=(Status.RUNNING,))


def stage_run(
    report: CleanupReport,
    spec: PolicySpec,
    now: datetime,
    stage: Stage,
    batch_size: int,
    limit: int | None = None,
    total: int = 1,
) -> None:
    """Run one stage's batches to the end of the users (or of the run's `limit` of
    removals), one transaction each: the batch, then the report's counters, progress (of
    `total`) and heartbeat — conditional on the run still `running`. Part of `cleanup_run`;
    on its own only for measuring a stage (bench.notice_warn).

    The registry's mirror of the heartbeat (which the reaper's one query reads) is written
    at the stage's first batch and then at most every tenth of CLEANUP_STALE_AFTER_S, not
    at every batch: one write fewer per batch, and the mirror never lags enough to look
    stale. Were it to, the reaper reads the report's own heartbeat before ending a run."""
    budget = None if not stage.removes or limit is None else limit - report.users_removed
    batch_size *= stage.scale
    batch_of = stage.batches(report.pk, spec, now)
    mirror_every = timedelta(seconds=settings.CLEANUP_STALE_AFTER_S / 10)
    mirrored: datetime | None = None
    after_pk: int | None = 0
    while after_pk is not None and (budget is None or budget > 0):
        size = batch_size if budget is None else min(batch_size, budget)
        with transaction.atomic():
            batch = batch_of(after_pk, size)
            written = {stage.counter: getattr(report, stage.counter) + batch.count}
            if stage.removes:
                written["users_removed"] = report.users_removed + batch.count
                if budget is not None:
                    budget -= batch.count
            done = report.users_warned + report.users_removed + batch.count
            written["progress"] = min(1.0, done / total)
            # Conditional on still `running`: if the reaper ended this run, roll the
            # batch back and stop rather than write anything more. Also the heartbeat,
            # so it beats through windows where nobody was selected.
            beat = timezone.now()
            updated = CleanupReport.objects.filter(pk=report.pk, status=Status.RUNNING).update(
                heartbeat_at=beat, **written
            )
            if not updated:
                raise RunCancelled()
            if mirrored is None or beat - mirrored >= mirror_every:
                registry_heartbeat(report.pk, beat)
                mirrored = beat
            for name, value in written.items():
                setattr(report, name, value)
        after_pk = batch.next_after
        if settings.DEBUG:
            # DEBUG keeps every statement's text on the connection: keep memory flat.
            reset_queries()


def _cap_reached(
    report: CleanupReport,
    spec: PolicySpec,
    removing: int,
    eligible: int,
    would: dict[str, int],
) -> None:
    """Over the safety cap, before anything changed: wait for a tenant admin's approval
    (`on_cap: ask`) or end `aborted` — either way with the counters filled with what the
    run would do (`counts_are_would` says so to every reader; none counts them as removed).

    A dry run never waits: there is nothing to approve, so it ends `aborted` and says what
    a real run would do."""
    if spec.on_cap == "ask" and not report.dry_run:
        report_transition(
            report,
            Status.AWAITING_APPROVAL,
            from_statuses=(Status.RUNNING,),
            error=cap_message(
                removing,
                eligible,
                spec.max_removal_ratio,
                "Waiting for a tenant admin's approval: nobody was removed and no notice "
                "was written.",
            ),
            heartbeat_at=None,
            **would,
        )
        logger.warning(
            "cleanup.run.awaiting_approval",
            extra={"report_id": report.pk, "removing": removing, "eligible": eligible},
        )
        return
    outcome = "Nothing was removed."
    if report.dry_run and spec.on_cap == "ask":
        outcome = "A real run would wait for a tenant admin's approval. Nothing was removed."
    report_finish(
        report,
        Status.ABORTED,
        cap_message(removing, eligible, spec.max_removal_ratio, outcome),
        from_statuses=(Status.RUNNING,),
        counters=would,
    )
