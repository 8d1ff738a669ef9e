"""A run that removed nobody counts nobody: a run aborted over the safety cap, one rejected
and one whose approval expired keep the counters of what they would have done, labelled so,
and add nothing to the fleet summary, /metrics, the tenants list or the chart's data; a
real run's removals count whole."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from prometheus_client.parser import text_string_to_metric_families

from accounts.tests.factories import UserFactory
from cleanup.models import CleanupAuditEntry, CleanupReport
from cleanup.tests.support import D, active_names, run, set_policy
from core.testing import ROOT, TENANT_A, client
from fleet.services.reaper import cleanup_reap_stale
from tenants.models import Tenant

pytestmark = pytest.mark.django_db
METRICS_TOKEN = "metrics-token-b3X9qLzT0v8eKw2RjN5uYp7AfHc4GdMs1E6oVaZ"
COUNTERS = ("users_warned", "users_deactivated", "users_deleted", "users_removed")


def people(inactive: int, fresh: int) -> tuple[list[str], list[str]]:
    now = timezone.now()
    gone = [
        UserFactory.create(username=f"gone{i}", now=now, login_days_ago=D + 1).username
        for i in range(inactive)
    ]
    kept = [
        UserFactory.create(username=f"fresh{i}", now=now, login_days_ago=1).username
        for i in range(fresh)
    ]
    return gone, kept


def counters(report: CleanupReport) -> tuple[int, ...]:
    return tuple(getattr(report, name) for name in COUNTERS)


def removed_on_metrics() -> float:
    response = client(ROOT).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 200
    (removed,) = (
        sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
        if sample.name == "cleanup_users_removed_total"
    )
    return removed


def test_aborted_rejected_and_expired_runs_count_nobody_and_a_real_run_counts_its_removals(
    tenant_a: Tenant,
    tenant_b: Tenant,
    admin_a: dict[str, str],
    operator: dict[str, str],
    settings: Any,
) -> None:
    settings.METRICS_TOKEN = METRICS_TOKEN
    # alpha: over the cap with on_cap "ask": one run rejected, the next left to expire.
    set_policy(tenant_a, action="deactivate", max_removal_ratio=0.5, on_cap="ask")
    with schema_context("alpha"):
        alpha_gone, alpha_kept = people(inactive=3, fresh=2)
        asked = run(tenant_a)
        assert (asked.status, counters(asked)) == ("awaiting_approval", (0, 3, 0, 3))
    rejected = client(TENANT_A, admin_a["access"]).post(f"/api/reports/{asked.pk}/reject/")
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["counts_are_would"] is True
    with schema_context("alpha"):
        left = run(tenant_a)
        assert left.status == "awaiting_approval"
    ttl = timedelta(hours=settings.CLEANUP_APPROVAL_TTL_H + 1)
    assert cleanup_reap_stale(now=timezone.now() + ttl) == [("alpha", left.pk)]
    # beta: over the cap with on_cap "abort", then a real run under a wider cap.
    set_policy(tenant_b, action="deactivate", max_removal_ratio=0.5, on_cap="abort")
    with schema_context("beta"):
        beta_gone, beta_kept = people(inactive=2, fresh=1)
        aborted = run(tenant_b)
        assert active_names(beta_gone + beta_kept) == set(beta_gone + beta_kept)
    set_policy(tenant_b, action="deactivate", max_removal_ratio=1.0)
    with schema_context("beta"):
        real = run(tenant_b)
    removed = 2  # K: the only users any of these runs removed

    # Nobody was removed in alpha, and no aborted run wrote an audit row.
    with schema_context("alpha"):
        assert active_names(alpha_gone + alpha_kept) == set(alpha_gone + alpha_kept)
        assert not CleanupAuditEntry.objects.exists()
        reports = {r.pk: r for r in CleanupReport.objects.all()}
        assert [(r.status, counters(r)) for r in (reports[asked.pk], reports[left.pk])] == [
            ("aborted", (0, 3, 0, 3)),
            ("aborted", (0, 3, 0, 3)),
        ]
    # beta's real run removed its inactive users, kept its fresh one, and audited just those.
    with schema_context("beta"):
        assert (real.status, real.users_removed, real.counts_are_would) == (
            "succeeded",
            removed,
            False,
        )
        assert active_names(beta_gone + beta_kept) == set(beta_kept)
        assert set(CleanupAuditEntry.objects.values_list("username", flat=True)) == set(beta_gone)
        assert CleanupAuditEntry.objects.filter(report_id=aborted.pk).count() == 0
        aborted.refresh_from_db()
        # The aborted run's counters are what it would have done: labelled, not removals.
        assert (aborted.status, counters(aborted)) == ("aborted", (0, 2, 0, 2))
        assert aborted.counts_are_would

    root = client(ROOT, operator["access"])
    summary = root.get("/api/platform/summary/").json()
    assert (summary["users_removed_24h"], summary["users_removed_30d"]) == (removed, removed)
    assert summary["runs_24h"]["aborted"] == 3 and summary["runs_24h"]["succeeded"] == 1

    assert removed_on_metrics() == removed

    listed = {
        t["schema_name"]: t["last_report"]
        for t in root.get("/api/platform/tenants/").json()["results"]
    }
    assert (listed["alpha"]["status"], listed["alpha"]["users_removed"]) == ("aborted", 0)
    assert (listed["beta"]["status"], listed["beta"]["users_removed"]) == ("succeeded", removed)

    # The dashboard's chart plots each finished run's removals from the reports list: the
    # would-be figures are there, flagged, and the real ones add up to K.
    for schema, would in (("alpha", [True, True]), ("beta", [False, True])):
        results = root.get(f"/api/platform/tenants/{schema}/reports/").json()["results"]
        assert [r["counts_are_would"] for r in results] == would
    charted = [
        r["users_removed"]
        for schema in ("alpha", "beta")
        for r in root.get(f"/api/platform/tenants/{schema}/reports/").json()["results"]
        if not r["counts_are_would"]
    ]
    assert sum(charted) == removed


def test_a_dry_run_over_the_cap_ends_aborted_with_what_a_real_run_would_do(
    in_tenant_a: Tenant,
) -> None:
    set_policy(in_tenant_a, action="delete", max_removal_ratio=0.5, on_cap="abort", dry_run=True)
    gone, kept = people(inactive=3, fresh=1)

    report = run(in_tenant_a)

    assert (report.status, counters(report), report.counts_are_would) == (
        "aborted",
        (0, 0, 3, 3),
        True,
    )
    assert active_names(gone + kept) == set(gone + kept)
    assert not CleanupAuditEntry.objects.exists()
    assert report.users_really_removed == 0
