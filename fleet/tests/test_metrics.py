"""`/metrics`: hidden without METRICS_TOKEN, refused without the right bearer token, and the
fleet's figures in Prometheus' text format, from public data and Redis only."""

from datetime import timedelta
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from cleanup.services.registry import notices_count
from core.testing import ROOT, TENANT_A
from core.tests.test_secret_key import import_settings
from fleet.services.fanout import cleanup_fan_out
from policy.models import CleanupPolicy
from policy.tests.factories import RunOutcomeFactory
from tenants.models import Tenant

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-b3X9qLzT0v8eKw2RjN5uYp7AfHc4GdMs1E6oVaZ"


@pytest.fixture
def token(settings: Any) -> str:
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(host: str = ROOT, authorization: str | None = None, method: str = "get") -> Any:
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return getattr(APIClient(HTTP_HOST=host), method)("/metrics", **headers)


def samples(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of a scrape."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def test_without_a_metrics_token_configured_metrics_is_not_there(settings: Any) -> None:
    settings.METRICS_TOKEN = ""

    response = scrape(authorization="Bearer anything")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN],
)
def test_a_missing_or_wrong_token_is_refused(token: str, authorization: str | None) -> None:
    response = scrape(authorization=authorization)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"cleanup_" not in response.content


def test_metrics_exist_only_on_the_root_host(token: str, tenant_a: Tenant) -> None:
    assert scrape(TENANT_A, f"Bearer {token}").status_code == 404


def test_only_get_is_allowed(token: str) -> None:
    assert scrape(authorization=f"Bearer {token}", method="post").status_code == 405


def outcome(tenant: Tenant, report_id: int, status: str, seconds: float | None, removed: int = 0):  # type: ignore[no-untyped-def]
    end = timezone.now()
    RunOutcomeFactory.create(
        tenant=tenant,
        report_id=report_id,
        status=status,
        started_at=None if seconds is None else end - timedelta(seconds=seconds),
        finished_at=end,
        users_removed=removed,
    )


def test_the_fleets_figures_in_prometheus_text_format(
    token: str, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    outcome(tenant_a, 1, "succeeded", 2, removed=5)
    outcome(tenant_a, 2, "succeeded", 120, removed=3)
    outcome(tenant_b, 1, "failed", 0.5)
    outcome(tenant_b, 2, "aborted", None)  # ended before it started: no duration
    CleanupPolicy.objects.filter(tenant=tenant_a).update(active_report_status="running")
    Tenant.objects.filter(pk=tenant_b.pk).update(is_active=False)
    notices_count(schema_name="alpha", sent=7, failed=2, undeliverable=3)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.lpush("cleanup", "{}", "{}")
    cleanup_fan_out()  # nothing due: records the tick

    response = scrape(authorization=f"Bearer {token}")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    got = samples(response.content)

    def status(name: str) -> tuple[tuple[str, str], ...]:
        return (("status", name),)

    def bucket(le: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        return ("cleanup_run_duration_seconds_bucket", (("le", le), ("status", "succeeded")))

    assert got[("cleanup_runs_total", status("succeeded"))] == 2
    assert got[("cleanup_runs_total", status("failed"))] == 1
    assert got[("cleanup_runs_total", status("aborted"))] == 1
    assert got[("cleanup_users_removed_total", ())] == 8
    assert got[bucket("1.0")] == 0
    assert got[bucket("5.0")] == 1
    assert got[bucket("300.0")] == 2
    assert got[bucket("+Inf")] == 2
    assert got[("cleanup_run_duration_seconds_count", status("succeeded"))] == 2
    assert got[("cleanup_run_duration_seconds_sum", status("succeeded"))] == pytest.approx(122)
    assert got[("cleanup_run_duration_seconds_count", status("aborted"))] == 0
    assert got[("cleanup_runs_active", status("running"))] == 1
    assert got[("cleanup_runs_active", status("queued"))] == 0
    assert got[("cleanup_notices_total", (("result", "sent"),))] == 7
    assert got[("cleanup_notices_total", (("result", "failed"),))] == 2
    assert got[("cleanup_notices_total", (("result", "undeliverable"),))] == 3
    assert got[("cleanup_tenants", (("state", "active"),))] == 1
    assert got[("cleanup_tenants", (("state", "suspended"),))] == 1
    assert got[("cleanup_queue_length", (("queue", "cleanup"),))] == 2
    assert got[("cleanup_queue_length", (("queue", "notices"),))] == 0
    assert 0 <= got[("cleanup_fan_out_last_tick_age_seconds", ())] < 60


def test_with_no_tick_recorded_the_tick_age_is_infinite(token: str) -> None:
    from fleet.services.fanout import FAN_OUT_TICK_KEY

    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(FAN_OUT_TICK_KEY)

    got = samples(scrape(authorization=f"Bearer {token}").content)

    assert got[("cleanup_fan_out_last_tick_age_seconds", ())] == float("inf")


def test_a_scrape_costs_the_same_queries_at_3_and_at_30_tenants(token: str) -> None:
    counts = []
    for prefix, count in (("few", 3), ("many", 30)):
        tenants = Tenant.objects.bulk_create(
            [Tenant(schema_name=f"{prefix}{i}", name=prefix) for i in range(count)]
        )
        CleanupPolicy.objects.bulk_create(
            [CleanupPolicy(tenant=t, active_report_status="queued") for t in tenants]
        )
        for tenant in tenants:
            outcome(tenant, 1, "succeeded", 1, removed=1)
        with CaptureQueriesContext(connection) as queries:
            assert scrape(authorization=f"Bearer {token}").status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_production_settings_refuse_a_weak_metrics_token() -> None:
    strong_key = "k" + "".join(chr(ord("a") + i % 26) for i in range(60))
    result = import_settings(DEBUG="0", SECRET_KEY=strong_key, METRICS_TOKEN="secret")

    assert result.returncode != 0
    assert "ImproperlyConfigured: METRICS_TOKEN" in result.stderr


def test_an_openmetrics_scraper_gets_openmetrics(token: str) -> None:
    response = APIClient(HTTP_HOST=ROOT).get(
        "/metrics",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT="application/openmetrics-text; version=1.0.0",
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.endswith(b"# EOF\n")
