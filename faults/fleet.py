"""The fleet drill (docs/operations.md#the-fleet-drill): a whole fleet due in the same minute,
run by a real beat and real workers, cleanly, with a worker SIGKILLed mid-way, and with Redis
restarted mid-way. Each time every tenant must run exactly once, nothing may be left queued
or running once the reaper has had its period, and every audit list must match what happened
to the users.

`make drill` (`python -m faults.drill`) runs it at 2,000 tenants on a stack of its own;
`faults/test_fleet_drill.py` runs a small one in `make test`. This module drives a `Stack`
from outside (SQL through psycopg2, processes by signal); `fleet_create` runs inside a Django
process of the stack.
"""

import contextlib
import multiprocessing
import signal
import time
from collections.abc import Iterator
from typing import Any

import psycopg2

from faults.stack import Stack, purge_queue, wait_for

PREFIX = "drill_"
# Each tenant's users: username -> (active, last login days ago, joined days ago). With the
# drill's policy (deactivate after 90 days without a login, or 30 without a first one, no
# notice period), the run deactivates exactly EXPECTED; u5 was deactivated long ago.
USERS: dict[str, tuple[bool, int | None, int]] = {
    "u1": (True, 1, 400),
    "u2": (True, 200, 400),
    "u3": (True, None, 400),
    "u4": (True, None, 5),
    "u5": (False, 300, 400),
    "u6": (True, 100, 400),
}
EXPECTED = frozenset({"u2", "u3", "u6"})
POLICY = {
    "enabled": True,
    "action": "deactivate",
    "dry_run": False,
    "notice_days": 0,
    "max_removal_ratio": 1.0,
    "notify_admins": False,
    "inactive_days": 90,
    "never_logged_in_days": 30,
}
WORKERS = 2
CONCURRENCY = 2
# Beat's period for both entries (fan-out and reaper): a minute in production, compressed so
# the drill waits seconds, not minutes, for the reaper; likewise the reaper's thresholds.
BEAT_PERIOD_S = 5
STALE_AFTER_S = 15
ENV = {
    "CLEANUP_STALE_AFTER_S": str(STALE_AFTER_S),
    "CLEANUP_QUEUED_TIMEOUT_S": str(STALE_AFTER_S),
    "CLEANUP_FANOUT_JITTER_S": "0",
}
FINISHED = ("succeeded", "failed", "aborted")


# --- the fleet, made inside a Django process of the stack ------------------------------------


def _schemas_create(names: list[str]) -> None:
    """In a pool process: clone the template into each schema (as `tenant_create` does) and
    add its admin and USERS."""
    import django

    django.setup()
    from django.db import connection, transaction

    from tenants.clone import template_clone

    rows = [("admin", True, True, None, 0)] + [
        (name, False, active, last_login, joined)
        for name, (active, last_login, joined) in USERS.items()
    ]
    for schema in names:
        with transaction.atomic():
            template_clone("tenant_template", schema)
            with connection.cursor() as cursor:
                for username, staff, active, *days in rows:
                    cursor.execute(
                        f'INSERT INTO "{schema}".accounts_user (password, is_superuser, '
                        "username, first_name, last_name, email, is_staff, is_active, "
                        "last_login, date_joined, token_version) VALUES ('!', %s, %s, '', '', "
                        "%s, %s, %s, now() - make_interval(days => %s), "
                        "now() - make_interval(days => %s), 0)",
                        [staff, username, f"{username}@drill.test", staff, active, *days],
                    )
    connection.close()


def fleet_create(count: int, processes: int = 2) -> None:
    """`count` tenants named drill_00000..., in bulk as bench/scale.py makes them: schemas
    cloned from the template in parallel processes, public rows bulk-inserted, not due."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from policy.models import CleanupPolicy
    from tenants.models import Domain, Tenant

    names = [f"{PREFIX}{i:05d}" for i in range(count)]
    chunks = [names[i : i + 25] for i in range(0, count, 25)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for _ in pool.imap_unordered(_schemas_create, chunks):
            pass
    tenants = Tenant.objects.bulk_create([Tenant(schema_name=n, name=n) for n in names])
    Domain.objects.bulk_create(
        [
            Domain(tenant=t, domain=f"{t.schema_name.replace('_', '-')}.{settings.BASE_DOMAIN}")
            for t in tenants
        ]
    )
    later = timezone.now() + timedelta(days=365)
    CleanupPolicy.objects.bulk_create(
        [CleanupPolicy(tenant=t, next_run_at=later, **POLICY) for t in tenants]
    )


# --- driving it from outside -----------------------------------------------------------------


class Drill:
    """One fleet on `stack`, and the scenarios run on it."""

    def __init__(self, stack: Stack, tenants: int):
        self.stack = stack
        self.tenants = tenants
        self.schemas = [f"{PREFIX}{i:05d}" for i in range(tenants)]

    def create(self) -> float:
        start = time.monotonic()
        self.stack.python(
            f"from faults.fleet import fleet_create\nfleet_create({self.tenants})\n",
            timeout=120 + self.tenants,  # ~0.2 s a schema on 2 busy cores
            **ENV,
        )
        # Beat's two entries tick every BEAT_PERIOD_S seconds instead of every minute.
        self.stack.sql(
            "UPDATE django_celery_beat_intervalschedule SET every = %s, period = 'seconds' "
            "WHERE id IN (SELECT interval_id FROM django_celery_beat_periodictask "
            "WHERE task IN ('cleanup.fan_out', 'cleanup.reap_stale_runs')) RETURNING id",
            [BEAT_PERIOD_S],
        )
        return time.monotonic() - start

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        conn = psycopg2.connect(self.stack.database_url, connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                yield cursor
        finally:
            conn.close()

    def reset(self) -> None:
        """Every tenant as it was made: no report, audit or outcome, USERS as listed. One
        short transaction per schema (one for all would lock thousands of tables)."""
        with self.connection() as cursor:
            for schema in self.schemas:
                cursor.execute(
                    f'TRUNCATE "{schema}".cleanup_cleanupreport CASCADE;'
                    f'UPDATE "{schema}".accounts_user SET is_active = (username <> %s), '
                    "token_version = 0 WHERE NOT is_staff",
                    ["u5"],
                )
        self.stack.sql(
            "DELETE FROM tenants_runoutcome WHERE tenant_id IN "
            "(SELECT id FROM tenants_tenant WHERE schema_name LIKE %(p)s);"
            "UPDATE tenants_cleanuppolicy SET last_report_id = NULL, last_report_status = '', "
            "last_report_finished_at = NULL, last_report_users_removed = NULL, "
            "next_run_at = now() + interval '365 days' WHERE tenant_id IN "
            "(SELECT id FROM tenants_tenant WHERE schema_name LIKE %(p)s)",
            {"p": PREFIX.replace("_", r"\_") + "%"},
        )

    def users(self) -> dict[str, dict[str, tuple[bool, str]]]:
        """{schema: {username: (is_active, a hash of the whole row)}}."""
        found = {}
        with self.connection() as cursor:
            for schema in self.schemas:
                cursor.execute(
                    f'SELECT username, is_active, md5(u::text) FROM "{schema}".accounts_user u'
                )
                found[schema] = {name: (active, digest) for name, active, digest in cursor}
        return found

    def make_due(self) -> None:
        self.stack.sql(
            "UPDATE tenants_cleanuppolicy SET next_run_at = now() - interval '1 minute' "
            "WHERE tenant_id IN (SELECT id FROM tenants_tenant WHERE schema_name LIKE %s)",
            [PREFIX.replace("_", r"\_") + "%"],
        )

    def progress(self) -> tuple[int, int]:
        """(tenants with a finished run, tenants whose registry still holds a run)."""
        ((finished, active),) = self.stack.sql(
            "SELECT count(DISTINCT o.tenant_id), "
            "(SELECT count(*) FROM tenants_cleanuppolicy p JOIN tenants_tenant t "
            " ON t.id = p.tenant_id WHERE t.schema_name LIKE %(p)s "
            " AND p.active_report_status <> '') "
            "FROM tenants_runoutcome o JOIN tenants_tenant t ON t.id = o.tenant_id "
            "WHERE t.schema_name LIKE %(p)s",
            {"p": PREFIX.replace("_", r"\_") + "%"},
        )
        return int(finished), int(active)

    def timings(self) -> dict[str, Any]:
        ((first_start, last_end, last_ok, ok, failed),) = self.stack.sql(
            "SELECT min(o.started_at), max(o.finished_at), "
            "max(o.finished_at) FILTER (WHERE o.status = 'succeeded'), "
            "count(*) FILTER (WHERE o.status = 'succeeded'), "
            "count(*) FILTER (WHERE o.status <> 'succeeded') "
            "FROM tenants_runoutcome o JOIN tenants_tenant t ON t.id = o.tenant_id "
            "WHERE t.schema_name LIKE %s",
            [PREFIX.replace("_", r"\_") + "%"],
        )
        processes = WORKERS * CONCURRENCY
        busy = (last_ok - first_start).total_seconds() if ok else 0.0
        return {
            "makespan_s": round((last_end - first_start).total_seconds(), 1),
            "succeeded": ok,
            "not_succeeded": failed,
            "succeeded_span_s": round(busy, 1),
            "tenants_per_s_per_process": round(ok / busy / processes, 2) if busy else 0.0,
        }

    def check(self, before: dict[str, dict[str, tuple[bool, str]]], kind: str) -> list[str]:
        """What went wrong, tenant by tenant (empty: the drill held)."""
        problems: list[str] = []
        after = self.users()
        with self.connection() as cursor:
            for schema in self.schemas:
                cursor.execute(
                    f'SELECT id, status, trigger, error FROM "{schema}".cleanup_cleanupreport'
                )
                reports = cursor.fetchall()
                cursor.execute(
                    f'SELECT username, report_id FROM "{schema}".cleanup_cleanupauditentry'
                )
                audited = [name for name, _ in cursor.fetchall()]
                problems += _tenant_problems(schema, kind, reports, audited, before, after)
        active = self.stack.sql(
            "SELECT t.schema_name, p.active_report_status FROM tenants_cleanuppolicy p "
            "JOIN tenants_tenant t ON t.id = p.tenant_id "
            "WHERE t.schema_name LIKE %s AND p.active_report_status <> ''",
            [PREFIX.replace("_", r"\_") + "%"],
        )
        problems += [
            f"{schema}: the registry still holds a {status} run" for schema, status in active
        ]
        return problems

    def scenario(self, kind: str) -> dict[str, Any]:
        """Run the fleet once: `clean`, `kill` (one worker SIGKILLed once a third of the
        tenants have run) or `redis` (Redis stopped then, started again 3 s later)."""
        assert kind in ("clean", "kill", "redis"), kind
        stack = self.stack
        self.reset()
        before = self.users()
        purge_queue(stack)
        workers = [
            stack.worker_start(f"drill-{kind}-{i}", concurrency=CONCURRENCY, **ENV)
            for i in range(WORKERS)
        ]
        beat = stack.beat_start(**ENV)
        fault_at = None
        try:
            self.make_due()
            if kind != "clean":
                wait_for(
                    lambda: self.progress()[0] >= self.tenants // 3,
                    "a third of the tenants to run",
                    timeout=60 + self.tenants,
                    every=0.1,
                )
                fault_at = self.progress()[0]
                if kind == "kill":
                    stack.stop(workers[0], signal.SIGKILL)
                else:
                    stack.redis_stop()
                    time.sleep(3)
                    stack.redis_start()
            wait_for(
                lambda: self.progress() == (self.tenants, 0),
                "every tenant to have run, and the registry to be empty",
                timeout=120 + self.tenants,
                every=0.5,
            )
            # One more reaper period: nothing may come back queued or running.
            time.sleep(BEAT_PERIOD_S + 1)
        finally:
            for process in [beat, *workers]:
                stack.stop(process)
        problems = self.check(before, kind)
        return {
            "scenario": kind,
            "tenants": self.tenants,
            "finished_when_faulted": fault_at,
            **self.timings(),
            "problems": len(problems),
            "first_problems": problems[:10],
        }


def _tenant_problems(
    schema: str,
    kind: str,
    reports: list[tuple[Any, ...]],
    audited: list[str],
    before: dict[str, dict[str, tuple[bool, str]]],
    after: dict[str, dict[str, tuple[bool, str]]],
) -> list[str]:
    """One tenant's run: exactly one finished scheduled report (`failed` only as "Worker lost"
    in the kill scenario), each audited user deactivated by it and nobody else touched."""
    problems = []
    if len(reports) != 1:
        return [f"{schema}: {len(reports)} reports, not one: {reports}"]
    ((_, status, trigger, error),) = reports
    if trigger != "schedule" or status not in FINISHED:
        problems.append(f"{schema}: report {status} ({trigger})")
    if status == "failed" and not (kind == "kill" and (error or "").startswith("Worker lost")):
        problems.append(f"{schema}: failed: {error}")
    if status == "aborted":
        problems.append(f"{schema}: aborted: {error}")
    if len(audited) != len(set(audited)):
        problems.append(f"{schema}: a user audited twice: {sorted(audited)}")
    if status == "succeeded" and set(audited) != EXPECTED:
        problems.append(f"{schema}: audited {sorted(audited)}, expected {sorted(EXPECTED)}")
    if not set(audited) <= EXPECTED:
        problems.append(f"{schema}: audited users the policy keeps: {sorted(audited)}")
    for username, (was_active, row) in before[schema].items():
        is_active, row_now = after[schema].get(username, (None, None))
        if username in audited:
            if not (was_active and is_active is False):
                problems.append(f"{schema}: {username} audited but not deactivated")
        elif row_now != row:
            problems.append(f"{schema}: {username} was touched without an audit row")
    return problems
