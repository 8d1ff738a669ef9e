"""Celery tasks: an interface over the services. They take primitives and are safe to rerun."""

import logging

from celery import shared_task
from django_tenants.utils import get_public_schema_name, schema_context

from cleanup import services
from cleanup.models import CleanupReport
from tenants.models import Tenant

logger = logging.getLogger(__name__)


@shared_task(
    name="cleanup.run_tenant",
    acks_late=True,
    reject_on_worker_lost=True,
)
def run_tenant(
    schema_name: str,
    report_id: int | None = None,
    trigger: str = CleanupReport.Trigger.SCHEDULE,
) -> dict[str, object] | None:
    """Run one tenant's cleanup in that tenant's schema.

    Without `report_id` (scheduled runs) it creates its own report first, and exits quietly
    when the tenant already has a run in progress. Redelivered or repeated, it never runs
    a report twice: `cleanup_run` only starts a `queued` report. Returns quietly when the
    tenant or the report is gone.
    """
    if not schema_name or schema_name == get_public_schema_name():
        raise ValueError(f"cleanup.run_tenant needs a tenant schema name, got {schema_name!r}")
    if not Tenant.objects.filter(schema_name=schema_name, is_active=True).exists():
        logger.warning("cleanup.run.tenant_gone", extra={"tenant": schema_name})
        return None
    with schema_context(schema_name):
        if report_id is None:
            try:
                report = services.cleanup_report_create(schema_name=schema_name, trigger=trigger)
            except services.CleanupAlreadyActive as exc:
                logger.info(
                    "cleanup.run.already_active",
                    extra={"tenant": schema_name, "report_id": exc.report_id},
                )
                return None
            report_id = report.pk
        elif not CleanupReport.objects.filter(pk=report_id).exists():
            logger.warning(
                "cleanup.run.report_gone", extra={"tenant": schema_name, "report_id": report_id}
            )
            return None
        report = services.cleanup_run(report_id=report_id)
        return {"report_id": report.pk, "status": report.status}


@shared_task(name="cleanup.fan_out", ignore_result=True)
def fan_out() -> int:
    """Every minute (django-celery-beat): queue a run for each tenant that is due."""
    return len(services.cleanup_fan_out())


@shared_task(name="cleanup.reap_stale_runs", ignore_result=True)
def reap_stale_runs() -> int:
    """Every minute: end runs whose worker died, so their tenants are not locked out."""
    return len(services.cleanup_reap_stale())
