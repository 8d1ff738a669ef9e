"""Operators' trigger-all: a run in many tenants at once, constant work in the request
whatever the number of tenants (docs/architecture.md#the-fleet); a worker expands it into one run
task each.
"""

import logging
from typing import Any, NamedTuple

from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name

from cleanup.models import CleanupReport
from cleanup.services.registry import reservations_make, reservations_release
from cleanup.services.start import BrokerUnavailable
from core import dispatch
from fleet.models import Trigger, TriggerRun
from fleet.services.publish import RunMessage, runs_publish
from policy.models import CleanupPolicy
from tenants.models import Tenant

logger = logging.getLogger(__name__)

Status = CleanupReport.Status

# Runs per message of trigger-all's `cleanup.publish_runs` task.
DISPATCH_CHUNK = 500


class SkippedRun(NamedTuple):
    tenant: str
    reason: str


class TriggerStarted(NamedTuple):
    """What a trigger started: its handle (`GET /api/platform/triggers/{id}/`), the tenants
    queued and the ones skipped, with the reason."""

    trigger_id: int
    queued: list[str]
    skipped: list[SkippedRun]


# The trigger's runs, one row per queued tenant, in one statement (in the order given: the
# order of the handle's pages).
_RUNS_SQL = """
INSERT INTO {table} (trigger_id, tenant_id, task_id)
SELECT %(trigger)s, v.tenant_id, v.task_id
FROM unnest(%(tenants)s::bigint[], %(tasks)s::text[]) WITH ORDINALITY AS v(tenant_id, task_id, n)
ORDER BY v.n
"""


_BUSY: dict[str, str] = {
    Status.QUEUED: "queued",
    Status.RUNNING: "running",
    Status.AWAITING_APPROVAL: "awaiting approval",
}


def _busy_reason(status: str, report_id: int | None) -> str:
    run = f" (report {report_id})" if report_id else ""
    return f"A cleanup is already {_BUSY.get(status, status)}{run}."


def cleanup_trigger_many(
    *, schema_names: list[str] | None, dry_run: bool | None, triggered_by: str | None
) -> TriggerStarted:
    """Queue a platform run in each named tenant (default: every active tenant); return the
    trigger's id, the tenants queued and the ones skipped, with the reason.

    Constant work in the request, whatever the number of tenants: one query reads the
    tenants' registry rows, one writes the reservations of the idle ones, two record the
    trigger and its runs (the reservations' task ids: each run's task records its report id
    there when it creates the report, `trigger_run_report_record`), and the runs
    go to the broker as a few `cleanup.publish_runs` messages, which a worker expands into
    one run task each (`runs_publish`); every task then creates its own report, as scheduled
    runs do. A tenant is skipped when unknown, suspended, without a policy, or already
    running (or queued, or awaiting approval). Raises BrokerUnavailable when the broker
    refuses, after releasing the reservations again and deleting the trigger: nothing is
    left half-made, and a message that reached Redis after all finds no reservation and
    does nothing.

    The process dying between the reservations' commit and the publish leaves reservations
    without messages: the reaper publishes them after CLEANUP_QUEUED_TIMEOUT_S.
    """
    public = get_public_schema_name()
    names = list(dict.fromkeys(schema_names)) if schema_names else None
    task_kwargs = {
        "trigger": CleanupReport.Trigger.PLATFORM,
        "triggered_by": triggered_by,
        "dry_run": dry_run,
        "reserved": True,
    }
    policies = CleanupPolicy.objects.exclude(tenant__schema_name=public)
    if names is None:
        policies = policies.filter(tenant__is_active=True)
    else:
        policies = policies.filter(tenant__schema_name__in=names)
    found = {
        row[1]: row
        for row in policies.values_list(
            "pk",
            "tenant__schema_name",
            "tenant__is_active",
            "active_report_status",
            "active_report_id",
        )
    }
    idle = [pk for pk, _, is_active, status, _ in found.values() if is_active and not status]
    without_policy = _tenants_without_policy([n for n in names or [] if n not in found])
    with transaction.atomic():
        trigger = Trigger.objects.create(created_by=triggered_by or "")
        reserved = reservations_make(idle, task_kwargs, trigger.created_at)
        skipped: list[SkippedRun] = []
        runs: list[list[str]] = []
        run_tenants: list[int] = []
        for schema_name in names if names is not None else sorted(found):
            if schema_name not in found:
                reason = (
                    "This tenant has no cleanup policy."
                    if schema_name in without_policy
                    else "No such tenant."
                )
                skipped.append(SkippedRun(schema_name, reason))
                continue
            pk, _, is_active, status, report_id = found[schema_name]
            if not is_active:
                skipped.append(SkippedRun(schema_name, "This tenant is suspended."))
            elif pk in reserved:
                runs.append([schema_name, reserved[pk]])
                run_tenants.append(pk)
            else:  # busy, or a run took the slot between the read and the reservation
                skipped.append(
                    SkippedRun(schema_name, _busy_reason(status or Status.QUEUED, report_id))
                )
        if runs:
            with connection.cursor() as cursor:
                cursor.execute(
                    _RUNS_SQL.format(table=TriggerRun._meta.db_table),
                    {
                        "trigger": trigger.pk,
                        "tenants": run_tenants,
                        "tasks": [task_id for _, task_id in runs],
                    },
                )
    # Published once the reservations are committed: a worker may take a message at once,
    # and its run must find its reservation.
    if runs:
        try:
            _dispatch_publish(runs, task_kwargs)
        except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
            released = reservations_release([task_id for _, task_id in runs])
            trigger.delete()
            logger.warning(
                "cleanup.trigger_many.broker_unavailable",
                extra={"tenants": len(runs), "released": released, "error": repr(exc)},
            )
            raise BrokerUnavailable() from exc
    queued = [schema_name for schema_name, _ in runs]
    logger.info(
        "cleanup.trigger_many",
        extra={
            "trigger_id": trigger.pk,
            "queued": len(queued),
            "skipped": len(skipped),
            "triggered_by": triggered_by,
        },
    )
    return TriggerStarted(trigger.pk, queued, skipped)


def _dispatch_publish(runs: list[list[str]], task_kwargs: dict[str, Any]) -> None:
    with dispatch.producer() as producer, producer.batch():
        for start in range(0, len(runs), DISPATCH_CHUNK):
            dispatch.task_publish(
                "cleanup.publish_runs",
                args=[runs[start : start + DISPATCH_CHUNK], task_kwargs],
                producer=producer,
            )


def _tenants_without_policy(names: list[str]) -> set[str]:
    """Which of these names (not found with a policy) are tenants nonetheless: rows made
    outside the provisioning service, which no run can use. One query, or none."""
    if not names:
        return set()
    tenants = Tenant.objects.filter(schema_name__in=names).exclude(
        schema_name=get_public_schema_name()
    )
    return set(tenants.values_list("schema_name", flat=True))


def cleanup_runs_dispatch(runs: list[list[str]], task_kwargs: dict[str, Any]) -> int:
    """Publish the run tasks of a trigger-all (a worker's half of `cleanup_trigger_many`):
    `runs` are [schema name, task id] pairs whose reservations the request wrote. Safe to run
    twice: a second copy of a task finds its reservation taken and does nothing."""
    runs_publish([RunMessage(schema, task_id, task_kwargs) for schema, task_id in runs])
    return len(runs)


def trigger_run_report_record(*, schema_name: str, task_id: str, report_id: int) -> None:
    """A trigger's run created its report: record its id on the trigger's run (one UPDATE,
    through the tenant's index: a tenant has one row per trigger that ran it), in the
    report's transaction, so both exist or neither."""
    TriggerRun.objects.filter(
        tenant__schema_name=schema_name, task_id=task_id, report_id__isnull=True
    ).update(report_id=report_id)
