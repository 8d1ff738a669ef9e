"""What the engine tells the tenant's webhooks (docs/webhooks.md#events): the run's
events and the users events of each batch, written by `webhooks` into its outbox in the
caller's transaction — the transaction of the change they report."""

from collections.abc import Sequence
from typing import Any

from cleanup.models import CleanupReport
from core.tenancy import current_schema
from tenants.models import Tenant
from tenants.selectors import tenant_url
from webhooks import catalogue
from webhooks.services.events import (
    users_pages,
    webhook_events_emit,
    webhook_subscribers,
)

Status = CleanupReport.Status
COUNTERS = (
    "users_eligible",
    "users_matched",
    "users_warned",
    "users_deactivated",
    "users_deleted",
    "users_removed",
)


def report_link(report_id: int) -> str:
    """The report's page in the dashboard, absolute (one query on the public schema)."""
    tenant = Tenant.objects.filter(schema_name=current_schema()).first()
    return tenant_url(tenant, f"reports/{report_id}") if tenant else ""


def report_event_data(report: CleanupReport, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "report_id": report.pk,
        "status": report.status,
        "trigger": report.trigger,
        "dry_run": report.dry_run,
        "action": report.action,
        "counts_are_would": report.counts_are_would,
        **{name: getattr(report, name) for name in COUNTERS},
        **extra,
    }
    data["link"] = report_link(report.pk)
    return data


def _status_event(status: str) -> str | None:
    if status == Status.RUNNING:
        return catalogue.RUN_STARTED
    if status == Status.AWAITING_APPROVAL:
        return catalogue.RUN_AWAITING_APPROVAL
    if status in (Status.SUCCEEDED, Status.FAILED, Status.ABORTED):
        return catalogue.RUN_FINISHED
    return None  # back to queued: the approval's own event says it


def report_status_emit(report: CleanupReport) -> None:
    """The event of the report's new status (run.started, run.awaiting_approval,
    run.finished), if any endpoint wants it. In the transition's transaction."""
    type = _status_event(report.status)
    targets = webhook_subscribers(type) if type else []
    if type is None or not targets:
        return
    extra = {"error": report.error} if report.status != Status.RUNNING else {}
    webhook_events_emit(type=type, pages=[report_event_data(report, **extra)], endpoint_ids=targets)


def report_event_emit(type: str, report: CleanupReport, **extra: Any) -> None:
    """A run's oversight event (run.approved, run.rejected, run.undone)."""
    targets = webhook_subscribers(type)
    if targets:
        data = report_event_data(report, **extra)
        webhook_events_emit(type=type, pages=[data], endpoint_ids=targets)


def users_event_targets(type: str) -> list[int]:
    """The endpoints that want a batch's users event of `type` (one query on the tenant's
    few endpoints): when none do, the batch collects no users and writes nothing more."""
    return webhook_subscribers(type)


def users_event_emit(
    type: str, report_id: int | None, users: Sequence[dict[str, Any]], endpoint_ids: list[int]
) -> None:
    """The users a batch warned, deactivated or deleted: ceil(len / 500) events."""
    if users and endpoint_ids:
        pages = users_pages(users, report_id=report_id)
        webhook_events_emit(type=type, pages=pages, endpoint_ids=endpoint_ids)
