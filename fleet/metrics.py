"""`GET /metrics` (Prometheus text format) on the root host, behind METRICS_TOKEN
(docs/architecture.md#the-fleet).

Every figure is read at scrape time — from public tables (`fleet.selectors.fleet_metrics`)
and Redis — by a custom collector, not kept in process counters: gunicorn's and Celery's
processes each count only their own work and restart at will, while the database holds the
fleet's. So any web process answers the same, and the result is exact however many
processes there are. A scrape never visits a tenant schema.
"""

import hmac
import logging
import math
import time
from collections.abc import Iterator
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from cleanup.models import CleanupReport
from core.tenancy import on_public_schema
from fleet.selectors import RUN_DURATION_BUCKETS, fleet_metrics
from fleet.services.fanout import fan_out_last_tick

logger = logging.getLogger(__name__)

Status = CleanupReport.Status
FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.ABORTED)


class FleetCollector(Collector):
    """The fleet's figures, computed from the database and Redis on each collect()."""

    def collect(self) -> Iterator[Metric]:
        figures = fleet_metrics()
        yield from _runs(figures["totals"], figures["active"])
        notices = CounterMetricFamily(
            "cleanup_notices",
            "Notices (warning emails): delivered (sent), failed attempts (failed), and given "
            "up on because the address refused them (undeliverable)",
            labels=["result"],
        )
        for result in ("sent", "failed", "undeliverable"):
            notices.add_metric([result], figures["notices"][result])
        yield notices
        tenants = GaugeMetricFamily("cleanup_tenants", "Tenants, by state", labels=["state"])
        for state in ("active", "suspended"):
            tenants.add_metric([state], figures["tenants"][state])
        yield tenants
        yield from _broker()


def _runs(totals: dict[str, dict[str, Any]], active: dict[str, int]) -> Iterator[Metric]:
    runs = CounterMetricFamily(
        "cleanup_runs", "Cleanup runs that ended, by final status", labels=["status"]
    )
    removed = CounterMetricFamily(
        "cleanup_users_removed",
        "Users removed (deactivated or deleted) by runs; dry and aborted runs removed nobody",
    )
    duration = HistogramMetricFamily(
        "cleanup_run_duration_seconds",
        "Time from a run's start to its end, by final status (runs that started)",
        labels=["status"],
    )
    for status in FINISHED:
        row = totals.get(status, {})
        runs.add_metric([status], row.get("runs", 0))
        buckets = [(str(float(b)), row.get(f"le_{b}", 0)) for b in RUN_DURATION_BUCKETS]
        buckets.append(("+Inf", row.get("timed", 0)))
        spent = row.get("duration_sum")
        duration.add_metric([status], buckets, spent.total_seconds() if spent else 0.0)
    removed.add_metric([], sum(row.get("users_removed", 0) for row in totals.values()))
    yield runs
    yield removed
    yield duration
    running = GaugeMetricFamily(
        "cleanup_runs_active",
        "Runs holding their tenant's slot now (queued, running, awaiting approval)",
        labels=["status"],
    )
    for status in CleanupReport.ACTIVE_STATUSES:
        running.add_metric([status], active.get(status, 0))
    yield running


def _broker() -> Iterator[Metric]:
    """Queue depths and the fan-out's last tick, from Redis. With Redis unreachable these
    series are left out (the database's still answer): their absence is the alert."""
    queues = [queue.name for queue in settings.CELERY_TASK_QUEUES]
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL,
        socket_timeout=settings.REDIS_TIMEOUT,
        socket_connect_timeout=settings.REDIS_TIMEOUT,
    )
    try:
        with client.pipeline(transaction=False) as pipe:
            for name in queues:
                pipe.llen(name)
            depths = pipe.execute()
        last_tick = fan_out_last_tick()
    except redis.RedisError:
        logger.warning("metrics.redis.unreachable", exc_info=True)
        return
    finally:
        client.close()
    depth = GaugeMetricFamily(
        "cleanup_queue_length", "Tasks waiting in each Celery queue", labels=["queue"]
    )
    for name, length in zip(queues, depths, strict=True):
        depth.add_metric([name], length)
    yield depth
    # +Inf when no tick was ever recorded: an alert on "older than N seconds" fires.
    age = time.time() - last_tick if last_tick is not None else math.inf
    yield GaugeMetricFamily(
        "cleanup_fan_out_last_tick_age_seconds",
        "Seconds since beat's fan-out last ran (+Inf: never, since Redis started)",
        value=max(age, 0.0),
    )


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(FleetCollector())


def _authorized(request: HttpRequest) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = settings.METRICS_TOKEN.encode()
    # compare_digest: how much of a guess matched must not show in the response time.
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """404 unless METRICS_TOKEN is set and this is the root host; 401 without the token."""
    if not settings.METRICS_TOKEN or not on_public_schema():
        return HttpResponse("Not found.\n", status=404, content_type="text/plain")
    if not _authorized(request):
        response = HttpResponse("A valid bearer token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        response["Content-Type"] = "text/plain"
        return response
    # The format the scraper asks for: Prometheus' text format 0.0.4, or OpenMetrics.
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    try:
        body = encode(REGISTRY)
    except DatabaseError:
        logger.warning("metrics.database.unreachable", exc_info=True)
        return HttpResponse("The database is unavailable.\n", status=503, content_type="text/plain")
    return HttpResponse(body, content_type=content_type)
