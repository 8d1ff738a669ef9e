"""The public registry of active runs mirrors every status change of a report, in the same
transaction; finished runs leave their outcome; the one-off backfill and the reaper put a
registry that fell behind its reports right."""

from datetime import timedelta
from types import SimpleNamespace
from typing import Any, NamedTuple

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from cleanup.models import CleanupAuditEntry, CleanupReport
from cleanup.services import execution
from cleanup.services.execution import cleanup_run
from cleanup.services.registry import notices_count
from cleanup.services.stages import Batch
from cleanup.services.start import (
    BrokerUnavailable,
    cleanup_enqueue,
    cleanup_report_create,
    cleanup_start,
)
from cleanup.services.transitions import report_transition
from cleanup.tests.factories import CleanupReportFactory
from cleanup.tests.support import BatchFn, each_batch
from core.testing.broker import broker_at, free_port
from fleet.backfill import registry_rebuild
from fleet.services.reaper import cleanup_reap_stale
from policy.models import CleanupPolicy, RunOutcome
from policy.tests.factories import CleanupPolicyFactory
from tenants.models import Tenant

pytestmark = pytest.mark.django_db
Status = CleanupReport.Status


class Registry(NamedTuple):
    status: str
    report_id: int | None
    since: Any
    heartbeat_at: Any


def registry(schema: str = "alpha") -> Registry:
    policy = CleanupPolicy.objects.get(tenant__schema_name=schema)
    return Registry(
        policy.active_report_status,
        policy.active_report_id,
        policy.active_report_since,
        policy.active_report_heartbeat_at,
    )


EMPTY = Registry("", None, None, None)


def outcomes(schema: str = "alpha") -> list[tuple[int, str, int]]:
    rows = RunOutcome.objects.filter(tenant__schema_name=schema).order_by("id")
    return list(rows.values_list("report_id", "status", "users_removed"))


def inactive_users(count: int) -> None:
    long_ago = timezone.now() - timedelta(days=400)
    User.objects.bulk_create(
        [User(username=f"gone{i}", last_login=long_ago, date_joined=long_ago) for i in range(count)]
    )


def policy_set(**fields: Any) -> None:
    CleanupPolicy.objects.filter(tenant__schema_name="alpha").update(**fields)


def test_a_created_report_holds_the_slot_in_the_registry(in_tenant_a: Tenant) -> None:
    report = cleanup_report_create(schema_name="alpha", trigger="manual")

    held = registry()
    assert (held.status, held.report_id) == ("queued", report.pk)
    assert held.since and held.heartbeat_at


@override_settings(CLEANUP_STALE_AFTER_S=0)  # the mirror beats with every batch
def test_a_run_is_mirrored_from_queued_through_every_batch_to_its_end(
    in_tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy_set(dry_run=False, max_removal_ratio=1.0, notice_days=0)
    inactive_users(5)
    report = cleanup_report_create(schema_name="alpha", trigger="manual", dry_run=False)
    seen: list[tuple[Registry, Any]] = []

    def remove_and_look(batch: BatchFn, after_pk: int, size: int) -> Batch:
        # At each batch: what the registry holds, and what the report's row holds.
        beat = CleanupReport.objects.values_list("heartbeat_at", flat=True).get(pk=report.pk)
        seen.append((registry(), beat))
        return batch(after_pk, size)

    each_batch(monkeypatch, "remove", remove_and_look)

    done = cleanup_run(report_id=report.pk, batch_size=2)

    assert done.status == "succeeded" and done.users_removed == 5
    assert len(seen) >= 3  # 5 users, 2 a batch (and maybe an empty last window)
    for held, beat in seen:
        assert (held.status, held.report_id, held.heartbeat_at) == ("running", report.pk, beat)
    beats = [beat for _, beat in seen[1:]]
    assert beats == sorted(set(beats))  # each batch beat, later than the one before
    assert registry() == EMPTY
    summary = CleanupPolicy.objects.get(tenant__schema_name="alpha")
    assert (summary.last_report_id, summary.last_report_status) == (report.pk, "succeeded")
    assert outcomes() == [(report.pk, "succeeded", 5)]


def test_the_mirror_beats_every_tenth_of_the_staleness_period_not_every_batch(
    in_tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy_set(dry_run=False, max_removal_ratio=1.0, notice_days=0)
    inactive_users(12)
    report = cleanup_report_create(schema_name="alpha", trigger="manual", dry_run=False)
    # Each batch takes 20 s by the run's clock; the mirror may lag 30 s (300 s / 10).
    elapsed = timedelta()
    monkeypatch.setattr(
        execution, "timezone", SimpleNamespace(now=lambda: timezone.now() + elapsed)
    )
    seen: list[tuple[Any, Any]] = []

    def slow_batch(batch: BatchFn, after_pk: int, size: int) -> Batch:
        nonlocal elapsed
        beat = CleanupReport.objects.values_list("heartbeat_at", flat=True).get(pk=report.pk)
        seen.append((registry().heartbeat_at, beat))
        elapsed += timedelta(seconds=20)
        return batch(after_pk, size)

    each_batch(monkeypatch, "remove", slow_batch)

    with override_settings(CLEANUP_STALE_AFTER_S=300):
        done = cleanup_run(report_id=report.pk, batch_size=2)

    assert done.status == "succeeded" and done.users_removed == 12
    after_a_batch = seen[1:]  # before the first one, the report's beat is its start
    assert len(after_a_batch) >= 5
    mirrors = {mirror for mirror, _beat in after_a_batch}
    assert after_a_batch[0][0] == after_a_batch[0][1]  # the stage's first batch mirrored
    assert 1 < len(mirrors) < len(after_a_batch)  # beat again later, but not every batch
    for mirror, beat in after_a_batch:
        assert timedelta() <= beat - mirror < timedelta(seconds=30)


class Change(NamedTuple):
    start: str
    to: str
    held: str  # the registry's status after the change ("" = freed)


CHANGES = [
    Change("queued", "running", "running"),
    Change("running", "awaiting_approval", "awaiting_approval"),
    Change("awaiting_approval", "queued", "queued"),  # approved
    Change("awaiting_approval", "aborted", ""),  # rejected or expired
    Change("running", "succeeded", ""),
    Change("running", "failed", ""),
    Change("running", "aborted", ""),
    Change("queued", "aborted", ""),  # its tenant was suspended
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: f"{c.start}-{c.to}")
def test_every_status_change_through_report_transition_is_mirrored(
    in_tenant_a: Tenant, change: Change
) -> None:
    report = cleanup_report_create(schema_name="alpha", trigger="manual")
    CleanupReport.objects.filter(pk=report.pk).update(status=change.start)
    before = timezone.now()

    extra = {"finished_at": timezone.now()} if not change.held else {}
    assert report_transition(report, change.to, from_statuses=(change.start,), **extra)

    held = registry()
    if change.held:
        assert (held.status, held.report_id) == (change.held, report.pk)
        assert held.since >= before
        assert outcomes() == []
    else:
        assert held == EMPTY
        assert outcomes() == [(report.pk, change.to, 0)]


def test_a_change_that_does_not_take_leaves_the_registry_alone(in_tenant_a: Tenant) -> None:
    report = cleanup_report_create(schema_name="alpha", trigger="manual")
    before = registry()

    assert not report_transition(report, "succeeded", from_statuses=("running",))

    assert registry() == before and outcomes() == []


def test_a_dry_runs_outcome_removes_nobody(in_tenant_a: Tenant) -> None:
    report = cleanup_report_create(schema_name="alpha", trigger="manual", dry_run=True)
    CleanupReport.objects.filter(pk=report.pk).update(status="running", users_removed=4)

    report_transition(report, "succeeded", from_statuses=("running",), finished_at=timezone.now())

    assert outcomes() == [(report.pk, "succeeded", 0)]


@pytest.mark.parametrize(
    ("start", "to", "recorded"),
    [
        ("awaiting_approval", "aborted", 0),  # rejected, or its approval expired
        ("queued", "aborted", 0),  # approved, then its tenant was suspended before it ran
        ("running", "aborted", 0),  # over the cap with on_cap "abort"
        ("running", "failed", 4),  # its worker was lost after committing batches
        ("running", "succeeded", 4),
    ],
)
def test_an_outcome_records_only_what_a_run_really_removed(
    in_tenant_a: Tenant, start: str, to: str, recorded: int
) -> None:
    report = cleanup_report_create(schema_name="alpha", trigger="manual", dry_run=False)
    # The counters as the engine leaves them: what it would do before it ran, else what
    # its committed batches did.
    CleanupReport.objects.filter(pk=report.pk).update(
        status=start, users_matched=5, users_deactivated=4, users_removed=4
    )

    report_transition(report, to, from_statuses=(start,), finished_at=timezone.now())

    assert outcomes() == [(report.pk, to, recorded)]
    policy = CleanupPolicy.objects.get(tenant=in_tenant_a)
    assert (policy.last_report_status, policy.last_report_users_removed) == (to, recorded)
    # The report keeps its counters: they are what the run found, labelled would-be.
    report.refresh_from_db()
    assert report.users_removed == 4 and report.counts_are_would == (recorded == 0)


def test_a_run_withdrawn_after_a_refused_publish_frees_the_registry(tenant_a: Tenant) -> None:
    with broker_at(f"redis://127.0.0.1:{free_port()}/0"), pytest.raises(BrokerUnavailable):
        cleanup_enqueue(schema_name="alpha", trigger="manual")

    assert registry() == EMPTY
    with schema_context("alpha"):
        assert not CleanupReport.objects.exists()


def test_a_queued_run_of_a_suspended_tenant_ends_aborted_and_frees_the_registry(
    tenant_a: Tenant,
) -> None:
    with schema_context("alpha"):
        report = cleanup_report_create(schema_name="alpha", trigger="manual")
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=False)

    ended = cleanup_start(schema_name="alpha", report_id=report.pk)

    assert ended.status == "aborted"
    assert registry() == EMPTY
    assert outcomes() == [(report.pk, "aborted", 0)]


class WorkerKilled(BaseException):
    """Not an Exception: the run's handler does not catch it, as it cannot catch a SIGKILL."""


def test_a_crash_between_batches_leaves_the_last_beat_mirrored_and_the_reaper_frees_it(
    tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy_set(dry_run=False, max_removal_ratio=1.0, notice_days=0)
    with schema_context("alpha"):
        inactive_users(6)
        report = cleanup_report_create(schema_name="alpha", trigger="manual", dry_run=False)
        calls = []

        def dies_at_the_second_batch(batch: BatchFn, after_pk: int, size: int) -> Batch:
            calls.append(1)
            if len(calls) == 2:
                raise WorkerKilled()
            return batch(after_pk, size)

        each_batch(monkeypatch, "remove", dies_at_the_second_batch)
        with pytest.raises(WorkerKilled):
            cleanup_run(report_id=report.pk, batch_size=2)
        crashed = CleanupReport.objects.get(pk=report.pk)
        audited = CleanupAuditEntry.objects.filter(report=report).count()

    # The first batch committed with its beat, in the report and in its mirror alike.
    assert (crashed.status, crashed.users_removed, audited) == ("running", 2, 2)
    held = registry()
    assert (held.status, held.report_id, held.heartbeat_at) == (
        "running",
        report.pk,
        crashed.heartbeat_at,
    )

    later = timezone.now() + timedelta(seconds=settings.CLEANUP_STALE_AFTER_S + 1)
    assert cleanup_reap_stale(now=later) == [("alpha", report.pk)]

    assert registry() == EMPTY
    assert outcomes() == [(report.pk, "failed", 2)]


def test_the_reaper_corrects_a_registry_left_behind_by_a_run_that_ended_without_it(
    tenant_a: Tenant,
) -> None:
    """A run ended by code older than the registry: the mirror still says running."""
    long_ago = timezone.now() - timedelta(hours=1)
    with schema_context("alpha"):
        report = CleanupReportFactory.create(
            trigger="schedule", finished_at=long_ago, users_removed=3
        )
    policy_set(
        active_report_id=report.pk,
        active_report_status="running",
        active_report_heartbeat_at=long_ago,
    )

    assert cleanup_reap_stale() == []  # nothing to end: it had ended

    assert registry() == EMPTY
    assert outcomes() == [(report.pk, "succeeded", 3)]
    with schema_context("alpha"):
        assert CleanupReport.objects.get(pk=report.pk).status == "succeeded"


def test_the_backfill_mirrors_active_runs_and_recent_outcomes_and_keeps_reservations(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    now = timezone.now()
    with schema_context("alpha"):
        running = CleanupReportFactory.create(status="running", heartbeat_at=now)
        CleanupReport.objects.filter(pk=running.pk).update(created_at=now - timedelta(hours=2))
    with schema_context("beta"):
        kept = []
        for days, status, removed in (
            (1, "succeeded", 4),
            (40, "succeeded", 9),
            (2, "failed", 0),
            (3, "aborted", 6),  # rejected: its counters say what it would have removed
        ):
            kept.append(
                CleanupReportFactory.create(
                    status=status,
                    trigger="schedule",
                    action="delete",
                    finished_at=now - timedelta(days=days),
                    users_removed=removed,
                )
            )
    (gamma,) = Tenant.objects.bulk_create([Tenant(schema_name="gamma", name="Gamma")])
    CleanupPolicyFactory.create(
        tenant=gamma, active_report_status="queued", active_task_id="reserved-task"
    )
    # beta's registry says running, but no report of beta is active any more.
    CleanupPolicy.objects.filter(tenant=tenant_b).update(
        active_report_id=kept[0].pk, active_report_status="running"
    )

    counts = registry_rebuild(connection)
    registry_rebuild(connection)  # idempotent

    assert counts == {"tenants": 2, "active": 1}  # gamma has no schema: skipped
    held = registry("alpha")
    assert (held.status, held.report_id, held.heartbeat_at) == ("running", running.pk, now)
    assert registry("beta") == EMPTY
    assert outcomes("beta") == [
        (kept[0].pk, "succeeded", 4),
        (kept[2].pk, "failed", 0),
        (kept[3].pk, "aborted", 0),
    ]
    assert outcomes("alpha") == []
    gamma_policy = CleanupPolicy.objects.get(tenant=gamma)
    assert (gamma_policy.active_report_status, gamma_policy.active_task_id) == (
        "queued",
        "reserved-task",
    )


def test_notices_are_counted_in_public(tenant_a: Tenant) -> None:
    notices_count(schema_name="alpha", sent=3)
    notices_count(schema_name="alpha", sent=2, failed=1)

    policy = CleanupPolicy.objects.get(tenant=tenant_a)
    assert (policy.notices_sent, policy.notices_failed) == (5, 1)
