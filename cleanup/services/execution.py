"""Running a queued cleanup to its end, in the tenant's schema: the safety cap, then the
stages (`stages`) batch by batch. Each batch owns its transaction.

A run removes people's accounts, so the invariants are strict
(docs/architecture.md#cleanup-semantics):
- a removed user always has an audit entry and an audited user is always gone, because
  both happen in one transaction per batch;
- at most one active run (queued, running or awaiting approval) per tenant, enforced by a
  unique index;
- a run that would remove too large a share of the tenant removes nothing.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import (
    Error,
    InterfaceError,
    OperationalError,
    connection,
    reset_queries,
    transaction,
)
from django.utils import timezone
from psycopg2 import errors as pg_errors

from cleanup.models import CleanupReport
from cleanup.selectors import stage_counts, undeliverable_users
from cleanup.services.events import users_event_targets
from cleanup.services.registry import registry_heartbeat
from cleanup.services.stages import Stage, stages_for
from cleanup.services.tokens import TokenStageCancelled, token_stage_run
from cleanup.services.transitions import report_finish, report_transition
from core.errors import ServiceError
from core.tenancy import current_schema
from policy.rules import PolicySpec, cap_exceeded, cap_message
from webhooks.services.events import UsersEvent, deliveries_publish_gathered, deliveries_written

logger = logging.getLogger(__name__)

Status = CleanupReport.Status
# The report's counters of what a run did, zeroed when it starts.
COUNTERS = (
    "users_warned",
    "users_deactivated",
    "users_deleted",
    "users_removed",
    "tokens_revoked",
)


class ReportNotFound(ServiceError):
    """The report a task was given is gone (its tenant was deleted and re-created)."""

    status_code = 404
    detail = "No such report."


class RunCancelled(Exception):
    """The report stopped being `running` under us (e.g. the reaper ended it)."""


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


def _run(report: CleanupReport, spec: PolicySpec, now: datetime, batch_size: int) -> None:
    """Count, apply the safety cap, then run the stages (or, for a dry run, only count).

    Every count comes first, before any stage changes anything: the safety cap weighs
    everyone the run would deactivate or delete against the eligible users. An approved run
    (`removal_limit` set, docs/architecture.md#oversight) skips the cap and removes at most that
    many users.
    """
    counts = stage_counts(spec, now)
    would = {
        "users_warned": counts.to_warn,
        "users_deactivated": counts.to_deactivate,
        "users_deleted": counts.to_delete,
        "users_removed": counts.removing,
        "tokens_revoked": counts.tokens_to_revoke,
    }
    report.users_eligible, report.users_matched = counts.eligible, counts.matched
    report.users_undeliverable = counts.undeliverable
    report.undeliverable = undeliverable_sample(spec, now) if counts.undeliverable else []
    report.save(
        update_fields=["users_eligible", "users_matched", "users_undeliverable", "undeliverable"]
    )

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
        # After the accounts: the tokens of users this run deactivated died with them.
        try:
            token_stage_run(report, spec, now)
        except TokenStageCancelled as exc:
            raise RunCancelled() from exc
    report_finish(report, Status.SUCCEEDED, from_statuses=(Status.RUNNING,))


# How many of a run's undeliverable users its report names (the page and the digest say how
# many more there are): a report row stays small however many addresses bounced.
UNDELIVERABLE_SAMPLE = 100


def undeliverable_sample(spec: PolicySpec, now: datetime) -> list[dict[str, object]]:
    """The first UNDELIVERABLE_SAMPLE matched users whose address refused their notice, as
    the report keeps them: `{user_id, username, email, reason}`."""
    users = undeliverable_users(spec, now).order_by("pk")[:UNDELIVERABLE_SAMPLE]
    return [
        {"user_id": pk, "username": username, "email": email, "reason": refusal or ""}
        for pk, username, email, refusal in users.values_list(  # type: ignore[misc]  # annotated
            "pk", "username", "email", "refusal"
        )
    ]


# How often a stage asks again which endpoints want its users events: a query per batch was a
# tenth of what the webhooks add to a run.
TARGETS_EVERY_S = 1.0


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
    stale. Were it to, the reaper reads the report's own heartbeat before ending a run.

    A batch also writes the webhooks' users event of its users (docs/webhooks.md#events)
    when an endpoint wants it: pages of at most 500 users, so a batch of 1,000 writes two."""
    budget = None if not stage.removes or limit is None else limit - report.users_removed
    batch_size *= stage.scale
    batch_of = stage.batches(report.pk, spec, now)
    mirror_every = timedelta(seconds=settings.CLEANUP_STALE_AFTER_S / 10)
    mirrored: datetime | None = None
    after_pk: int | None = 0
    targets: list[int] = []
    asked = -TARGETS_EVERY_S
    # The batches' webhook deliveries go to Redis together, at most every half second.
    with deliveries_publish_gathered():
        while after_pk is not None and (budget is None or budget > 0):
            size = batch_size if budget is None else min(batch_size, budget)
            with transaction.atomic():
                # The endpoints that want this stage's users event, asked again at most every
                # TARGETS_EVERY_S (an endpoint added mid-run gets the rest); the event is
                # written in the batch's transaction.
                if time.monotonic() - asked >= TARGETS_EVERY_S:
                    targets, asked = users_event_targets(stage.event), time.monotonic()
                event = UsersEvent(stage.event, tuple(targets)) if targets else None
                batch = batch_of(after_pk, size, event)
                deliveries_written(batch.deliveries)
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
