"""What tenant admins do to runs (docs/architecture.md#oversight): approve or reject a run that
waits for
approval, reactivate one account a run deactivated, undo a whole run.

Each service is one transaction that also writes its activity event, so an action that
fails leaves no event and no event describes an action that did not happen. Report status
changes go through `report_transition`, conditional on the status expected: when two admins
answer the same run at once, PostgreSQL's row lock decides, and the loser gets a 409.
"""

import logging
import uuid
from datetime import datetime
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.activity import REACTIVATED
from accounts.models import ApiToken
from activity.models import ActivityEvent
from activity.services import activity_record
from cleanup.models import CleanupAuditEntry, CleanupReport, CleanupTokenAuditEntry
from cleanup.selectors import UndoFate, report_undo_preview, undo_fates_sql
from cleanup.services.events import report_event_emit, users_event_emit, users_event_targets
from cleanup.services.execution import ReportNotFound
from cleanup.services.registry import FINISHED_STATUSES
from cleanup.services.start import BrokerUnavailable, run_publish
from cleanup.services.transitions import report_transition
from core.errors import ServiceError
from core.tenancy import current_schema
from webhooks import catalogue

logger = logging.getLogger(__name__)

Status = CleanupReport.Status
Verb = ActivityEvent.Verb


class ReportConflict(ServiceError):
    """The run is not in a status that allows this action."""

    status_code = 409

    def __init__(self, detail: str, report: CleanupReport):
        super().__init__(detail, status=report.status)


class AuditEntryNotFound(ServiceError):
    status_code = 404
    detail = "This run did not remove that user."


class AccountDeleted(ServiceError):
    status_code = 409
    detail = "The account was deleted; it cannot be reactivated."


class AccountAlreadyActive(ServiceError):
    status_code = 409
    detail = "The account is already active."


def report_can_answer(report: CleanupReport) -> bool:
    """Whether the run waits for a tenant admin's answer (approve or reject): what the API's
    `can_approve` says to a tenant admin, so the dashboard offers the buttons by it."""
    return report.status == Status.AWAITING_APPROVAL


def report_can_undo(report: CleanupReport) -> bool:
    """Whether undoing the run has anything to reactivate, by what its report says: it has
    finished (as `report_undo` requires), its counters are what it did (not a dry run, not a
    run stopped before its first batch), and it deactivated someone or revoked an unused
    API token (a run that only deleted has nothing an undo restores). What the API's
    `can_undo` says to a tenant admin; the undo itself re-checks status and dry run and
    counts each account afresh."""
    return (
        report.status in FINISHED_STATUSES
        and not report.counts_are_would
        and (report.users_deactivated > 0 or report.tokens_revoked > 0)
    )


def _report_get(report_id: int) -> CleanupReport:
    report = CleanupReport.objects.filter(pk=report_id).first()
    if report is None:
        raise ReportNotFound()
    return report


def _not_awaiting(report: CleanupReport) -> ReportConflict:
    return ReportConflict(
        f"Run #{report.pk} is not awaiting approval (it is {report.get_status_display().lower()}).",
        report,
    )


# --- Approval -------------------------------------------------------------------------------


def report_approve(*, schema_name: str, report_id: int, actor: str) -> CleanupReport:
    """Approve a run waiting in `awaiting_approval`: back to `queued`, its task published.

    The run may then remove at most what it showed when it asked: docs/architecture.md#oversight's
    "removing at
    most the users_matched it showed". Since runs warn before they remove (§9), a matched
    user is not always one the run would remove, so the limit is the removals it counted
    (`users_removed` = would-deactivate + would-delete, the number the cap weighed and the
    admin was shown), copied from the row itself in the same UPDATE that changes the status.
    A bound, not a target: the run still re-checks every user per batch.

    The task is published inside the transaction, before the commit. A refused publish
    rolls everything back — the run stays `awaiting_approval`, no event is written — and
    BrokerUnavailable is raised. A worker that receives the task before the commit waits on
    the report's row lock (`cleanup_run` starts from a locked `queued` row) and so sees the
    approval; had the publish reached Redis and still reported failure (a hung broker),
    the worker finds the run not `queued` and leaves it. `published_at` is set, so the
    reaper counts the queue timeout from the approval, not from the run's creation.

    Raises ReportNotFound, ReportConflict (not awaiting approval — already answered, or
    never asked) and BrokerUnavailable.
    """
    now = timezone.now()
    task_id = str(uuid.uuid4())
    with transaction.atomic():
        report = _report_get(report_id)
        if report.status == Status.AWAITING_APPROVAL and report.users_matched is None:
            # Without the count there is no limit to approve: the run would be unbounded.
            raise ReportConflict(
                f"Run #{report.pk} has not counted its users; it cannot be approved.", report
            )
        took = report_transition(
            report,
            Status.QUEUED,
            from_statuses=(Status.AWAITING_APPROVAL,),
            approved_by=actor,
            approved_at=now,
            removal_limit=F("users_removed"),
            task_id=task_id,
            published_at=now,
        )
        if not took:
            raise _not_awaiting(report)
        activity_record(
            actor=actor,
            verb=Verb.RUN_APPROVED,
            target=f"report {report.pk}",
            data={
                "report_id": report.pk,
                "removal_limit": report.removal_limit,
                "users_eligible": report.users_eligible,
            },
        )
        report_event_emit(
            catalogue.RUN_APPROVED,
            report,
            approved_by=actor,
            removal_limit=report.removal_limit,
        )
        try:
            run_publish(schema_name, report, task_id)
        except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
            logger.warning(
                "cleanup.approve.broker_unavailable",
                extra={"tenant": schema_name, "report_id": report.pk, "error": repr(exc)},
            )
            raise BrokerUnavailable() from exc
    logger.info(
        "cleanup.run.approved",
        extra={
            "tenant": schema_name,
            "report_id": report.pk,
            "actor": actor,
            "removal_limit": report.removal_limit,
        },
    )
    return report


def report_reject(*, report_id: int, actor: str) -> CleanupReport:
    """Reject a run waiting in `awaiting_approval`: it ends `aborted`, removing nobody, and
    its `error` names who rejected it. Raises ReportNotFound and ReportConflict."""
    with transaction.atomic():
        report = _report_get(report_id)
        took = report_transition(
            report,
            Status.ABORTED,
            from_statuses=(Status.AWAITING_APPROVAL,),
            error=f"Rejected by {actor}. Nobody was removed.",
            finished_at=timezone.now(),
        )
        if not took:
            raise _not_awaiting(report)
        activity_record(
            actor=actor,
            verb=Verb.RUN_REJECTED,
            target=f"report {report.pk}",
            data={
                "report_id": report.pk,
                "users_matched": report.users_matched,
                "users_eligible": report.users_eligible,
            },
        )
        report_event_emit(catalogue.RUN_REJECTED, report, rejected_by=actor)
    logger.info(
        "cleanup.run.rejected",
        extra={"tenant": current_schema(), "report_id": report.pk, "actor": actor},
    )
    return report


# --- Reactivating ---------------------------------------------------------------------------


def user_reactivate(*, report_id: int, user_id: int, actor: str) -> CleanupAuditEntry:
    """Reactivate one account that run `report_id` deactivated, and return its audit entry.

    One transaction: the account becomes active with `last_seen = now` (so the next run
    does not match it again at once), the audit entry gets `restored_at` / `restored_by`,
    and the event is written. The account is reactivated whatever happened to it since the
    run (unlike an undo): here an admin names it. Its old sessions stay revoked — the
    deactivation bumped its token version for good.

    Raises ReportNotFound, AuditEntryNotFound (the run did not remove that user),
    AccountDeleted (the run deleted it, or it was deleted since) and AccountAlreadyActive.
    """
    now = timezone.now()
    with transaction.atomic():
        report = _report_get(report_id)
        entry = (
            CleanupAuditEntry.objects.select_for_update()
            .filter(report=report, user_id=user_id)
            .order_by("-id")
            .first()
        )
        if entry is None:
            raise AuditEntryNotFound()
        if entry.action != CleanupAuditEntry.Action.DEACTIVATED:
            raise AccountDeleted(f"{entry.username}'s account was deleted by this run.")
        # Conditional, so it decides against a concurrent reactivation: one of them updates.
        users = get_user_model().objects.filter(pk=user_id)
        if not users.filter(is_active=False).update(
            is_active=True, last_seen=now, last_seen_source=REACTIVATED
        ):
            if users.exists():
                raise AccountAlreadyActive(f"{entry.username}'s account is already active.")
            raise AccountDeleted(f"{entry.username}'s account was deleted since this run.")
        entry.restored_at, entry.restored_by = now, actor
        entry.save(update_fields=["restored_at", "restored_by"])
        activity_record(
            actor=actor,
            verb=Verb.USER_REACTIVATED,
            target=entry.username,
            data={"report_id": report.pk, "user_id": user_id},
        )
        user = {"id": user_id, "username": entry.username, "email": entry.email}
        users_event_emit(
            catalogue.USER_REACTIVATED,
            report.pk,
            [{**user, "reason": "reactivated"}],
            users_event_targets(catalogue.USER_REACTIVATED),
        )
    logger.info(
        "cleanup.user.reactivated",
        extra={
            "tenant": current_schema(),
            "report_id": report.pk,
            "user_id": user_id,
            "actor": actor,
        },
    )
    return entry


def _undo_events(report: CleanupReport, now: datetime, actor: str, result: "UndoResult") -> None:
    """run.undone with the counts, and user.reactivated naming the accounts this undo
    reactivated (its audit rows are the ones it marked `restored_at = now`), in pages."""
    report_event_emit(catalogue.RUN_UNDONE, report, undone_by=actor, **result._asdict())
    targets = users_event_targets(catalogue.USER_REACTIVATED)
    if not targets or not result.reactivated:
        return
    restored = (
        CleanupAuditEntry.objects.filter(report=report, restored_at=now, restored_by=actor)
        .order_by("user_id")
        .values("user_id", "username", "email")
    )
    users = [
        {"id": row["user_id"], "username": row["username"], "email": row["email"], "reason": "undo"}
        for row in restored
    ]
    users_event_emit(catalogue.USER_REACTIVATED, report.pk, users, targets)


class UndoResult(NamedTuple):
    reactivated: int
    already_active: int
    deleted: int
    deactivated_again: int
    tokens_restored: int = 0


def _tokens_restore(report: CleanupReport, now: datetime, actor: str) -> int:
    """Give back the API tokens the run revoked as unused (docs/architecture.md#api-tokens)
    that still could work — their owner active, not expired, not revoked since — and mark
    their audit rows restored; one statement, in the undo's transaction. A restored token's
    clock starts again at `restored_at`, so the next run does not revoke it at once.
    Tokens revoked with their owner's deactivation stay revoked, as the owner's sessions do:
    reactivating an account gives back the account, not its credentials."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH restored AS (
                UPDATE {_q(ApiToken._meta.db_table)} t SET revoked_at = NULL,
                    revoked_reason = '', revoked_by = '', revoked_report_id = NULL,
                    restored_at = %(now)s
                FROM {_q(get_user_model()._meta.db_table)} u
                WHERE t.revoked_report_id = %(report)s AND t.revoked_reason = %(reason)s
                    AND u.id = t.user_id AND u.is_active AND t.expires_at > %(now)s
                RETURNING t.id
            ),
            marked AS (
                UPDATE {_q(CleanupTokenAuditEntry._meta.db_table)} a
                SET restored_at = %(now)s, restored_by = %(actor)s
                FROM restored r
                WHERE a.report_id = %(report)s AND a.token_id = r.id
                RETURNING a.id
            )
            SELECT count(*) FROM marked
            """,
            {
                "report": report.pk,
                "now": now,
                "actor": actor,
                "reason": ApiToken.Reason.TOKEN_INACTIVE.value,
            },
        )
        return int(cursor.fetchone()[0])


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _undoable_report(report_id: int, *, lock: bool) -> CleanupReport:
    """The run, if an undo may touch it: finished (a run still going would go on removing
    under the undo) and not a dry run (it changed nobody)."""
    reports = CleanupReport.objects.filter(pk=report_id)
    report = (reports.select_for_update() if lock else reports).first()
    if report is None:
        raise ReportNotFound()
    if report.dry_run:
        raise ReportConflict(
            f"Run #{report.pk} was a dry run: it changed nobody, there is nothing to undo.",
            report,
        )
    if report.status not in FINISHED_STATUSES:
        raise ReportConflict(
            f"Run #{report.pk} is {report.get_status_display().lower()}; "
            "undo it once it has finished.",
            report,
        )
    return report


def report_undo_check(*, report_id: int) -> dict[str, int]:
    """What undoing the run would do now (`selectors.report_undo_preview`), after the same
    checks as the undo itself. Changes nothing."""
    return report_undo_preview(_undoable_report(report_id, lock=False))


def report_undo(*, report_id: int, actor: str) -> UndoResult:
    """Reactivate every account the run deactivated whose inactivity is still the run's
    doing (`selectors.undo_fates_sql` says which, and why an account deactivated again
    since is left alone), and count the rest.

    Set-based and one transaction: one statement classifies the run's audit rows, updates
    the accounts (`is_active`, `last_seen = now`) joined to them, marks their audit rows
    `restored_at` / `restored_by`, and counts — all on one snapshot, so the counts add up to
    the audit list. The event is written in the same transaction. Idempotent: a second
    undo finds the accounts active and reactivates none. The report row is locked first, so
    two undos of one run take turns.

    Raises ReportNotFound and ReportConflict (a dry run, or a run not finished).
    """
    user_table = connection.ops.quote_name(get_user_model()._meta.db_table)
    audit_table = connection.ops.quote_name(CleanupAuditEntry._meta.db_table)
    now = timezone.now()
    with transaction.atomic():
        report = _undoable_report(report_id, lock=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH fates AS MATERIALIZED ({undo_fates_sql()}),
                reactivated AS (
                    UPDATE {user_table} u SET is_active = true, last_seen = %(now)s,
                        last_seen_source = %(reactivated)s
                    FROM fates f
                    -- Re-checked on the locked row: someone may have reactivated it since
                    -- the snapshot.
                    WHERE f.fate = %(reactivate)s AND u.id = f.user_id AND NOT u.is_active
                    RETURNING f.audit_id
                ),
                marked AS (
                    UPDATE {audit_table} a SET restored_at = %(now)s, restored_by = %(actor)s
                    FROM reactivated r
                    WHERE a.id = r.audit_id
                    RETURNING a.id
                )
                SELECT
                    (SELECT count(*) FROM marked),
                    count(*) FILTER (WHERE fate = %(reactivate)s),
                    count(*) FILTER (WHERE fate = %(already_active)s),
                    count(*) FILTER (WHERE fate = %(deleted)s),
                    count(*) FILTER (WHERE fate = %(deactivated_again)s)
                FROM fates
                """,
                {
                    "report": report.pk,
                    "now": now,
                    "actor": actor,
                    "reactivated": REACTIVATED,
                    "reactivate": UndoFate.REACTIVATE,
                    "already_active": UndoFate.ALREADY_ACTIVE,
                    "deleted": UndoFate.DELETED,
                    "deactivated_again": UndoFate.DEACTIVATED_AGAIN,
                },
            )
            reactivated, planned, already_active, deleted, again = cursor.fetchone()
        # An account reactivated by someone else between the snapshot and its row lock is
        # active: counted so, and the counts still add up to the audit list.
        tokens = _tokens_restore(report, now, actor)
        result = UndoResult(
            reactivated, already_active + planned - reactivated, deleted, again, tokens
        )
        activity_record(
            actor=actor,
            verb=Verb.RUN_UNDONE,
            target=f"report {report.pk}",
            data={"report_id": report.pk, **result._asdict()},
        )
        _undo_events(report, now, actor, result)
    logger.info(
        "cleanup.run.undone",
        extra={"tenant": current_schema(), "report_id": report.pk, **result._asdict()},
    )
    return result
