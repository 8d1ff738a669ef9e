"""A run's status changes: every one goes through `report_transition`, which writes the
public registry's mirror in the same transaction and, once it commits, publishes what the new
status owes by mail."""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone

from cleanup.models import CleanupReport
from cleanup.services.admin_mail import admin_events, admins_notify_enqueue
from cleanup.services.events import report_status_emit
from cleanup.services.notices import notices_pending_enqueue
from cleanup.services.registry import FINISHED_STATUSES, registry_report_changed
from core.tenancy import current_schema

logger = logging.getLogger(__name__)

Status = CleanupReport.Status


def report_transition(
    report: CleanupReport, status: str, *, from_statuses: tuple[str, ...], **fields: object
) -> bool:
    """Move a run to `status` (writing `fields` too), only if it is still in one of
    `from_statuses`; say whether it took. `report` is reloaded either way, so it shows what
    the database holds.

    Every status change of an existing report comes here, so each is conditional — a worker
    and the reaper can both reach a run's end, and the run the reaper ended stays ended —
    and the public registry that mirrors it (`cleanup.services.registry`) and the webhooks'
    event of the new status (run.started, run.awaiting_approval, run.finished) are written
    in the same transaction, only when the change took.
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
            report_status_emit(report)
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
    rolled-back transition sends nothing): the tenant admins' emails `admin_events` names,
    and — when a real run ends or stops for approval — the sender of the tenant's unsent
    notices, those its warn stage wrote and any an earlier run left
    (docs/architecture.md#the-fleet: nothing periodic looks for them). Neither publish can
    fail the transition."""
    schema_name = current_schema()
    for event in admin_events(report):
        transaction.on_commit(
            partial(admins_notify_enqueue, schema_name, report.pk, event), robust=True
        )
    if not report.dry_run and report.status in (*FINISHED_STATUSES, Status.AWAITING_APPROVAL):
        transaction.on_commit(partial(notices_pending_enqueue, schema_name), robust=True)
