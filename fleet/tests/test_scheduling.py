"""Concurrency, the beat fan-out and the tasks, against real PostgreSQL, Redis and a worker."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from cleanup.models import CleanupReport
from cleanup.services.start import CleanupAlreadyActive, cleanup_enqueue
from cleanup.tasks import run_tenant
from fleet.services.fanout import cleanup_due_claim
from fleet.tasks import fan_out
from policy.models import CleanupPolicy
from policy.tests.factories import CleanupPolicyFactory
from tenants.models import Tenant


def reports(tenant: Tenant) -> list[CleanupReport]:
    with schema_context(tenant.schema_name):
        return list(CleanupReport.objects.order_by("id"))


def wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_many_concurrent_enqueues_start_exactly_one_run(make_live_tenant) -> None:  # type: ignore[no-untyped-def]
    tenant = make_live_tenant()
    results: list[str] = []
    barrier = threading.Barrier(12)

    def trigger() -> None:
        try:
            barrier.wait()
            cleanup_enqueue(schema_name=tenant.schema_name, trigger="manual")
            results.append("started")
        except CleanupAlreadyActive:
            results.append("already active")
        finally:
            connection.close()

    threads = [threading.Thread(target=trigger) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["already active"] * 11 + ["started"]
    assert len(reports(tenant)) == 1


def test_run_tenant_refuses_the_public_schema_and_a_missing_name() -> None:
    with pytest.raises(ValueError, match="tenant schema"):
        run_tenant("public")
    with pytest.raises(ValueError, match="tenant schema"):
        run_tenant("")


def test_run_tenant_returns_quietly_for_a_tenant_that_is_gone(db: None) -> None:
    assert run_tenant("no_such_tenant") is None


def test_an_enqueued_run_is_executed_by_a_real_worker(make_live_tenant, celery_worker) -> None:  # type: ignore[no-untyped-def]
    tenant = make_live_tenant()

    report = cleanup_enqueue(schema_name=tenant.schema_name, trigger="manual", dry_run=True)

    def finished() -> bool:
        return reports(tenant)[0].status == "succeeded"

    wait_for(finished)
    done = reports(tenant)[0]
    assert done.pk == report.pk and done.started_at and done.finished_at
    assert done.users_eligible == 0  # only the staff admin exists


def test_fan_out_runs_only_the_due_tenant_in_its_own_timezone_and_never_twice(
    make_live_tenant,
    celery_worker,  # type: ignore[no-untyped-def]
) -> None:
    now = timezone.now()
    due = make_live_tenant(
        schedule="0 3 * * *", timezone="Asia/Tokyo", next_run_at=now - timedelta(seconds=5)
    )
    later = make_live_tenant(
        schedule="30 4 * * *", timezone="America/New_York", next_run_at=now + timedelta(hours=1)
    )
    paused = make_live_tenant(enabled=False, next_run_at=now - timedelta(seconds=5))

    fan_out.delay()
    wait_for(lambda: bool(reports(due)) and reports(due)[0].status == "succeeded")
    fan_out.delay()  # a second tick, right away: nothing is due any more
    fan_out.delay()
    time.sleep(1.5)

    assert [(r.trigger, r.status) for r in reports(due)] == [("schedule", "succeeded")]
    assert reports(later) == [] and reports(paused) == []
    policy = CleanupPolicy.objects.get(tenant=due)
    # Advanced to the next 03:00 in Tokyo, which is 18:00 UTC.
    assert policy.next_run_at is not None
    assert policy.next_run_at > now
    assert policy.next_run_at.astimezone(timezone.get_fixed_timezone(9 * 60)).hour == 3
    assert policy.last_report_status == "succeeded"


def test_a_scheduled_run_is_skipped_while_a_run_is_in_progress(make_live_tenant) -> None:  # type: ignore[no-untyped-def]
    tenant = make_live_tenant()
    cleanup_enqueue(schema_name=tenant.schema_name, trigger="manual")

    assert run_tenant(tenant.schema_name, trigger="schedule") is None
    assert len(reports(tenant)) == 1


def claim_queries(tenants: list[Tenant]) -> int:
    past = timezone.now() - timedelta(minutes=1)
    CleanupPolicy.objects.filter(tenant__in=tenants).update(next_run_at=past)
    with CaptureQueriesContext(connection) as queries:
        claimed = cleanup_due_claim(now=timezone.now())
    assert {c.schema_name for c in claimed} >= {t.schema_name for t in tenants}
    return len(queries)


@pytest.mark.django_db
def test_the_tick_makes_the_same_number_of_queries_for_3_and_30_due_tenants() -> None:
    # Tenant rows only (bulk_create skips schema creation): the tick must not need schemas.
    tenants = Tenant.objects.bulk_create(
        [Tenant(schema_name=f"many{i}", name=f"Many {i}") for i in range(30)]
    )
    CleanupPolicy.objects.bulk_create([CleanupPolicy(tenant=t) for t in tenants])

    assert claim_queries(tenants[:3]) == claim_queries(tenants)


@pytest.mark.django_db
def test_a_claimed_tenant_is_not_claimed_again_by_the_next_tick() -> None:
    tenant = Tenant.objects.bulk_create([Tenant(schema_name="once", name="Once")])[0]
    CleanupPolicyFactory.create(tenant=tenant, next_run_at=timezone.now() - timedelta(seconds=1))
    now = timezone.now()

    assert "once" in [c.schema_name for c in cleanup_due_claim(now=now)]
    assert "once" not in [c.schema_name for c in cleanup_due_claim(now=now)]
