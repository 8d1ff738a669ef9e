"""The data migration that stops counting would-be figures as removals: the outcomes and
last-run summaries the old code wrote for aborted runs come out as what those runs removed —
nobody — while real runs' removals, a failed run's committed batches included, stay."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from fleet.selectors import fleet_metrics, fleet_summary
from policy.models import CleanupPolicy, RunOutcome
from tenants.models import Tenant

pytestmark = pytest.mark.django_db
migration = import_module("tenants.migrations.0005_outcomes_count_real_removals")
NOW = timezone.now()
HOUR = timedelta(hours=1)


def tenant(schema: str, last: tuple[int, str, int] | None) -> Tenant:
    (made,) = Tenant.objects.bulk_create([Tenant(schema_name=schema, name=schema.title())])
    report_id, status, removed = last or (None, "", None)
    CleanupPolicy.objects.create(
        tenant=made,
        last_report_id=report_id,
        last_report_status=status,
        last_report_finished_at=NOW - HOUR if last else None,
        last_report_users_removed=removed,
    )
    return made


def outcome(owner: Tenant, report_id: int, status: str, removed: int, dry_run: bool = False):  # type: ignore[no-untyped-def]
    RunOutcome.objects.create(
        tenant=owner,
        report_id=report_id,
        status=status,
        trigger="schedule",
        dry_run=dry_run,
        started_at=NOW - 2 * HOUR,
        finished_at=NOW - HOUR,
        users_removed=removed,
    )


def migrate() -> None:
    with connection.schema_editor() as editor:
        migration.removals_count_real(apps, editor)


def test_the_migration_keeps_real_removals_and_zeroes_what_aborted_runs_would_have_done() -> None:
    # As the old code left them: a rejected run's and an expired one's would-be removals
    # recorded as removals, next to real runs (one failed after committing batches).
    acme = tenant("acme", (3, "aborted", 183))
    globex = tenant("globex", (8, "succeeded", 7))
    initech = tenant("initech", (2, "failed", 5))
    hooli = tenant("hooli", (4, "succeeded", 9))  # a dry run, summarised by hand as 9
    outcome(acme, 1, "succeeded", 20)
    outcome(acme, 2, "aborted", 40)
    outcome(acme, 3, "aborted", 183)
    outcome(globex, 7, "aborted", 0)  # over the cap with on_cap "abort": counted nothing
    outcome(globex, 8, "succeeded", 7)
    outcome(initech, 2, "failed", 5)
    outcome(hooli, 4, "succeeded", 0, dry_run=True)
    assert fleet_summary(now=NOW)["users_removed_24h"] == 255

    migrate()
    migrate()  # idempotent

    assert sorted(
        RunOutcome.objects.values_list("tenant__schema_name", "report_id", "users_removed")
    ) == [
        ("acme", 1, 20),
        ("acme", 2, 0),
        ("acme", 3, 0),
        ("globex", 7, 0),
        ("globex", 8, 7),
        ("hooli", 4, 0),
        ("initech", 2, 5),
    ]
    last = dict(
        CleanupPolicy.objects.filter(tenant__in=[acme, globex, initech, hooli]).values_list(
            "tenant__schema_name", "last_report_users_removed"
        )
    )
    assert last == {"acme": 0, "globex": 7, "initech": 5, "hooli": 0}
    summary = fleet_summary(now=NOW)
    assert (summary["users_removed_24h"], summary["users_removed_30d"]) == (32, 32)
    totals = fleet_metrics()["totals"]
    assert sum(row["users_removed"] for row in totals.values()) == 32
    # What the history says about the runs themselves is untouched.
    assert summary["runs_24h"]["aborted"] == 3 and summary["runs_24h"]["succeeded"] == 3
