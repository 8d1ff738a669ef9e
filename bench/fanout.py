"""One beat fan-out tick with 10 and with 500 due tenants (docs/benchmarks.md#targets): queries and
time.

The tick reads only public-schema rows (Tenant + CleanupPolicy), so the due tenants are
bare rows made with bulk_create — no schemas. The tick publishes its tasks to the
benchmark's own Redis database, which is purged afterwards: no worker runs them.

    python -m bench.fanout --repeat 5
"""

import argparse
from datetime import timedelta
from typing import Any

from bench import common

PREFIX = "bench_fan_"


def tenants_make(count: int, due_at: Any) -> None:
    from policy.models import CleanupPolicy
    from tenants.models import Tenant

    tenants = Tenant.objects.bulk_create(
        [Tenant(schema_name=f"{PREFIX}{i:04d}", name=f"fan {i}") for i in range(count)]
    )
    CleanupPolicy.objects.bulk_create(
        [CleanupPolicy(tenant=tenant, enabled=True, next_run_at=due_at) for tenant in tenants]
    )


def tick(count: int, due_at: Any, now: Any) -> tuple[int, float]:
    """Make `count` tenants due, run one tick; return (queries, seconds)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from config.celery import app as celery_app
    from fleet.services.fanout import cleanup_fan_out
    from policy.models import CleanupPolicy

    # Due again, and idle again: the previous tick reserved each tenant's run.
    CleanupPolicy.objects.filter(tenant__schema_name__startswith=PREFIX).update(
        next_run_at=due_at, active_report_status="", active_task_id="", active_task_kwargs=None
    )
    with CaptureQueriesContext(connection) as queries:
        result: list[str] = []
        seconds = common.timed(lambda: result.extend(cleanup_fan_out(now=now)))
    celery_app.control.purge()
    assert len(result) == count, (len(result), count)
    return len(queries), seconds


def main(repeat: int) -> dict[str, Any]:
    common.django_setup()
    from django.conf import settings
    from django.utils import timezone

    from policy.models import CleanupPolicy
    from tenants.models import Tenant

    assert settings.CELERY_BROKER_URL == common.REDIS_URL, settings.CELERY_BROKER_URL
    common.public_tenant_ensure()
    now = timezone.now()
    # Nothing else in the benchmark database may be due during the measurement.
    CleanupPolicy.objects.exclude(tenant__schema_name__startswith=PREFIX).update(enabled=False)

    figures: dict[str, Any] = {}
    for count in (10, 500):
        Tenant.objects.filter(schema_name__startswith=PREFIX).delete()
        tenants_make(count, now - timedelta(minutes=1))
        runs = [tick(count, now - timedelta(minutes=1), now) for _ in range(repeat)]
        queries = {q for q, _ in runs}
        assert len(queries) == 1, f"query count varies between ticks: {queries}"
        figures[f"fanout_queries_{count}"] = queries.pop()
        figures[f"fanout_tick_ms_{count}"] = round(common.median([s for _, s in runs]) * 1000, 1)
        common.log(f"fan-out {count}: {runs}")
    Tenant.objects.filter(schema_name__startswith=PREFIX).delete()
    common.log(f"fan-out: {figures}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    common.results_merge(main(args.repeat))
