"""Scheduling and housekeeping: beat's fan-out of due tenants, and the reaper."""

import logging
import random
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, Q, Value, When
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from cleanup.models import CleanupReport
from cleanup.policy import next_run_at
from cleanup.services.runs import report_finish
from tenants.models import CleanupPolicy, Tenant

logger = logging.getLogger(__name__)

Status = CleanupReport.Status


class Claim(NamedTuple):
    """A due tenant the tick took: `next_run_at` moved from `due_at` to `next_run_at`."""

    tenant_id: int
    schema_name: str
    due_at: datetime | None
    next_run_at: datetime


def cleanup_due_claim(*, now: datetime) -> list[Claim]:
    """Claim the tenants whose scheduled run is due.

    One query selects them (indexed on next_run_at, locking rows and skipping rows another
    beat holds) and one query advances each `next_run_at` from its cron in its timezone, in
    the same transaction: a second beat, or the same tick retried, finds nothing left to
    claim. The query count does not depend on how many tenants are due.
    """
    with transaction.atomic():
        due = list(
            CleanupPolicy.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(enabled=True, tenant__is_active=True, next_run_at__lte=now)
            .exclude(tenant__schema_name=get_public_schema_name())
            .select_related("tenant")
            .only("tenant__schema_name", "schedule", "timezone", "next_run_at")
        )
        claims = []
        for policy in due:
            following = next_run_at(policy, now)
            claims.append(
                Claim(policy.pk, policy.tenant.schema_name, policy.next_run_at, following)
            )
            policy.next_run_at = following
        if due:
            CleanupPolicy.objects.bulk_update(due, ["next_run_at"])
    return claims


def cleanup_due_release(claims: list[Claim]) -> int:
    """Make claimed tenants due again, as they were before the tick; return how many.

    One UPDATE for any number of tenants. Each row is restored only while it still holds the
    `next_run_at` the claim set: a policy saved meanwhile (which recomputes it) keeps its
    new value, and a tenant another tick has since claimed is not touched.
    """
    if not claims:
        return 0
    return CleanupPolicy.objects.filter(
        reduce(or_, (Q(pk=c.tenant_id, next_run_at=c.next_run_at) for c in claims))
    ).update(
        next_run_at=Case(
            *(When(pk=c.tenant_id, then=Value(c.due_at)) for c in claims),
            output_field=DateTimeField(),
        )
    )


def cleanup_fan_out(*, now: datetime | None = None) -> list[str]:
    """Queue a scheduled run for every due tenant; return the schemas queued.

    The tick itself touches no tenant schema. Each task gets a small random delay so a
    thousand tenants due at 03:00 do not all hit the database in the same second.

    The claim is committed before publishing (a published run must find its tenant already
    advanced, or the next tick would run it again). When the broker refuses a publish, the
    tick stops there — the broker is down, and every further try would wait out its timeout
    — and releases that tenant and the ones not yet published, so the first tick after
    Redis is back runs them. Never raises for a broker failure.

    A publish that timed out on a hung (not dead) Redis may still have reached it; that
    tenant is released too and may then run twice: a second scheduled run is harmless
    (it removes no one the first did not), a skipped one is not.

    Not covered: the process dying between the claim's commit and its last publish (a
    SIGKILL, the OOM killer) leaves the unpublished tenants advanced, so they wait for their
    next scheduled time. Closing that needs an outbox of claims, not a few lines here.
    """
    from cleanup.tasks import run_tenant

    claims = cleanup_due_claim(now=now or timezone.now())
    jitter = settings.CLEANUP_FANOUT_JITTER_S
    published: list[str] = []
    for index, claim in enumerate(claims):
        try:
            run_tenant.apply_async(
                args=[claim.schema_name],
                kwargs={"trigger": CleanupReport.Trigger.SCHEDULE},
                countdown=random.uniform(0, jitter) if jitter else 0,  # noqa: S311 -- not secret
                retry_policy=settings.CLEANUP_PUBLISH_RETRY_POLICY,
            )
        except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
            released = cleanup_due_release(claims[index:])
            logger.warning(
                "cleanup.fan_out.broker_unavailable",
                extra={
                    "published": len(published),
                    "released": released,
                    "tenant": claim.schema_name,
                    "error": repr(exc),
                },
            )
            break
        published.append(claim.schema_name)
    if claims:
        logger.info("cleanup.fan_out", extra={"due": len(claims), "published": len(published)})
    return published


def _run_republish(schema_name: str, report: CleanupReport, now: datetime) -> bool:
    """Publish a still-`queued` run's task again; False when the broker refuses.

    Safe however many copies reach the queue: the run starts only from `queued`, so the
    first copy a worker takes runs it and the others return at once.
    """
    from cleanup.tasks import run_tenant

    try:
        run_tenant.apply_async(
            args=[schema_name],
            kwargs={"report_id": report.pk, "trigger": report.trigger},
            retry_policy=settings.CLEANUP_PUBLISH_RETRY_POLICY,
        )
    except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
        logger.warning(
            "cleanup.run.republish_failed",
            extra={"tenant": schema_name, "report_id": report.pk, "error": repr(exc)},
        )
        return False
    CleanupReport.objects.filter(pk=report.pk, status=Status.QUEUED).update(published_at=now)
    logger.info("cleanup.run.republished", extra={"tenant": schema_name, "report_id": report.pk})
    return True


def cleanup_reap_stale(*, now: datetime | None = None) -> list[tuple[str, int]]:
    """End runs whose worker is gone, and re-publish runs that may have lost their task.

    A `running` run with no heartbeat for CLEANUP_STALE_AFTER_S becomes `failed`, freeing
    its tenant. A run `queued` for longer than CLEANUP_QUEUED_TIMEOUT_S is never failed — it
    may only be waiting behind a long trigger-all — but its task is published again, at most
    once per that period; with the broker down it is left for a later tick. Returns
    (schema, report id) of the runs it ended.

    Visits each tenant's schema in its own transaction; a tenant that fails (its schema
    dropped, a table missing) is logged and skipped, and the others are still reaped.
    """
    now = now or timezone.now()
    schemas = Tenant.objects.exclude(schema_name=get_public_schema_name()).values_list(
        "schema_name", flat=True
    )
    reaped: list[tuple[str, int]] = []
    broker_up = True
    for schema_name in schemas:
        try:
            with schema_context(schema_name):
                ended, broker_up = _reap_tenant(schema_name, now, republish=broker_up)
        except Exception:
            logger.exception("cleanup.reap.failed", extra={"tenant": schema_name})
            continue
        reaped.extend((schema_name, pk) for pk in ended)
    return reaped


def _reap_tenant(schema_name: str, now: datetime, republish: bool) -> tuple[list[int], bool]:
    """Reap the current schema; return the ids of the runs ended, and whether the broker is
    still worth trying (once it refused, the rest of the tick does not wait on it again)."""
    stale_heartbeat = now - timedelta(seconds=settings.CLEANUP_STALE_AFTER_S)
    stale_publish = now - timedelta(seconds=settings.CLEANUP_QUEUED_TIMEOUT_S)
    unpublished = Q(status=Status.QUEUED) & (
        Q(published_at__lt=stale_publish)
        | Q(published_at__isnull=True, created_at__lt=stale_publish)
    )
    stale = Q(status=Status.RUNNING, heartbeat_at__lt=stale_heartbeat)
    if republish:
        stale |= unpublished
    ended: list[int] = []
    with transaction.atomic():
        # Locked, and re-checked by PostgreSQL on the locked row: a run that finished, beat
        # or started since it was read is no longer selected, and one whose worker holds
        # its row mid-batch is skipped — it is plainly not lost.
        for report in CleanupReport.objects.select_for_update(skip_locked=True).filter(stale):
            if report.status == Status.QUEUED:
                republish = republish and _run_republish(schema_name, report, now)
                continue
            report_finish(
                report,
                Status.FAILED,
                "Worker lost: no heartbeat since "
                f"{report.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC; the batch in flight was "
                "rolled back. Start a new run to finish the job.",
                from_statuses=(Status.RUNNING,),
            )
            ended.append(report.pk)
            logger.warning(
                "cleanup.run.reaped", extra={"tenant": schema_name, "report_id": report.pk}
            )
    return ended, republish
