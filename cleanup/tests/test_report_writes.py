"""Writes that race: the reaper against a worker, runs against policy edits, a lost database
connection, a user row somebody else holds locked."""

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, NamedTuple

import psycopg2
import pytest
from django.db import connection
from django.db.models.signals import pre_save
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from cleanup.models import CleanupAuditEntry, CleanupReport
from cleanup.services import execution
from cleanup.services.execution import cleanup_run
from cleanup.services.stages import Batch
from cleanup.services.start import cleanup_report_create
from cleanup.services.transitions import report_finish
from cleanup.tests.support import BatchFn, each_batch
from core.testing import TENANT_A, client
from fleet.services.reaper import cleanup_reap_stale
from policy.models import CleanupPolicy
from tenants.models import Tenant

LONG_AGO = timedelta(days=400)
SUMMARY = {
    "last_report_id": 4242,
    "last_report_status": "succeeded",
    "last_report_users_removed": 7,
}


def summary(tenant: Tenant) -> dict[str, Any]:
    return CleanupPolicy.objects.filter(tenant=tenant).values(*SUMMARY).get()


def inactive_users(count: int) -> list[int]:
    """Users every default policy matches (never logged in, joined long ago), by pk."""
    joined = timezone.now() - LONG_AGO
    return [User.objects.create(username=f"gone{i}", date_joined=joined).pk for i in range(count)]


def other_connection() -> Any:
    """A second PostgreSQL session on the test database, outside Django."""
    settings = connection.settings_dict
    conn = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"],
    )
    conn.autocommit = True
    return conn


def active_users() -> set[int]:
    return set(User.objects.filter(is_active=True).values_list("pk", flat=True))


def assert_removed_exactly_the_audited(audited: set[int], active: set[int], matched: list[int]):  # type: ignore[no-untyped-def]
    """Nobody audited is still active, and nobody deactivated is missing from the audit."""
    assert audited.isdisjoint(active)
    assert set(matched) - active == audited


# --- 13a: a run the reaper ended stays ended


def test_a_run_the_reaper_ended_stays_ended_when_its_worker_reaches_the_finish(
    in_tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    CleanupPolicy.objects.filter(tenant=in_tenant_a).update(dry_run=True, max_removal_ratio=1.0)
    inactive_users(3)
    report = cleanup_report_create(schema_name="alpha", trigger="manual")
    real_counts = execution.stage_counts

    def reaped_while_counting(*args: Any) -> Any:
        # The worker stalls here long enough for the reaper to give up on it.
        cleanup_reap_stale(now=timezone.now() + timedelta(hours=2))
        return real_counts(*args)

    monkeypatch.setattr(execution, "stage_counts", reaped_while_counting)

    returned = cleanup_run(report_id=report.pk)

    report.refresh_from_db()
    assert report.status == "failed" and "Worker lost" in report.error
    assert returned.status == "failed"
    policy = CleanupPolicy.objects.get(tenant=in_tenant_a)
    assert (policy.last_report_id, policy.last_report_status) == (report.pk, "failed")


def test_report_finish_takes_only_on_an_active_run_and_says_so(in_tenant_a: Tenant) -> None:
    report = cleanup_report_create(schema_name="alpha", trigger="manual")
    CleanupReport.objects.filter(pk=report.pk).update(status="running")

    running = ("running",)
    assert report_finish(report, "failed", "first", from_statuses=running) is True
    assert report_finish(report, "succeeded", from_statuses=running) is False

    report.refresh_from_db()
    assert (report.status, report.error) == ("failed", "first")
    assert CleanupPolicy.objects.get(tenant=in_tenant_a).last_report_status == "failed"


# --- 13b: saving a policy leaves the run summary alone


@pytest.fixture
def summary_written_before_save(tenant_a: Tenant) -> Iterator[None]:
    """Between loading the policy and saving it, a run finishes and writes its summary."""
    written: list[bool] = []

    def run_finishes(sender: Any, instance: CleanupPolicy, **kwargs: Any) -> None:
        if not written:
            written.append(True)
            CleanupPolicy.objects.filter(pk=instance.pk).update(**SUMMARY)

    pre_save.connect(run_finishes, sender=CleanupPolicy)
    yield
    pre_save.disconnect(run_finishes, sender=CleanupPolicy)
    assert written, "the policy was never saved"


def test_a_policy_patch_keeps_a_summary_written_meanwhile(
    admin_a: dict[str, str], tenant_a: Tenant, summary_written_before_save: None
) -> None:
    response = client(TENANT_A, admin_a["access"]).patch(
        "/api/cleanup/policy/", {"inactive_days": 120}, format="json"
    )

    assert response.status_code == 200
    assert CleanupPolicy.objects.get(tenant=tenant_a).inactive_days == 120
    assert summary(tenant_a) == SUMMARY


# --- 13c: a lost database connection ends the run `failed` with the real cause


@pytest.fixture
def deactivating_tenant(django_db_setup: None, make_live_tenant: Callable[..., Tenant]) -> Tenant:
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # an API test may leave a tenant's
    return make_live_tenant(action="deactivate", dry_run=False, max_removal_ratio=1.0)


def terminate_this_connection() -> None:
    """What a PostgreSQL restart does to the run's session, for real."""
    pid = connection.connection.get_backend_pid()  # type: ignore[attr-defined]
    killer = other_connection()
    with killer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    killer.close()


class Death(NamedTuple):
    """The run's connection is terminated as `execution.<function>` (or "a removal batch") is
    called the nth time."""

    function: str
    call: int


def run_batch(batch: BatchFn, after_pk: int, size: int) -> Batch:
    return batch(after_pk, size)


def dies_on_call(real: Callable[..., Any], death: Death) -> Callable[..., Any]:
    calls = 0

    def dying(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == death.call:
            terminate_this_connection()
        return real(*args, **kwargs)

    return dying


@pytest.mark.parametrize(
    ("deaths", "removed"),
    [
        pytest.param([Death("stage_counts", 1)], 0, id="while counting, outside a batch"),
        pytest.param([Death("a removal batch", 2)], 2, id="between batches"),
        pytest.param(
            [Death("a removal batch", 2), Death("report_finish", 1)],
            2,
            id="between batches, and again while recording the failure",
        ),
    ],
)
def test_a_lost_database_connection_fails_the_run_at_once_with_the_real_cause(
    deactivating_tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
    deaths: list[Death],
    removed: int,
) -> None:
    monkeypatch.setattr(execution, "FAIL_RETRY_DELAYS_S", (0.0, 0.0))
    for death in deaths:
        if death.function == "a removal batch":
            each_batch(monkeypatch, "remove", dies_on_call(run_batch, death))
        else:
            monkeypatch.setattr(
                execution,
                death.function,
                dies_on_call(getattr(execution, death.function), death),
            )
    with schema_context(deactivating_tenant.schema_name):
        matched = inactive_users(6)
        report = cleanup_report_create(
            schema_name=deactivating_tenant.schema_name, trigger="manual"
        )

        returned = cleanup_run(report_id=report.pk, batch_size=2)

        report.refresh_from_db()
        assert report.status == "failed" and returned.status == "failed"
        assert report.error.startswith("Database connection lost: ")
        assert "the batch in flight was rolled back" in report.error
        audited = set(CleanupAuditEntry.objects.values_list("user_id", flat=True))
        assert len(audited) == removed and report.users_removed == removed
        assert_removed_exactly_the_audited(audited, active_users(), matched)
    assert summary(deactivating_tenant)["last_report_status"] == "failed"


# --- 12: a batch waits for a locked user row only so long


def test_a_batch_blocked_on_a_locked_user_fails_on_the_lock_timeout_and_rolls_back_whole(
    deactivating_tenant: Tenant,
) -> None:
    schema = deactivating_tenant.schema_name
    with schema_context(schema):
        matched = inactive_users(6)
        report = cleanup_report_create(schema_name=schema, trigger="manual")
    holder = other_connection()
    holder.autocommit = False
    with holder.cursor() as cursor:
        # Batch 2 is users 3 and 4: the 4th stays locked by "another transaction".
        cursor.execute(
            f'SELECT 1 FROM "{schema}".accounts_user WHERE id = %s FOR UPDATE', [matched[3]]
        )
    # Without a lock timeout the batch would wait for ever; let it go eventually so the
    # failure shows as a wrong status rather than a hung test.
    release = threading.Timer(20, holder.rollback)
    release.start()
    try:
        with schema_context(schema), override_settings(CLEANUP_LOCK_TIMEOUT_MS=200):
            returned = cleanup_run(report_id=report.pk, batch_size=2)
            report.refresh_from_db()
            audited = set(CleanupAuditEntry.objects.values_list("user_id", flat=True))
            active = active_users()
            with connection.cursor() as cursor:
                # The run's lock timeout does not outlive it on the worker's connection.
                cursor.execute("SHOW lock_timeout")
                lock_timeout_after = cursor.fetchone()[0]
    finally:
        release.cancel()
        holder.rollback()
        holder.close()

    assert report.status == "failed" and returned.status == "failed"
    assert "lock timeout" in report.error.lower() and "CLEANUP_LOCK_TIMEOUT_MS" in report.error
    assert lock_timeout_after == "0"
    assert audited == set(matched[:2]) and report.users_removed == 2
    assert set(matched[2:]) <= active  # batch 2 rolled back whole: nobody in it touched
    assert_removed_exactly_the_audited(audited, active, matched)
