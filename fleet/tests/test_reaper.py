"""The reaper: a lost worker's run ends `failed`; a run waiting in the queue is re-published,
never failed; one broken tenant does not stop the others being reaped."""

import threading
import time
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from cleanup.models import CleanupReport
from cleanup.tests.factories import report_in_registry
from core.testing.broker import broker_at, free_port, queued_messages, queued_tasks
from fleet.services.reaper import cleanup_reap_stale
from policy.models import CleanupPolicy
from policy.tests.factories import CleanupPolicyFactory
from tenants.models import Tenant

TIMEOUT = timedelta(seconds=settings.CLEANUP_QUEUED_TIMEOUT_S)
Status = CleanupReport.Status


def report_get(schema: str, pk: int) -> CleanupReport:
    with schema_context(schema):
        return CleanupReport.objects.get(pk=pk)


def runs_queued() -> list[tuple[str, int]]:
    return [
        (args[0], kwargs["report_id"])
        for name, args, kwargs in queued_tasks(settings.CELERY_BROKER_URL, "cleanup")
        if name == "cleanup.run_tenant"
    ]


def test_a_run_still_queued_after_the_timeout_is_republished_once_per_period_and_stays_queued(
    tenant_a: Tenant,
) -> None:
    report = report_in_registry("alpha", Status.QUEUED, TIMEOUT + timedelta(minutes=1))
    now = timezone.now()

    assert cleanup_reap_stale(now=now) == []  # nothing ended
    republished = report_get("alpha", report.pk)
    assert (republished.status, republished.error, republished.finished_at) == ("queued", "", None)
    assert republished.published_at == now
    assert runs_queued() == [("alpha", report.pk)]

    cleanup_reap_stale(now=now + TIMEOUT / 2)  # published recently: left alone
    assert runs_queued() == [("alpha", report.pk)]

    cleanup_reap_stale(now=now + TIMEOUT + timedelta(seconds=1))
    assert runs_queued() == [("alpha", report.pk)] * 2
    assert report_get("alpha", report.pk).status == "queued"


def test_a_run_queued_within_the_timeout_is_not_republished(tenant_a: Tenant) -> None:
    report = report_in_registry("alpha", Status.QUEUED, TIMEOUT - timedelta(minutes=1))

    assert cleanup_reap_stale() == []
    assert runs_queued() == []
    assert report_get("alpha", report.pk).published_at is None


def test_with_the_broker_down_a_stale_queued_run_is_left_for_the_next_tick(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    queued = report_in_registry("alpha", Status.QUEUED, TIMEOUT + timedelta(minutes=1))
    lost = report_in_registry("beta", Status.RUNNING, timedelta(hours=1))

    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        reaped = cleanup_reap_stale()

    assert reaped == [("beta", lost.pk)]  # the broker is not needed to end a lost run
    left = report_get("alpha", queued.pk)
    assert (left.status, left.published_at) == ("queued", None)
    assert runs_queued() == []

    cleanup_reap_stale()  # the broker is back
    assert runs_queued() == [("alpha", queued.pk)]


def test_a_republished_run_is_run_once_by_a_real_worker(make_live_tenant, celery_worker) -> None:  # type: ignore[no-untyped-def]
    tenant = make_live_tenant()
    report = report_in_registry(tenant.schema_name, Status.QUEUED, TIMEOUT + timedelta(minutes=1))

    cleanup_reap_stale()

    deadline = time.monotonic() + 60
    while report_get(tenant.schema_name, report.pk).status != "succeeded":
        assert time.monotonic() < deadline, "the republished run never ran"
        time.sleep(0.1)
    with schema_context(tenant.schema_name):
        assert list(CleanupReport.objects.values_list("pk", "status")) == [(report.pk, "succeeded")]


def broken_schema_dropped(schema: str) -> None:
    """A tenant whose registry holds a lost run, but whose schema is gone."""
    (tenant,) = Tenant.objects.bulk_create([Tenant(schema_name=schema, name="No schema")])
    CleanupPolicyFactory.create(
        tenant=tenant,
        active_report_id=1,
        active_report_status=Status.RUNNING,
        active_report_heartbeat_at=timezone.now() - timedelta(hours=1),
    )


def broken_table_missing(schema: str) -> None:
    broken_schema_dropped(schema)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')


@pytest.mark.parametrize("break_tenant", [broken_schema_dropped, broken_table_missing])
def test_a_broken_tenant_is_logged_and_the_tenants_after_it_are_still_reaped(
    tenant_a: Tenant,
    tenant_b: Tenant,
    break_tenant,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    break_tenant("aaa_broken")  # sorts before alpha and beta
    lost_a = report_in_registry("alpha", Status.RUNNING, timedelta(hours=1))
    lost_b = report_in_registry("beta", Status.RUNNING, timedelta(hours=1))

    reaped = cleanup_reap_stale()

    assert reaped == [("alpha", lost_a.pk), ("beta", lost_b.pk)]
    assert report_get("alpha", lost_a.pk).status == "failed"
    assert report_get("beta", lost_b.pk).status == "failed"
    (failure,) = [r for r in caplog.records if r.getMessage() == "cleanup.reap.failed"]
    assert failure.tenant == "aaa_broken"  # type: ignore[attr-defined]


def test_a_lost_run_is_failed_and_summarised_once(tenant_a: Tenant) -> None:
    lost = report_in_registry("alpha", Status.RUNNING, timedelta(hours=1))
    now: datetime = timezone.now()

    assert cleanup_reap_stale(now=now) == [("alpha", lost.pk)]
    assert cleanup_reap_stale(now=now) == []

    ended = report_get("alpha", lost.pk)
    assert ended.status == "failed" and ended.error.startswith("Worker lost")
    summary = CleanupPolicy.objects.get(tenant=tenant_a)
    assert (summary.last_report_id, summary.last_report_status) == (lost.pk, "failed")


def test_a_run_whose_worker_holds_its_row_mid_batch_is_not_reaped(make_live_tenant) -> None:  # type: ignore[no-untyped-def]
    tenant = make_live_tenant()
    schema = tenant.schema_name
    busy = report_in_registry(schema, Status.RUNNING, timedelta(hours=1))
    locked, reaped = threading.Event(), threading.Event()

    def worker_in_a_batch() -> None:
        """The run's batch transaction: the row locked, its heartbeat written at the end."""
        try:
            with schema_context(schema), transaction.atomic():
                CleanupReport.objects.select_for_update().get(pk=busy.pk)
                locked.set()
                reaped.wait(60)
                CleanupReport.objects.filter(pk=busy.pk, status=Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()

    batch = threading.Thread(target=worker_in_a_batch)
    batch.start()
    try:
        assert locked.wait(60)
        assert cleanup_reap_stale() == []
    finally:
        reaped.set()
        batch.join()

    assert cleanup_reap_stale() == []  # it beat meanwhile
    assert report_get(schema, busy.pk).status == "running"


APPROVAL_TTL = timedelta(hours=settings.CLEANUP_APPROVAL_TTL_H)


def test_an_approval_unanswered_for_the_ttl_is_aborted_as_expired(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    expired = report_in_registry(
        "alpha", Status.AWAITING_APPROVAL, APPROVAL_TTL + timedelta(minutes=1)
    )
    waiting = report_in_registry(
        "beta", Status.AWAITING_APPROVAL, APPROVAL_TTL - timedelta(minutes=1)
    )

    assert cleanup_reap_stale() == [("alpha", expired.pk)]

    ended = report_get("alpha", expired.pk)
    assert ended.status == "aborted" and ended.finished_at
    assert ended.error.startswith("Approval expired: nobody approved or rejected this run within")
    assert report_get("beta", waiting.pk).status == "awaiting_approval"
    alpha, beta = (CleanupPolicy.objects.get(tenant=t) for t in (tenant_a, tenant_b))
    assert (alpha.active_report_status, alpha.last_report_status) == ("", "aborted")
    assert (beta.active_report_status, beta.active_report_id) == ("awaiting_approval", waiting.pk)


def idle_tenants(prefix: str, count: int, status: str) -> None:
    """Tenants (rows only) whose registry holds a healthy active run: the reaper leaves them."""
    tenants = Tenant.objects.bulk_create(
        [Tenant(schema_name=f"{prefix}{i:03d}", name=prefix) for i in range(count)]
    )
    CleanupPolicy.objects.bulk_create(
        [
            CleanupPolicy(
                tenant=t,
                active_report_id=1,
                active_report_status=status,
                active_report_since=timezone.now(),
                active_report_heartbeat_at=timezone.now(),
            )
            for t in tenants
        ]
    )


def test_a_reaper_tick_costs_the_same_queries_at_3_and_at_30_tenants(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    counts = []
    for count in (3, 30):
        Tenant.objects.filter(schema_name__startswith="busy").delete()
        for status in (Status.QUEUED, Status.RUNNING, Status.AWAITING_APPROVAL):
            idle_tenants(f"busy_{status[:4]}_", count // 3, status)
        # One run to act on in each fleet: the tick visits that schema only.
        lost = report_in_registry("alpha", Status.RUNNING, timedelta(hours=1))
        with CaptureQueriesContext(connection) as queries:
            assert cleanup_reap_stale() == [("alpha", lost.pk)]
        counts.append(len(queries))
        with CaptureQueriesContext(connection) as idle:
            assert cleanup_reap_stale() == []
        # One query over the registry (besides django-tenants' SET search_path).
        selects = [q["sql"] for q in idle.captured_queries if not q["sql"].startswith("SET ")]
        assert len(selects) == 1

    assert counts[0] == counts[1]


def test_a_reservation_whose_task_was_lost_is_published_again_as_it_was(
    tenant_a: Tenant,
) -> None:
    kwargs = {"trigger": "platform", "triggered_by": "op", "dry_run": True, "reserved": True}
    then = timezone.now() - TIMEOUT - timedelta(minutes=1)
    CleanupPolicy.objects.filter(tenant=tenant_a).update(
        active_report_status=Status.QUEUED,
        active_task_id="lost-task",
        active_task_kwargs=kwargs,
        active_report_since=then,
        active_report_heartbeat_at=then,
    )
    now = timezone.now()

    assert cleanup_reap_stale(now=now) == []
    assert cleanup_reap_stale(now=now + timedelta(minutes=1)) == []  # once per period

    messages = queued_messages(settings.CELERY_BROKER_URL, "cleanup")
    assert messages == [("cleanup.run_tenant", ["alpha"], kwargs, "lost-task")]
    policy = CleanupPolicy.objects.get(tenant=tenant_a)
    assert (policy.active_report_status, policy.active_report_heartbeat_at) == ("queued", now)
