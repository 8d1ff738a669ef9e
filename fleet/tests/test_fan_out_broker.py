"""The beat fan-out when the broker goes away mid-tick: no due tenant is skipped or run twice.

The broker is a real redis-server of the test's own, stopped after a given number of
publishes, or a port nobody listens on.
"""

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from celery.signals import after_task_publish, before_task_publish
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.testing.broker import broker_at, free_port, queued_messages, redis_server
from fleet.services.fanout import cleanup_fan_out
from policy.models import CleanupPolicy
from tenants.models import Tenant

NOW = timezone.now().replace(microsecond=0)
DUE_AT = NOW - timedelta(minutes=1)


def due_tenants(prefix: str, count: int) -> list[str]:
    """Tenant rows only (no schemas): the tick never enters a tenant schema."""
    tenants = Tenant.objects.bulk_create(
        [Tenant(schema_name=f"{prefix}{i}", name=f"{prefix} {i}") for i in range(count)]
    )
    CleanupPolicy.objects.bulk_create(
        [CleanupPolicy(tenant=tenant, next_run_at=DUE_AT) for tenant in tenants]
    )
    return [t.schema_name for t in tenants]


def next_runs(schemas: list[str]) -> dict[str, Any]:
    policies = CleanupPolicy.objects.filter(tenant__schema_name__in=schemas)
    return dict(policies.values_list("tenant__schema_name", "next_run_at"))


@contextlib.contextmanager
def runs_published(then: Callable[[int], Any] = lambda n: None) -> Iterator[list[str]]:
    """The schema of every run the broker accepted; `then(count)` after each."""
    published: list[str] = []

    def record(sender: str, body: Any, **_: Any) -> None:
        if sender == "cleanup.run_tenant":
            published.append(body[0][0])
            then(len(published))

    after_task_publish.connect(record, weak=False)
    try:
        yield published
    finally:
        after_task_publish.disconnect(record)


def registry(schemas: list[str]) -> dict[str, tuple[str, str]]:
    """Each tenant's registry: (active status, reservation's task id)."""
    policies = CleanupPolicy.objects.filter(tenant__schema_name__in=schemas)
    rows = policies.values_list("tenant__schema_name", "active_report_status", "active_task_id")
    return {schema: (status, task_id) for schema, status, task_id in rows}


@pytest.mark.django_db
def test_a_broker_lost_mid_tick_skips_no_due_tenant_and_runs_none_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fleet.services import publish

    schemas = due_tenants("blip", 5)
    # Two messages per Redis pipeline: the first pipeline reaches Redis, the second fails.
    monkeypatch.setattr(publish, "PUBLISH_BATCH_SIZE", 2)

    with redis_server() as redis, broker_at(redis.url):

        def stop_redis_after_the_third(count: int) -> None:
            if count == 3:
                redis.stop()

        with runs_published(then=stop_redis_after_the_third) as published:
            first_tick = cleanup_fan_out(now=NOW)  # does not raise
        assert len(published) == 3 and first_tick == published[:2]
        after_first = next_runs(schemas)
        assert all(after_first[s] > NOW for s in first_tick)
        unpublished = [s for s in schemas if s not in first_tick]
        # Due again, exactly as before the tick, and their reservations gone: the message of
        # the failed pipeline that may have reached Redis would find none and do nothing.
        assert {s: after_first[s] for s in unpublished} == dict.fromkeys(unpublished, DUE_AT)
        held = registry(schemas)
        assert {s: held[s] for s in unpublished} == dict.fromkeys(unpublished, ("", ""))
        assert all(held[s][0] == "queued" for s in first_tick)

        redis.start()  # Redis is back (empty: it keeps nothing on disk)
        with runs_published() as republished:
            second_tick = cleanup_fan_out(now=NOW)
            third_tick = cleanup_fan_out(now=NOW + timedelta(seconds=30))
        assert third_tick == []
        assert sorted(first_tick + second_tick) == sorted(schemas)
        assert sorted(republished) == sorted(second_tick)
        queued = {
            args[0]: (kwargs, task_id)
            for _, args, kwargs, task_id in queued_messages(redis.url, "cleanup")
        }
    assert sorted(queued) == sorted(second_tick)
    # Each message is the one its tenant's reservation waits for.
    held = registry(schemas)
    for schema, (kwargs, task_id) in queued.items():
        assert kwargs == {"trigger": "schedule", "reserved": True}
        assert held[schema] == ("queued", task_id)
    assert all(at > NOW for at in next_runs(schemas).values())


@pytest.mark.django_db
def test_with_the_broker_down_a_tick_restores_3_or_30_due_tenants_in_as_many_queries() -> None:
    few, many = due_tenants("few", 3), due_tenants("many", 30)
    CleanupPolicy.objects.filter(tenant__schema_name__in=many).update(enabled=False)
    query_counts = []

    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        for schemas in (few, many):
            CleanupPolicy.objects.filter(tenant__schema_name__in=schemas).update(enabled=True)
            with CaptureQueriesContext(connection) as queries:
                assert cleanup_fan_out(now=NOW) == []
            query_counts.append(len(queries))
            assert next_runs(schemas) == dict.fromkeys(schemas, DUE_AT)

    assert query_counts[0] == query_counts[1]


@pytest.mark.django_db
def test_a_policy_edited_while_the_tick_publishes_keeps_its_edit() -> None:
    schemas = due_tenants("edited", 3)
    edited_at = NOW + timedelta(days=2)

    def admin_edits_schedule(**_: Any) -> None:
        CleanupPolicy.objects.filter(tenant__schema_name=schemas[0]).update(next_run_at=edited_at)

    before_task_publish.connect(admin_edits_schedule, weak=False)
    try:
        with broker_at(f"redis://127.0.0.1:{free_port()}/0"):
            assert cleanup_fan_out(now=NOW) == []
    finally:
        before_task_publish.disconnect(admin_edits_schedule)

    assert next_runs(schemas) == {schemas[0]: edited_at, schemas[1]: DUE_AT, schemas[2]: DUE_AT}
