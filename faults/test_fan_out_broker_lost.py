"""Drill: Redis stops in the middle of beat's fan-out tick (docs/architecture.md#security,
"Scheduling loses
nothing"): once it is back, every due tenant runs, and runs exactly once."""

import json

import redis

from faults.stack import Stack, purge_queue, running, wait_for

TENANTS = [f"tick{i}" for i in range(5)]
STOP_AFTER = 2

# One beat tick, as the fan-out task runs it, in a process of its own, publishing STOP_AFTER
# runs per Redis pipeline. After the broker has taken the first pipeline — and the worker
# has run its runs and acked, since Redis keeps nothing on disk — Redis is shut down under
# the tick.
TICK_STOPPING_REDIS = f"""
import json, time
import redis
from celery.signals import after_task_publish
from django.conf import settings
from django_tenants.utils import schema_context
from cleanup.models import CleanupReport
from fleet.services.fanout import cleanup_fan_out
from fleet.services import publish

publish.PUBLISH_BATCH_SIZE = {STOP_AFTER}

broker = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)
published = []

def ran(schema):
    with schema_context(schema):
        return CleanupReport.objects.filter(status="succeeded").exists()

def stop_redis_mid_tick(sender, body, **_):
    if sender != "cleanup.run_tenant" or body[0][0] not in {TENANTS!r}:
        return
    published.append(body[0][0])
    if len(published) != {STOP_AFTER}:
        return
    deadline = time.monotonic() + 90
    while not (
        all(ran(schema) for schema in published)
        and broker.llen("cleanup") == 0 and broker.hlen("unacked") == 0
    ):
        assert time.monotonic() < deadline, "the worker never ran the first runs"
        time.sleep(0.05)
    broker.shutdown(nosave=True)

after_task_publish.connect(stop_redis_mid_tick)
print(json.dumps(cleanup_fan_out()))
"""

TICK = """
import json
from fleet.services.fanout import cleanup_fan_out
print(json.dumps(cleanup_fan_out()))
"""


def scheduled_runs(stack: Stack) -> dict[str, list[tuple[str, str]]]:
    return {
        schema: [
            tuple(row)
            for row in stack.sql(
                "SELECT trigger, status FROM cleanup_cleanupreport ORDER BY id", schema=schema
            )
        ]
        for schema in TENANTS
    }


def due(stack: Stack) -> set[str]:
    rows = stack.sql(
        "SELECT t.schema_name FROM tenants_cleanuppolicy p JOIN tenants_tenant t "
        "ON t.id = p.tenant_id WHERE p.next_run_at <= now() AND t.schema_name = ANY(%s)",
        [TENANTS],
    )
    return {schema for (schema,) in rows}


def test_redis_lost_mid_tick_every_due_tenant_runs_exactly_once_when_it_is_back(
    stack: Stack,
) -> None:
    for schema in TENANTS:
        stack.tenant_create(schema)  # a dry run by default: it changes nobody
    stack.sql(
        "UPDATE tenants_cleanuppolicy SET next_run_at = now() - interval '1 minute' "
        "WHERE tenant_id IN (SELECT id FROM tenants_tenant WHERE schema_name = ANY(%s))",
        [TENANTS],
    )
    purge_queue(stack)

    with running(stack, stack.worker_start("worker-tick")):
        first = [s for s in json.loads(stack.python(TICK_STOPPING_REDIS)) if s in TENANTS]
        stack.redis_stop()
        assert len(first) == STOP_AFTER  # the tick went on without raising
        assert due(stack) == set(TENANTS) - set(first)  # the rest are due again
        ran = {schema: runs for schema, runs in scheduled_runs(stack).items() if runs}
        assert ran == {schema: [("schedule", "succeeded")] for schema in first}

        stack.redis_start()  # same port; the same worker reconnects
        second = [s for s in json.loads(stack.python(TICK)) if s in TENANTS]
        assert sorted(first + second) == sorted(TENANTS)
        wait_for(
            lambda: all(scheduled_runs(stack).values()), "every due tenant to have run", every=0.2
        )
        broker = redis.Redis.from_url(f"redis://127.0.0.1:{stack.redis_port}/0")
        wait_for(
            lambda: broker.llen("cleanup") == 0 and broker.hlen("unacked") == 0,
            "the worker to finish and ack every run",
        )
        assert [s for s in json.loads(stack.python(TICK)) if s in TENANTS] == []

    assert scheduled_runs(stack) == {schema: [("schedule", "succeeded")] for schema in TENANTS}
    assert due(stack) == set()
