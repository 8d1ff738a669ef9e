"""The fleet summary: numbers of a hand-made fleet, from public data only, in fixed queries."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.testing import ROOT, client
from policy.models import CleanupPolicy, RunOutcome
from policy.tests.factories import CleanupPolicyFactory, RunOutcomeFactory
from tenants.models import Tenant

pytestmark = pytest.mark.django_db
SUMMARY = "/api/platform/summary/"
NOW = timezone.now()
HOUR = timedelta(hours=1)


def tenant(schema: str, *, is_active: bool = True, **policy: Any) -> Tenant:
    (made,) = Tenant.objects.bulk_create(
        [Tenant(schema_name=schema, name=schema.title(), is_active=is_active)]
    )
    CleanupPolicyFactory.create(tenant=made, **policy)
    return made


def outcome(owner: Tenant, report_id: int, status: str, ago: timedelta, removed: int = 0) -> None:
    RunOutcomeFactory.create(
        tenant=owner,
        report_id=report_id,
        status=status,
        finished_at=NOW - ago,
        users_removed=removed,
    )


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def summary(operator: dict[str, str]) -> dict[str, Any]:
    response = client(ROOT, operator["access"]).get(SUMMARY)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_summary_counts_a_hand_made_fleet(operator: dict[str, str]) -> None:
    # alpha and beta (the session's tenants) are active and idle, with no history.
    acme = tenant(
        "acme", last_report_id=12, last_report_status="failed", last_report_finished_at=NOW - HOUR
    )
    globex = tenant(
        "globex",
        last_report_id=30,
        last_report_status="aborted",
        last_report_finished_at=NOW - 3 * HOUR,
    )
    initech = tenant(
        "initech",
        is_active=False,
        # Awaiting approval now, and its last finished run failed: the waiting run shows.
        active_report_id=8,
        active_report_status="awaiting_approval",
        active_report_since=NOW - 2 * HOUR,
        last_report_id=7,
        last_report_status="failed",
        last_report_finished_at=NOW - 5 * HOUR,
    )
    hooli = tenant(
        "hooli",
        active_report_id=4,
        active_report_status="running",
        last_report_id=3,
        last_report_status="succeeded",
        last_report_finished_at=NOW - 10 * HOUR,
    )
    tenant("umbrella", active_report_status="queued")  # a reservation: no report yet
    outcome(acme, 12, "failed", HOUR)
    outcome(acme, 11, "succeeded", 5 * HOUR, removed=5)
    outcome(globex, 30, "aborted", 3 * HOUR)
    outcome(hooli, 3, "succeeded", 10 * HOUR, removed=2)
    outcome(initech, 7, "failed", 5 * HOUR)
    outcome(hooli, 2, "succeeded", 3 * 24 * HOUR, removed=40)  # in 30 days, not in 24 hours
    outcome(globex, 29, "succeeded", 29 * 24 * HOUR, removed=100)
    outcome(globex, 20, "succeeded", 31 * 24 * HOUR, removed=1000)  # older than 30 days

    assert summary(operator) == {
        "tenants": 7,
        "active_tenants": 6,
        "runs_24h": {
            "queued": 1,
            "running": 1,
            "awaiting_approval": 1,
            "succeeded": 2,
            "failed": 2,
            "aborted": 1,
        },
        "users_removed_24h": 7,
        "users_removed_30d": 147,
        "needs_attention": [
            {
                "tenant": "acme",
                "name": "Acme",
                "report_id": 12,
                "status": "failed",
                "finished_at": iso(NOW - HOUR),
            },
            {
                "tenant": "initech",
                "name": "Initech",
                "report_id": 8,
                "status": "awaiting_approval",
                "finished_at": None,
            },
            {
                "tenant": "globex",
                "name": "Globex",
                "report_id": 30,
                "status": "aborted",
                "finished_at": iso(NOW - 3 * HOUR),
            },
        ],
    }


def test_an_empty_fleet_has_a_summary_of_zeros(operator: dict[str, str]) -> None:
    body = summary(operator)

    assert body["tenants"] == body["active_tenants"] == 2  # alpha and beta
    assert set(body["runs_24h"].values()) == {0}
    assert (body["users_removed_24h"], body["users_removed_30d"]) == (0, 0)
    assert body["needs_attention"] == []


def fleet(prefix: str, count: int) -> None:
    """`count` tenants, each with a failed last run and history: every row counts somewhere."""
    tenants = Tenant.objects.bulk_create(
        [Tenant(schema_name=f"{prefix}{i:03d}", name=prefix) for i in range(count)]
    )
    CleanupPolicy.objects.bulk_create(
        [
            CleanupPolicy(
                tenant=t,
                last_report_id=1,
                last_report_status="failed",
                last_report_finished_at=NOW - i * HOUR / 10,
                active_report_status="running" if i % 2 else "",
            )
            for i, t in enumerate(tenants)
        ]
    )
    RunOutcome.objects.bulk_create(
        [
            RunOutcome(
                tenant=t,
                report_id=1,
                status="failed",
                trigger="schedule",
                dry_run=False,
                finished_at=NOW - HOUR,
            )
            for t in tenants
        ]
    )


def test_the_summary_costs_the_same_queries_at_3_and_at_60_tenants_and_lists_50(
    operator: dict[str, str],
) -> None:
    summary(operator)  # the operator's first request also records last_seen
    counts, listed = [], []
    for prefix, count in (("few", 3), ("many", 60)):
        Tenant.objects.filter(schema_name__startswith="few").delete()
        fleet(prefix, count)
        with CaptureQueriesContext(connection) as queries:
            body = summary(operator)
        counts.append(len(queries))
        listed.append(len(body["needs_attention"]))
        assert body["runs_24h"]["failed"] == count

    assert counts[0] == counts[1]
    assert listed == [3, 50]


def test_removals_of_30_days_count_whole_days_and_the_part_of_the_first_after_its_hour(
    operator: dict[str, str],
) -> None:
    """The 30-day figure reads per-day sums (kept by the database) and, for the day the
    window starts in, only the runs after its start; a deleted tenant's runs drop out."""
    acme, globex = tenant("acme"), tenant("globex")
    day = timedelta(days=1)
    outcome(acme, 1, "succeeded", 30 * day + HOUR, removed=1000)  # just outside
    outcome(acme, 2, "succeeded", 30 * day - HOUR, removed=200)  # just inside
    outcome(acme, 3, "succeeded", 29 * day - HOUR, removed=30)  # maybe the same UTC day
    outcome(acme, 4, "failed", 10 * day, removed=4)
    outcome(globex, 5, "succeeded", HOUR, removed=5000)
    outcome(acme, 6, "succeeded", 2 * HOUR, removed=0)

    assert summary(operator)["users_removed_30d"] == 200 + 30 + 4 + 5000
    assert summary(operator)["users_removed_24h"] == 5000

    globex.delete()

    assert summary(operator)["users_removed_30d"] == 200 + 30 + 4
    assert summary(operator)["users_removed_24h"] == 0
