"""Writes of the cleanup engine. Each service owns its transactions.

A run removes people's accounts, so the invariants are strict (DESIGN §4):
- a removed user always has an audit entry and an audited user is always gone, because
  both happen in one transaction per batch;
- at most one queued-or-running run per tenant, enforced by a unique index;
- a run that would remove too large a share of the tenant removes nothing.
"""

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import CASCADE, DO_NOTHING, SET_NULL, Model, Q
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from cleanup.models import CleanupAuditEntry, CleanupReport
from cleanup.policy import POLICY_FIELDS, PolicySpec
from cleanup.selectors import eligible_users, matched_users, report_active
from tenants import schedule
from tenants.context import current_schema
from tenants.models import CleanupPolicy, Tenant

logger = logging.getLogger(__name__)

Status = CleanupReport.Status


class CleanupAlreadyActive(Exception):
    """A run is already queued or running for this tenant."""

    def __init__(self, report_id: int | None):
        super().__init__("A cleanup is already queued or running for this tenant.")
        self.report_id = report_id


class BrokerUnavailable(Exception):
    """The task queue (Redis) could not accept the run."""


class RunCancelled(Exception):
    """The report stopped being `running` under us (e.g. the reaper ended it)."""


# --- Policy ---------------------------------------------------------------------------------


def policy_get(schema_name: str) -> CleanupPolicy:
    return CleanupPolicy.objects.select_related("tenant").get(tenant__schema_name=schema_name)


def policy_update(*, policy: CleanupPolicy, data: dict[str, Any]) -> CleanupPolicy:
    """Apply `data` (any policy fields), validate the whole policy, recompute `next_run_at`.

    Raises ValidationError with per-field messages and saves nothing on bad input.
    """
    unknown = set(data) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown policy field."] for name in sorted(unknown)})
    for name, value in data.items():
        setattr(policy, name, value)
    policy.full_clean(exclude=["tenant"])
    policy.next_run_at = schedule.next_run(policy.schedule, policy.timezone, timezone.now())
    policy.save()
    logger.info(
        "cleanup.policy.updated", extra={"tenant": policy.tenant_id, "fields": sorted(data)}
    )
    return policy


# --- Starting a run -------------------------------------------------------------------------


def cleanup_report_create(
    *,
    schema_name: str,
    trigger: str,
    triggered_by: str | None = None,
    dry_run: bool | None = None,
    task_id: str = "",
) -> CleanupReport:
    """Create a `queued` report in the current (tenant) schema, snapshotting the policy.

    Raises CleanupAlreadyActive — decided by the database's unique index, not by a
    check-then-insert — when the tenant already has a queued or running run.
    """
    spec = PolicySpec.from_policy(policy_get(schema_name))
    try:
        with transaction.atomic():
            return CleanupReport.objects.create(
                status=Status.QUEUED,
                trigger=trigger,
                triggered_by=triggered_by,
                dry_run=spec.dry_run if dry_run is None else dry_run,
                action=spec.action,
                policy=spec.snapshot(),
                task_id=task_id,
            )
    except IntegrityError as exc:
        active = report_active()
        raise CleanupAlreadyActive(active.pk if active else None) from exc


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
    BrokerUnavailable raised: no run is left `queued` forever.
    """
    from cleanup.tasks import run_tenant  # tasks import services; avoid the cycle

    task_id = str(uuid.uuid4())
    with schema_context(schema_name):
        report = cleanup_report_create(
            schema_name=schema_name,
            trigger=trigger,
            triggered_by=triggered_by,
            dry_run=dry_run,
            task_id=task_id,
        )
        try:
            run_tenant.apply_async(
                args=[schema_name],
                kwargs={"report_id": report.pk, "trigger": trigger},
                task_id=task_id,
                retry_policy=settings.CLEANUP_PUBLISH_RETRY_POLICY,
            )
        except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
            CleanupReport.objects.filter(pk=report.pk).delete()
            logger.warning(
                "cleanup.enqueue.broker_unavailable",
                extra={"tenant": schema_name, "error": repr(exc)},
            )
            raise BrokerUnavailable("The task queue is unavailable.") from exc
    logger.info(
        "cleanup.enqueued",
        extra={"tenant": schema_name, "report_id": report.pk, "trigger": trigger},
    )
    return report


# --- Running --------------------------------------------------------------------------------


@dataclass
class _Batch:
    ids: list[int]
    reasons: list[str]
    # Where the next batch starts (exclusive), or None when no user is left to look at.
    next_after: int | None


def _report_finish(report: CleanupReport, status: str, error: str = "") -> None:
    report.status = status
    report.error = error
    report.finished_at = timezone.now()
    if status == Status.SUCCEEDED:
        report.progress = 1.0
    report.save(update_fields=["status", "error", "finished_at", "progress"])
    _summary_publish(report)


def _summary_publish(report: CleanupReport) -> None:
    """Copy the run's outcome to the tenant's public policy row for the operators' console."""
    CleanupPolicy.objects.filter(tenant__schema_name=current_schema()).update(
        last_report_id=report.pk,
        last_report_status=report.status,
        last_report_finished_at=report.finished_at,
        last_report_users_removed=report.users_removed,
    )


def _audit_insert(report_id: int, batch: _Batch) -> None:
    """Copy the batch's users into the audit list, set-based, before they are removed."""
    user_table = get_user_model()._meta.db_table
    audit_table = CleanupAuditEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {audit_table}
                (report_id, user_id, username, email, last_login, last_seen, date_joined, reason)
            SELECT %s, u.id, u.username, u.email, u.last_login, u.last_seen, u.date_joined, b.reason
            FROM {user_table} u
            JOIN unnest(%s::bigint[], %s::text[]) AS b(id, reason) ON b.id = u.id
            """,
            [report_id, batch.ids, batch.reasons],
        )


def _users_remove(action: str, ids: list[int]) -> int:
    user_model = get_user_model()
    if action == "delete":
        return _delete_cascading(user_model, BY_PKS, [ids])
    opts = user_model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {opts.db_table} SET is_active = false WHERE {opts.pk.column} = ANY(%s)",  # type: ignore[union-attr]
            [ids],
        )
        return cursor.rowcount


# The `where` of _delete_cascading for "the rows with these primary keys" (one array).
BY_PKS = "{pk} = ANY(%s)"


def _delete_cascading(
    model: type[Model], where: str, params: list[Any], _path: tuple[type[Model], ...] = ()
) -> int:
    """Delete `model`'s rows matching `where` ("{pk}" stands for its primary key column) and,
    first, what depends on them as each foreign key's on_delete says: CASCADE deletes (and
    recurses), SET_NULL clears, DO_NOTHING leaves. One set-based statement per table.

    It is what Django's collector does, minus loading rows: django-tenants connects a
    post_delete receiver for every model, which stops the collector from fast-deleting, so
    `queryset.delete()` would fetch every group link and admin-log row into Python and
    delete them a hundred at a time. No signal handler here needs the objects. Any other
    on_delete rule (PROTECT, RESTRICT, SET_DEFAULT, SET(...)), a generic relation or a
    cycle raises NotImplementedError, so a new relation to users fails loudly instead of
    being handled wrongly.
    """
    opts = model._meta

    def quote(name: object) -> str:
        return connection.ops.quote_name(str(name))

    if model in _path or opts.parents:
        raise NotImplementedError(f"set-based delete of {opts.label}: cycle or inheritance")
    if any(hasattr(field, "bulk_related_objects") for field in opts.private_fields):
        raise NotImplementedError(f"set-based delete of {opts.label}: generic relation")
    by_pks = where == BY_PKS
    where = where.replace("{pk}", quote(opts.pk.column))  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        for relation in opts.get_fields(include_hidden=True):
            if not (
                relation.auto_created
                and not relation.concrete
                and (relation.one_to_many or relation.one_to_one)
            ):
                continue
            field: Any = relation.field  # type: ignore[union-attr]
            child: type[Model] = field.model
            if by_pks and field.target_field == opts.pk:
                # The children point at the very keys given: no need to join the parent.
                child_where = f"{quote(field.column)} = ANY(%s)"
            else:
                keys = f"SELECT {quote(field.target_field.column)} FROM {quote(opts.db_table)}"
                child_where = f"{quote(field.column)} IN ({keys} WHERE {where})"
            rule = field.remote_field.on_delete
            if rule is CASCADE:
                _delete_cascading(child, child_where, params, (*_path, model))
            elif rule is SET_NULL:
                cursor.execute(
                    f"UPDATE {quote(child._meta.db_table)} SET {quote(field.column)} = NULL "
                    f"WHERE {child_where}",
                    params,
                )
            elif rule is not DO_NOTHING:
                raise NotImplementedError(
                    f"set-based delete of {opts.label}: {relation} on_delete={rule.__name__}"
                )
        cursor.execute(f"DELETE FROM {quote(opts.db_table)} WHERE {where}", params)
        return cursor.rowcount


# A batch looks for matched users among at most this many times its size of next users.
BATCH_WINDOW = 4


def _batch_next(spec: PolicySpec, now: datetime, after_pk: int, size: int) -> _Batch:
    """Up to `size` matched users after `after_pk` by primary key, locked, re-checked against
    the policy — looked for among the next `size * BATCH_WINDOW` users only.

    The window's upper bound keeps each batch's query as cheap at the end of the table as at
    its start: with only `pk > after_pk`, PostgreSQL merges the exempt-group anti-join from
    the first row of the group-membership index on every batch, so a run's cost grew with
    the square of the tenant's size. A window may hold no matched user at all.
    """
    window = size * BATCH_WINDOW
    following = get_user_model().objects.filter(pk__gt=after_pk).order_by("pk")
    upper = list(following.values_list("pk", flat=True)[window - 1 : window])
    candidates = matched_users(spec, now).filter(pk__gt=after_pk)
    if upper:
        candidates = candidates.filter(pk__lte=upper[0])
    rows = (
        candidates.order_by("pk").select_for_update(of=("self",)).values_list("pk", "reason")[:size]  # type: ignore[misc]  # "reason" is annotated
    )
    ids, reasons = [], []
    for pk, reason in rows:
        ids.append(pk)
        reasons.append(reason)
    if len(ids) == size:
        next_after: int | None = ids[-1]  # the window may hold more
    else:
        next_after = upper[0] if upper else None  # window exhausted; none after it
    return _Batch(ids=ids, reasons=reasons, next_after=next_after)


def cleanup_run(*, report_id: int, batch_size: int | None = None) -> CleanupReport:
    """Run a queued cleanup to its end, in the current (tenant) schema.

    Safe to call twice: only a `queued` report is started; any other is returned as is.
    Matched users are walked in keyset batches over the primary key, one transaction per
    batch — re-check, audit, remove, count — so memory stays flat and a crash loses at most
    the batch in flight, which rolls back whole. Never raises for a failure of the run
    itself: the report ends `failed` with the error.
    """
    batch_size = batch_size or settings.CLEANUP_BATCH_SIZE
    with transaction.atomic():
        report = CleanupReport.objects.select_for_update().get(pk=report_id)
        if report.status != Status.QUEUED:
            logger.info(
                "cleanup.run.skipped", extra={"report_id": report_id, "status": report.status}
            )
            return report
        now = timezone.now()
        report.status, report.started_at, report.heartbeat_at = Status.RUNNING, now, now
        report.save(update_fields=["status", "started_at", "heartbeat_at"])

    log = {"tenant": current_schema(), "report_id": report.pk}
    logger.info("cleanup.run.started", extra=log)
    try:
        _run(report, PolicySpec.from_snapshot(report.policy), now, batch_size)
    except RunCancelled:
        report.refresh_from_db()
        logger.warning("cleanup.run.cancelled", extra={**log, "status": report.status})
    except Exception as exc:
        logger.exception("cleanup.run.failed", extra=log)
        report.refresh_from_db()
        _report_finish(report, Status.FAILED, f"{type(exc).__name__}: {exc}")
    logger.info(
        "cleanup.run.finished",
        extra={**log, "status": report.status, "removed": report.users_removed},
    )
    return report


def _run(report: CleanupReport, spec: PolicySpec, now: datetime, batch_size: int) -> None:
    report.users_eligible = eligible_users(spec, now).count()
    report.users_matched = matched_users(spec, now).count()
    report.save(update_fields=["users_eligible", "users_matched"])

    if (
        report.users_eligible
        and report.users_matched / report.users_eligible > spec.max_removal_ratio
    ):
        share = report.users_matched / report.users_eligible
        _report_finish(
            report,
            Status.ABORTED,
            f"Safety cap: the run would remove {report.users_matched} of {report.users_eligible} "
            f"eligible users ({share:.0%}), more than max_removal_ratio "
            f"{spec.max_removal_ratio:.0%}. Nothing was removed.",
        )
        return
    if report.dry_run:
        _report_finish(report, Status.SUCCEEDED)
        return

    after_pk: int | None = 0
    while after_pk is not None:
        with transaction.atomic():
            batch = _batch_next(spec, now, after_pk, batch_size)
            if batch.ids:
                _audit_insert(report.pk, batch)
                report.users_removed += _users_remove(spec.action, batch.ids)
                report.progress = min(1.0, report.users_removed / max(report.users_matched, 1))
            # Conditional on still `running`: if the reaper ended this run, roll the batch
            # back and stop rather than remove anyone more. Also the heartbeat, so it beats
            # through windows where nobody matched.
            updated = CleanupReport.objects.filter(pk=report.pk, status=Status.RUNNING).update(
                users_removed=report.users_removed,
                progress=report.progress,
                heartbeat_at=timezone.now(),
            )
            if not updated:
                raise RunCancelled()
        after_pk = batch.next_after
    _report_finish(report, Status.SUCCEEDED)


# --- Scheduling -----------------------------------------------------------------------------


def cleanup_due_claim(*, now: datetime) -> list[str]:
    """Claim the tenants whose scheduled run is due; return their schema names.

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
        for policy in due:
            policy.next_run_at = schedule.next_run(policy.schedule, policy.timezone, now)
        if due:
            CleanupPolicy.objects.bulk_update(due, ["next_run_at"])
    return [policy.tenant.schema_name for policy in due]


def cleanup_fan_out(*, now: datetime | None = None) -> list[str]:
    """Queue a scheduled run for every due tenant; the tick itself touches no tenant schema.

    Each task gets a small random delay so a thousand tenants due at 03:00 do not all hit
    the database in the same second.
    """
    from cleanup.tasks import run_tenant

    due = cleanup_due_claim(now=now or timezone.now())
    jitter = settings.CLEANUP_FANOUT_JITTER_S
    for schema_name in due:
        run_tenant.apply_async(
            args=[schema_name],
            kwargs={"trigger": CleanupReport.Trigger.SCHEDULE},
            countdown=random.uniform(0, jitter) if jitter else 0,  # noqa: S311 -- not secret
        )
    if due:
        logger.info("cleanup.fan_out", extra={"due": len(due)})
    return due


def cleanup_reap_stale(*, now: datetime | None = None) -> list[tuple[str, int]]:
    """End runs whose worker is gone, releasing their tenants.

    `running` with no heartbeat for CLEANUP_STALE_AFTER_S, or `queued` for longer than
    CLEANUP_QUEUED_TIMEOUT_S, becomes `failed`. Visits each active tenant's schema with one
    UPDATE; returns (schema, report id) of what it ended.
    """
    now = now or timezone.now()
    stale_heartbeat = now - timedelta(seconds=settings.CLEANUP_STALE_AFTER_S)
    stale_queue = now - timedelta(seconds=settings.CLEANUP_QUEUED_TIMEOUT_S)
    reaped: list[tuple[str, int]] = []
    schemas = Tenant.objects.exclude(schema_name=get_public_schema_name()).values_list(
        "schema_name", flat=True
    )
    for schema_name in schemas:
        with schema_context(schema_name), transaction.atomic():
            stale = list(
                CleanupReport.objects.select_for_update(skip_locked=True).filter(
                    Q(status=Status.RUNNING, heartbeat_at__lt=stale_heartbeat)
                    | Q(status=Status.QUEUED, created_at__lt=stale_queue)
                )
            )
            for report in stale:
                was = report.status
                message = (
                    "Worker lost: no heartbeat since "
                    f"{report.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC; the batch in flight was "
                    "rolled back. Start a new run to finish the job."
                    if was == Status.RUNNING
                    else "Never started: the task was lost before a worker picked it up."
                )
                _report_finish(report, Status.FAILED, message)
                reaped.append((schema_name, report.pk))
                logger.warning(
                    "cleanup.run.reaped",
                    extra={"tenant": schema_name, "report_id": report.pk, "was": was},
                )
    return reaped
