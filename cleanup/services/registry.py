"""The public registry of active runs, and the history of finished ones
(docs/architecture.md#the-fleet).

Each tenant's policy row (public schema) mirrors its active run — report id, status, since
when, last heartbeat — and every finished run leaves a `RunOutcome` row. Both are written
here, and only from the services that change a report's status, inside *their*
transactions: a report and its mirror change together or not at all. So the reaper, the
approval expiry, trigger-all, the fleet summary and /metrics read the registry in a fixed
number of queries however many tenants there are, and visit only the schemas of the runs
they act on.

Besides runs that have a report, the registry holds *reservations*: trigger-all and the
fan-out publish tasks that create their own reports in the tenant's schema (so they never
enter 2,000 schemas themselves), and mark the slot `queued` with the task's id and no
report id first. A task creates its report only while its reservation stands
(`registry_reservation_claim`); a reservation released after a failed publish therefore
turns any message that reached the broker after all into a no-op.

Lock order, everywhere: the report row (in the tenant's schema) first, the policy row
after. Report creation inserts the report (whose unique index may wait on the tenant's
other active report) before touching the policy row, as transitions update the report
before the policy: two transactions never wait on each other's second lock.
"""

import logging
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone
from psycopg2.extras import Json

from cleanup.models import CleanupReport
from core.errors import ServiceError
from core.tenancy import current_schema
from policy.models import CleanupPolicy, RunOutcome
from tenants.models import Tenant

logger = logging.getLogger(__name__)

Status = CleanupReport.Status
FINISHED_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.ABORTED)

# The registry of a tenant with no active run.
_CLEARED: dict[str, Any] = {
    "active_report_id": None,
    "active_report_status": "",
    "active_report_since": None,
    "active_report_heartbeat_at": None,
    "active_task_id": "",
    "active_task_kwargs": None,
}


def _policy(schema_name: str | None = None) -> QuerySet[CleanupPolicy]:
    return CleanupPolicy.objects.filter(tenant__schema_name=schema_name or current_schema())


def registry_report_active(report: CleanupReport) -> None:
    """Record `report` (queued, running or awaiting approval) as the current tenant's active
    run, replacing whatever the registry held: the report in the tenant's schema is the
    truth, and at most one is active (its unique index says so)."""
    now = timezone.now()
    _policy().update(
        **_CLEARED
        | {
            "active_report_id": report.pk,
            "active_report_status": report.status,
            "active_report_since": now,
            # running: the worker's beat; queued: published now (or about to be).
            "active_report_heartbeat_at": report.heartbeat_at
            if report.status == Status.RUNNING and report.heartbeat_at
            else now,
        }
    )


class RunWithdrawn(ServiceError):
    """The task's reservation was released (its publish failed, or the run never started and
    the reaper gave up on it) or taken by another run: the task does nothing."""

    status_code = 409
    detail = "This run was withdrawn before it started."


def registry_reservation_claim(report: CleanupReport, task_id: str) -> None:
    """Turn the reservation of task `task_id` into `report` (just created, `queued`).

    Raises RunWithdrawn when the registry no longer holds that reservation — the caller
    rolls its report back. Two copies of one task (a re-delivery, a re-publish) cannot both
    pass: the second one's report waits on the first's unique index, and by the time it may
    insert, the reservation is gone.
    """
    now = timezone.now()
    claimed = (
        _policy()
        .filter(active_task_id=task_id, active_report_id__isnull=True)
        .update(
            **_CLEARED
            | {
                "active_report_id": report.pk,
                "active_report_status": report.status,
                "active_report_since": now,
                "active_report_heartbeat_at": now,
            }
        )
    )
    if not claimed:
        raise RunWithdrawn()


_RESERVE_SQL = """
UPDATE {table}
SET active_report_id = NULL, active_report_status = 'queued', active_report_since = %(now)s,
    active_report_heartbeat_at = %(now)s, active_task_id = gen_random_uuid()::text,
    active_task_kwargs = %(kwargs)s
WHERE tenant_id = ANY(%(tenants)s) AND active_report_status = ''
RETURNING tenant_id, active_task_id
"""


def reservations_make(
    tenant_ids: list[int], task_kwargs: dict[str, Any], now: datetime
) -> dict[int, str]:
    """Reserve the slot of every idle tenant among `tenant_ids` for a task called with
    `task_kwargs`; return {tenant id: task id} of the ones reserved.

    One statement for any number of tenants: the idle check and the write are one UPDATE
    (a tenant that got a run meanwhile is left out, and two trigger-alls cannot both reserve
    it), and its cost grows linearly — Django's bulk_update writes one CASE branch per row
    for every row, which PostgreSQL evaluates in quadratic time (seconds at 2,000 tenants).
    """
    if not tenant_ids:
        return {}
    sql = _RESERVE_SQL.format(table=CleanupPolicy._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": now, "kwargs": Json(task_kwargs), "tenants": tenant_ids})
        return dict(cursor.fetchall())


def reservations_release(task_ids: list[str]) -> int:
    """Free the slots still held by these reservations (one UPDATE); return how many."""
    if not task_ids:
        return 0
    return CleanupPolicy.objects.filter(
        active_task_id__in=task_ids, active_report_id__isnull=True
    ).update(**_CLEARED)


def registry_reservation_release(schema_name: str, task_id: str) -> bool:
    """Free a tenant's slot held by the reservation of task `task_id` (its task will not
    create a report: the tenant is suspended, or gone); say whether it still held it."""
    return bool(
        _policy(schema_name)
        .filter(active_task_id=task_id, active_report_id__isnull=True)
        .update(**_CLEARED)
    )


def registry_heartbeat(report_id: int, at: datetime) -> None:
    """The running report beat: mirror it for the reaper (not at every batch: see
    `execution.stage_run`)."""
    _policy().filter(active_report_id=report_id).update(active_report_heartbeat_at=at)


def registry_republished(tenant_id: int, at: datetime, report_id: int | None) -> None:
    """A queued run's task was published again: the reaper waits a whole period again."""
    CleanupPolicy.objects.filter(pk=tenant_id, active_report_id=report_id).update(
        active_report_heartbeat_at=at
    )


def registry_report_withdrawn(report_id: int) -> None:
    """The report was deleted (before any worker took it: its publish failed)."""
    _policy().filter(active_report_id=report_id).update(**_CLEARED)


def registry_report_ended(report: CleanupReport) -> None:
    """`report` finished: free the slot, update the last-run summary the operators' table
    shows, and record the outcome for the fleet summary and /metrics. Idempotent per run."""
    tenant_id = Tenant.objects.filter(schema_name=current_schema()).values_list("pk", flat=True)
    tenant = tenant_id.first()
    if tenant is None:  # the tenant row is gone (deleted mid-run): nothing to mirror
        return
    policy = CleanupPolicy.objects.filter(pk=tenant)
    policy.filter(active_report_id=report.pk).update(**_CLEARED)
    policy.update(
        last_report_id=report.pk,
        last_report_status=report.status,
        last_report_finished_at=report.finished_at,
        # A dry or aborted run's counters say what it would have removed; it removed nobody.
        last_report_users_removed=report.users_really_removed,
    )
    RunOutcome.objects.bulk_create(
        [
            RunOutcome(
                tenant_id=tenant,
                report_id=report.pk,
                status=report.status,
                trigger=report.trigger,
                dry_run=report.dry_run,
                started_at=report.started_at,
                finished_at=report.finished_at or timezone.now(),
                users_removed=report.users_really_removed,
            )
        ],
        ignore_conflicts=True,
    )


def registry_report_changed(report: CleanupReport) -> None:
    """Mirror a report whose status just changed (called by `report_transition`)."""
    if report.status in FINISHED_STATUSES:
        registry_report_ended(report)
    else:
        registry_report_active(report)


class ActiveRun(NamedTuple):
    """A tenant's active run as the registry holds it."""

    tenant_id: int
    schema_name: str
    report_id: int | None
    status: str
    since: datetime | None
    heartbeat_at: datetime | None
    task_id: str
    task_kwargs: dict[str, Any] | None


def active_runs(policies: QuerySet[CleanupPolicy]) -> list[ActiveRun]:
    """The registry rows of `policies` (already filtered to active ones), in one query."""
    rows = policies.exclude(active_report_status="").values_list(
        "tenant_id",
        "tenant__schema_name",
        "active_report_id",
        "active_report_status",
        "active_report_since",
        "active_report_heartbeat_at",
        "active_task_id",
        "active_task_kwargs",
    )
    return [ActiveRun(*row) for row in rows.order_by("tenant__schema_name")]


def notices_count(
    *, schema_name: str, sent: int = 0, failed: int = 0, undeliverable: int = 0
) -> None:
    """Count the sender's notices, for /metrics (one UPDATE): delivered, failed attempts,
    and given up on as undeliverable.

    The sender calls it once per call, outside the transactions that mark the notices (see
    `notices.notices_send`); kept in public so a scrape never visits tenant schemas.
    """
    if sent or failed or undeliverable:
        _policy(schema_name).update(
            notices_sent=F("notices_sent") + sent,
            notices_failed=F("notices_failed") + failed,
            notices_undeliverable=F("notices_undeliverable") + undeliverable,
        )
