"""Celery tasks: an interface over the services. They take primitives and are safe to rerun."""

import logging

from celery import Task, shared_task

from cleanup.models import CleanupReport
from cleanup.services.admin_mail import AdminMailIncomplete, admins_notify
from cleanup.services.mail import mail_retry_delay
from cleanup.services.notice_test import notice_test_send
from cleanup.services.notices import notices_send
from cleanup.services.registry import registry_reservation_release
from cleanup.services.start import cleanup_start
from core.errors import ServiceError
from core.mail import MailRejected, MailUnavailable

logger = logging.getLogger(__name__)


@shared_task(
    name="cleanup.run_tenant",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def run_tenant(
    self: Task,
    schema_name: str,
    report_id: int | None = None,
    trigger: str = CleanupReport.Trigger.SCHEDULE,
    triggered_by: str | None = None,
    dry_run: bool | None = None,
    reserved: bool = False,
) -> dict[str, object] | None:
    """Run one tenant's cleanup in that tenant's schema (`start.cleanup_start`).

    Without `report_id` (scheduled and platform runs) the service creates the report first;
    `reserved` runs (the fan-out's, trigger-all's) only in place of this task's reservation
    in the registry, so a task published by a tick or trigger that then failed does nothing.
    Redelivered or repeated, it never runs a report twice: only a `queued` report is started.
    Returns quietly when the run cannot start — tenant or report gone, a run already in
    progress, the reservation withdrawn, the tenant suspended (a report queued before the
    suspension is ended `aborted`; a reservation is released).
    """
    task_id = self.request.id or ""
    try:
        report = cleanup_start(
            schema_name=schema_name,
            report_id=report_id,
            trigger=trigger,
            triggered_by=triggered_by,
            dry_run=dry_run,
            task_id=task_id,
            reserved=reserved and report_id is None,
        )
    except ServiceError as exc:
        if reserved and report_id is None:
            # The run will not happen: free the slot its reservation held (only if it
            # still does — another run may have taken the tenant meanwhile).
            registry_reservation_release(schema_name, task_id)
        logger.info(
            "cleanup.run.not_started",
            extra={"tenant": schema_name, "report_id": report_id, "reason": exc.detail},
        )
        return None
    return {"report_id": report.pk, "status": report.status}


@shared_task(name="cleanup.send_notices", ignore_result=True)
def send_notices(schema_name: str) -> int:
    """Send a tenant's due notices within its per-minute budget and its daily cap
    (`notices.notices_send`); the service enqueues this task again, with a countdown, for
    whatever is left.

    Failures of the mail server are the service's to record and retry (per notice, with
    backoff); an error of anything else (the database) propagates and is logged by Celery,
    and the notices stay in the outbox for the next run of the tenant to enqueue."""
    return notices_send(schema_name=schema_name).sent


@shared_task(
    name="cleanup.notify_admins",
    bind=True,
    ignore_result=True,
    max_retries=50,
)
def notify_admins(
    self: Task,
    schema_name: str,
    report_id: int,
    event: str,
    recipients: list[str] | None = None,
) -> int:
    """Email the tenant's admins about a run (`admin_mail.admins_notify`). While the mail
    server is unavailable, retried with exponential backoff (NOTICE_RETRY_BASE_S doubling,
    at most NOTICE_RETRY_MAX_S), for the admins not yet emailed only."""
    try:
        return admins_notify(
            schema_name=schema_name, report_id=report_id, event=event, recipients=recipients
        )
    except AdminMailIncomplete as exc:
        logger.warning(
            "cleanup.admin_mail.retry",
            extra={"tenant": schema_name, "report_id": report_id, "error": str(exc)},
        )
        countdown = mail_retry_delay(self.request.retries + 1)
        raise self.retry(
            args=[schema_name, report_id, event],
            kwargs={"recipients": exc.remaining},
            countdown=countdown,
            exc=exc,
        ) from exc


@shared_task(name="cleanup.send_test_notice", bind=True, ignore_result=True, max_retries=5)
def send_test_notice(
    self: Task, schema_name: str, user_id: int, snapshot: dict[str, object]
) -> bool:
    """Send an admin the test notice they asked for (`notice_test.notice_test_send`); while
    the mail server is unavailable, retried a few times with the notices' backoff. A refusal
    of the address is logged and not retried."""
    try:
        return notice_test_send(schema_name=schema_name, user_id=user_id, snapshot=snapshot)
    except MailRejected as exc:
        logger.warning(
            "cleanup.test_notice.rejected", extra={"tenant": schema_name, "error": str(exc)}
        )
        return False
    except MailUnavailable as exc:
        raise self.retry(countdown=mail_retry_delay(self.request.retries + 1), exc=exc) from exc
