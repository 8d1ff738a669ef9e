"""Starting a run: its report (queued, in the tenant's schema and the public registry), its
task, and the worker's entry point. Each service owns its transactions.

At most one active run (queued, running or awaiting approval) per tenant, enforced by a
unique index: whoever inserts the second report gets CleanupAlreadyActive.
"""

import logging
import uuid

from django.db import IntegrityError, transaction
from django_tenants.utils import get_public_schema_name, schema_context

from activity.models import ActivityEvent
from activity.services import activity_record
from cleanup.models import CleanupReport
from cleanup.selectors import report_active
from cleanup.services.execution import ReportNotFound, cleanup_run
from cleanup.services.registry import (
    registry_report_active,
    registry_report_withdrawn,
    registry_reservation_claim,
)
from cleanup.services.transitions import report_finish
from cleanup.signals import reserved_run_created
from core.dispatch import task_publish
from core.errors import ServiceError
from policy.rules import PolicySpec
from policy.services import policy_get
from tenants.models import Tenant

logger = logging.getLogger(__name__)

Status = CleanupReport.Status


class CleanupAlreadyActive(ServiceError):
    """The tenant already has an active run (queued, running or awaiting approval)."""

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
    check-then-insert — when the tenant already has an active run. With
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
                reserved_run_created.send(CleanupReport, report=report, task_id=task_id)
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
    task_publish(
        "cleanup.run_tenant",
        args=[schema_name],
        kwargs={"report_id": report.pk, "trigger": report.trigger},
        task_id=task_id,
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
