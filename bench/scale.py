"""Many tenants (docs/benchmarks.md#targets "Many tenants", §12): `make bench-scale`, not part of
CI.

Grows one database to 10, 100, 250, 500, 1,000 and 2,000 tenants, each a real schema, and
at every size measures what must not grow with the fleet:

- tenant creation through the real service (`tenant_create`, cloning the template schema);
- one beat fan-out tick with every tenant due (queries, milliseconds);
- one reaper tick (queries; one lost run to act on, a tenth of the fleet active and healthy);
- trigger-all through the API (milliseconds; the runs go to Redis, which is purged);
- the operators' tenants list with a search, and the fleet summary (p50 / p99 over 200
  requests each, through Django's test client: routing, middleware, JWT, DRF, database —
  everything but an HTTP server);
- a /metrics scrape;
- a no-op `manage.py migrate` (every schema up to date), and django-tenants' own
  `migrate_schemas` beside it at the sizes in --stock-levels.

The schemas are made in bulk, not by `tenant_create` one by one (that would take ~20
minutes for 2,000): each is cloned from the template by `tenants.clone.template_clone` —
the function `tenant_create` itself clones with, so the schemas are the ones the service
makes — in parallel processes, with its first admin inserted (its password hashed once,
not 2,000 times). The public rows (tenant, domain, policy) are bulk-inserted. Each tenant
gets 30 days of run history (one run a day, in tenants_runoutcome) so the summary reads
realistic rows.

    python -m bench.scale                      # all sizes, stock migrate at 100 and 250
    python -m bench.scale --levels 10 100      # a quick look
    python -m bench.scale --stock-levels 100 250 2000   # django-tenants' own no-op at 2,000
                                                        # too: ~20 minutes more

Uses its own database (BENCH_SCALE_DATABASE_URL, default `cleanup_scale`, dropped and
re-created) and Redis (BENCH_REDIS_URL, default db 14). Figures go into
bench/results/latest.json (merged), and a growth table into bench/results/scale.md.
"""

import os
import sys

SCALE_URL = os.environ.get(
    "BENCH_SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cleanup_scale"
)
# bench.common reads the benchmark database from the environment when imported.
os.environ["BENCH_DATABASE_URL"] = SCALE_URL

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from bench import common  # noqa: E402

# The sizes measured on the way to the fleet size (`--tenants`, `make bench-scale TENANTS=N`):
# the default's steps, so the figures of docs/scaling.md stay comparable, and for any other
# size the powers of ten below it, 2,000, half of it and itself.
DEFAULT_TENANTS = 2000
LEVELS = (10, 100, 250, 500, 1000, 2000)
STOCK_LEVELS = (100, 250)
PREFIX = "scale_"
TEMPLATE = "tenant_template"
OPERATOR = "bench-operator"
PASSWORD = "bench-operator-password-1"
METRICS_TOKEN = "bench-metrics-" + "x7Kq2LmP9vR4tW8zN3bY6cF1dH5jG0sA"
REQUESTS = 200
CREATE_REPEAT = 3
TICK_REPEAT = 3
TRIGGER_REPEAT = 5
SEARCHES = ["scale", "00", "0042", "1999", "Tenant 12", "nomatch", "ale_01", "scale-00"]
ORDERINGS = ["", "name", "-last_run", "next_run_at", "-created_at"]
HISTORY_DAYS = 30


# --- A database of 2,000 schemas, fast --------------------------------------------------------


def database_fresh() -> None:
    import psycopg2
    from psycopg2 import sql

    name = SCALE_URL.rsplit("/", 1)[1]
    conn = psycopg2.connect(SCALE_URL.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()
    common.database_create()  # migrates: public schema and the tenant template


def _schemas_create_chunk(args: tuple[list[str], str]) -> None:
    """In a worker process: clone the template into each schema, with its first admin."""
    names, admin_password_hash = args
    common.django_setup()
    from django.db import connection, transaction

    from tenants.clone import template_clone

    for name in names:
        with transaction.atomic():
            template_clone(TEMPLATE, name)
            with connection.cursor() as cursor:
                cursor.execute(
                    f'INSERT INTO "{name}".accounts_user (password, is_superuser, username, '
                    "first_name, last_name, email, is_staff, is_active, date_joined, "
                    "token_version) VALUES (%s, true, 'admin', '', '', 'admin@scale.test', "
                    "true, true, now(), 0)",
                    [admin_password_hash],
                )
    connection.close()


def schemas_create(names: list[str], admin_password_hash: str, processes: int) -> None:
    chunks = [(names[i : i + 25], admin_password_hash) for i in range(0, len(names), 25)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for _ in pool.imap_unordered(_schemas_create_chunk, chunks):
            pass


def fleet_grow(start: int, stop: int, admin_password_hash: str, processes: int) -> None:
    """Tenants start..stop-1: their schemas in parallel, then their public rows in bulk."""
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from policy.models import CleanupPolicy
    from tenants.models import Domain, Tenant

    names = [f"{PREFIX}{i:05d}" for i in range(start, stop)]
    schemas_create(names, admin_password_hash, processes)
    tenants = Tenant.objects.bulk_create(
        [
            Tenant(schema_name=name, name=f"Tenant {i}")
            for i, name in zip(range(start, stop), names, strict=True)
        ]
    )
    Domain.objects.bulk_create(
        [
            Domain(
                tenant=t,
                domain=f"{t.schema_name.replace('_', '-')}.{settings.BASE_DOMAIN}",
                is_primary=True,
            )
            for t in tenants
        ]
    )
    later = timezone.now() + timedelta(days=365)
    CleanupPolicy.objects.bulk_create([CleanupPolicy(tenant=t, next_run_at=later) for t in tenants])
    with connection.cursor() as cursor:
        # 30 days of history, one run a day: mostly succeeded, a few failed or aborted.
        cursor.execute(
            """
            INSERT INTO tenants_runoutcome
                (tenant_id, report_id, status, trigger, dry_run, started_at, finished_at,
                 users_removed)
            SELECT t.id, d,
                   CASE WHEN (t.id + d) %% 97 = 0 THEN 'failed'
                        WHEN (t.id + d) %% 89 = 0 THEN 'aborted' ELSE 'succeeded' END,
                   'schedule', d %% 5 = 0,
                   now() - make_interval(days => %(days)s - d, secs => 40 + (t.id %% 600)),
                   now() - make_interval(days => %(days)s - d),
                   -- Dry and aborted runs removed nobody.
                   CASE WHEN d %% 5 = 0 OR ((t.id + d) %% 97 <> 0 AND (t.id + d) %% 89 = 0)
                        THEN 0 ELSE (t.id + d) %% 7 END
            FROM tenants_tenant t, generate_series(1, %(days)s) d
            WHERE t.id = ANY(%(ids)s)
            """,
            {"ids": [t.pk for t in tenants], "days": HISTORY_DAYS},
        )
        cursor.execute(
            """
            UPDATE tenants_cleanuppolicy p
            SET last_report_id = o.report_id, last_report_status = o.status,
                last_report_finished_at = o.finished_at, last_report_users_removed = o.users_removed
            FROM tenants_runoutcome o
            WHERE o.tenant_id = p.tenant_id AND o.report_id = %(days)s
              AND p.tenant_id = ANY(%(ids)s)
            """,
            {"ids": [t.pk for t in tenants], "days": HISTORY_DAYS},
        )
    # What autovacuum does soon after a bulk insert (statistics, and the visibility map the
    # summary's index-only scan needs): not left to chance in the middle of a measurement.
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE tenants_tenant, tenants_domain, tenants_cleanuppolicy, "
            "tenants_runoutcome"
        )


# --- Measurements -----------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def tenant_create_s(level: int) -> float:
    from fleet.services.tenants import tenant_create
    from tenants.services import tenant_delete

    times = []
    for i in range(CREATE_REPEAT):
        schema = f"scalec_{level}_{i}"
        start = time.perf_counter()
        tenant = tenant_create(
            schema_name=schema,
            name=schema,
            admin_username="admin",
            admin_email="admin@scale.test",
            admin_password="bench-admin-password-1",
        )
        times.append(time.perf_counter() - start)
        tenant_delete(tenant=tenant)
    return round(common.median(times), 3)


def queries_of(fn: Any) -> tuple[int, float, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
    # django-tenants' SET search_path is bookkeeping, not a query of the code measured (so
    # these counts are 2 lower than bench.fanout's, which keeps them).
    count = sum(1 for q in captured.captured_queries if not q["sql"].startswith("SET "))
    return count, seconds, result


def registry_clear() -> None:
    from django.db import connection

    from policy.models import CleanupPolicy

    CleanupPolicy.objects.update(
        active_report_id=None,
        active_report_status="",
        active_report_since=None,
        active_report_heartbeat_at=None,
        active_task_id="",
        active_task_kwargs=None,
    )
    # Every fan-out tick, trigger-all and clear rewrites each policy row: what autovacuum
    # reclaims within a minute in production, done here (a server may run with autovacuum
    # off, as this benchmark's did: 25 dead versions of each row made the tenants list scan
    # 120 MB at 10,000 tenants).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tenants_cleanuppolicy")


def broker_purge() -> None:
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


def fan_out_tick(level: int) -> tuple[int, float]:
    from django.utils import timezone

    from fleet.services.fanout import cleanup_fan_out
    from policy.models import CleanupPolicy

    runs = []
    for _ in range(TICK_REPEAT):
        now = timezone.now()
        registry_clear()
        scale = CleanupPolicy.objects.filter(tenant__schema_name__startswith=PREFIX)
        scale.update(enabled=True, next_run_at=now - timedelta(minutes=1))
        queries, seconds, published = queries_of(lambda now=now: cleanup_fan_out(now=now))
        assert len(published) == level, (len(published), level)
        runs.append((queries, seconds))
        broker_purge()
        scale.update(next_run_at=now + timedelta(days=365))
    registry_clear()
    counts = {q for q, _ in runs}
    assert len(counts) == 1, f"the tick's query count varies: {counts}"
    return counts.pop(), ms(common.median([s for _, s in runs]))


def reaper_tick(level: int) -> tuple[int, int, float]:
    """(queries of a tick with one lost run to end, queries of an idle tick, ms of the first)."""
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from cleanup.models import CleanupReport
    from fleet.services.reaper import cleanup_reap_stale
    from policy.models import CleanupPolicy

    registry_clear()
    now = timezone.now()
    healthy = list(
        CleanupPolicy.objects.filter(tenant__schema_name__startswith=PREFIX)
        .order_by("pk")
        .values_list("pk", flat=True)[1 : max(2, level // 10)]
    )
    CleanupPolicy.objects.filter(pk__in=healthy).update(
        active_report_id=1,
        active_report_status="running",
        active_report_since=now,
        active_report_heartbeat_at=now,
    )
    lost_schema = f"{PREFIX}00000"
    long_ago = now - timedelta(hours=2)
    with schema_context(lost_schema):
        CleanupReport.objects.filter(status__in=CleanupReport.ACTIVE_STATUSES).delete()
        lost = CleanupReport.objects.create(
            status="running",
            trigger="schedule",
            dry_run=True,
            action="deactivate",
            policy={},
            started_at=long_ago,
            heartbeat_at=long_ago,
        )
    CleanupPolicy.objects.filter(tenant__schema_name=lost_schema).update(
        active_report_id=lost.pk,
        active_report_status="running",
        active_report_since=long_ago,
        active_report_heartbeat_at=long_ago,
    )
    acting, seconds, reaped = queries_of(cleanup_reap_stale)
    assert reaped == [(lost_schema, lost.pk)], reaped
    idle, _, _ = queries_of(cleanup_reap_stale)
    registry_clear()
    return acting, idle, ms(seconds)


class Api:
    """Django's test client as the operator, with a JWT."""

    def __init__(self) -> None:
        from django.conf import settings
        from django.test import Client

        self.client = Client(HTTP_HOST=settings.BASE_DOMAIN)
        response = self.client.post(
            "/api/auth/token/",
            {"username": OPERATOR, "password": PASSWORD},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        self.auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}
        self.get("/api/me/")  # the first request records last_seen: not in any measurement

    def get(self, path: str, **extra: Any) -> Any:
        response = self.client.get(path, **self.auth, **extra)
        assert response.status_code == 200, (path, response.status_code, response.content[:200])
        return response

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(path, body, content_type="application/json", **self.auth)


def trigger_all(api: Api, level: int) -> tuple[float, float, int]:
    """(median ms, max ms, queries) of POST /api/platform/cleanup/trigger/ for every tenant."""
    times, counts = [], set()
    for _ in range(TRIGGER_REPEAT):
        registry_clear()
        queries, seconds, response = queries_of(
            lambda: api.post("/api/platform/cleanup/trigger/", {"dry_run": True})
        )
        assert response.status_code == 202, response.content[:300]
        assert len(response.json()["runs"]) == level
        times.append(seconds)
        counts.add(queries)
        broker_purge()
    registry_clear()
    return ms(common.median(times)), ms(max(times)), max(counts)


def latencies(api: Api, paths: list[str], **extra: Any) -> tuple[float, float]:
    api.get(paths[0], **extra)  # warm
    times = []
    for i in range(REQUESTS):
        start = time.perf_counter()
        api.get(paths[i % len(paths)], **extra)
        times.append(time.perf_counter() - start)
    return ms(percentile(times, 0.5)), ms(percentile(times, 0.99))


def tenants_list_paths() -> list[str]:
    from urllib.parse import urlencode

    paths = []
    for i, search in enumerate(SEARCHES):
        query = {"search": search}
        if ORDERINGS[i % len(ORDERINGS)]:
            query["ordering"] = ORDERINGS[i % len(ORDERINGS)]
        paths.append(f"/api/platform/tenants/?{urlencode(query)}")
    return paths


def migrate_noop_s(stock: bool) -> float:
    """Seconds of a `migrate` with nothing to do, in a fresh process: the project's command,
    or (stock) django-tenants' migrate_schemas as shipped, which visits every schema."""
    code = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand\n"
        "call_command(MigrateSchemasCommand(), interactive=False, verbosity=0)\n"
        if stock
        else "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', interactive=False, verbosity=0)\n"
    )
    start = time.perf_counter()
    subprocess.run(
        [common.PYTHON, "-c", code],
        cwd=common.ROOT,
        env=common.bench_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return round(time.perf_counter() - start, 1)


def levels_for(tenants: int) -> list[int]:
    if tenants == DEFAULT_TENANTS:
        return list(LEVELS)
    steps = {10**k for k in range(1, 8) if 10**k < tenants} | {tenants}
    if tenants > 2 * DEFAULT_TENANTS:
        steps |= {DEFAULT_TENANTS, tenants // 2}
    return sorted(steps)


def backend_memory_kb() -> dict[str, int]:
    """Memory of the PostgreSQL backend serving this process (the one that just ran the
    tick): its memory contexts (pg_backend_memory_contexts, PostgreSQL 14+: the catalog
    caches live there), and the kernel's resident figures when the server runs on this
    machine (RssAnon: the backend's private memory, without the shared buffers it mapped)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid(), (SELECT sum(total_bytes) FROM pg_backend_memory_contexts),"
            " (SELECT total_bytes FROM pg_backend_memory_contexts"
            "  WHERE name = 'CacheMemoryContext')"
        )
        pid, contexts, cache = cursor.fetchone()
    figures = {"pg_contexts_kb": int(contexts) // 1024, "pg_cache_kb": int(cache) // 1024}
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # the server runs elsewhere
        return figures
    for line in status.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon"):
            figures[f"pg_{name.lower()}_kb"] = int(value.split()[0])
    return figures


def database_figures(memory: bool = True) -> dict[str, Any]:
    """The catalog's relations (pg_class rows: every tenant's tables, indexes, sequences,
    TOAST) and the database's size (and this process's backend's memory)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), pg_database_size(current_database()) FROM pg_class")
        relations, size = cursor.fetchone()
    return {
        "pg_class_rows": relations,
        "database_mb": round(size / 2**20),
        **(backend_memory_kb() if memory else {}),
    }


def measure(level: int, stock: bool) -> dict[str, Any]:
    from django.test import override_settings

    api = Api()
    figures: dict[str, Any] = {}
    with common.step(f"{level}: tenant creation"):
        figures["create_s"] = tenant_create_s(level)
    with common.step(f"{level}: fan-out tick"):
        figures["fanout_queries"], figures["fanout_ms"] = fan_out_tick(level)
        figures.update(backend_memory_kb())  # the backend that just ran the tick
    with common.step(f"{level}: reaper tick"):
        figures["reaper_queries"], figures["reaper_idle_queries"], figures["reaper_ms"] = (
            reaper_tick(level)
        )
    with common.step(f"{level}: trigger-all"):
        figures["trigger_all_ms"], figures["trigger_all_max_ms"], figures["trigger_all_queries"] = (
            trigger_all(api, level)
        )
    with common.step(f"{level}: tenants list"):
        figures["list_p50_ms"], figures["list_p99_ms"] = latencies(api, tenants_list_paths())
    with common.step(f"{level}: summary"):
        figures["summary_p50_ms"], figures["summary_p99_ms"] = latencies(
            api, ["/api/platform/summary/"]
        )
    with common.step(f"{level}: metrics"), override_settings(METRICS_TOKEN=METRICS_TOKEN):
        client = api.client
        start = time.perf_counter()
        for _ in range(20):
            response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
            assert response.status_code == 200, response.status_code
        figures["metrics_ms"] = ms((time.perf_counter() - start) / 20)
    with common.step(f"{level}: catalog and size"):
        figures.update(database_figures(memory=False))
    with common.step(f"{level}: migrate no-op"):
        figures["migrate_noop_s"] = migrate_noop_s(stock=False)
        if stock:
            figures["migrate_noop_stock_s"] = migrate_noop_s(stock=True)
    common.log(f"{level} tenants: {figures}")
    return figures


# --- Results ----------------------------------------------------------------------------------


def targets(top: int) -> dict[str, str]:
    """The figures docs/benchmarks.md#targets names, at the fleet size measured."""
    return {
        f"tenant_create_growth_{top}": "≤ 1.5 (at 100 tenants: 1)",
        f"fanout_tick_ms_{top}": "reported (queries = at 10)",
        f"trigger_all_ms_{top}": "< 1000",
        f"tenants_list_p99_ms_{top}": "< 100",
        f"summary_p99_ms_{top}": "< 100",
        f"migrate_noop_s_{top}": "< 60",
        # django-tenants' own no-op migrate_schemas over 2,000 schemas takes ~20 minutes
        # here: measured only when asked (`--stock-levels 100 250 2000`).
        f"migrate_noop_stock_s_{top}": "reported",
        f"pg_class_rows_{top}": "reported",
        f"database_mb_{top}": "reported",
        f"pg_rssanon_kb_{top}": "reported (the tick's backend)",
    }


COLUMNS = [
    ("create_s", "tenant_create s"),
    ("fanout_ms", "fan-out tick ms"),
    ("fanout_queries", "fan-out queries"),
    ("reaper_queries", "reaper queries (idle)"),
    ("trigger_all_ms", "trigger-all ms"),
    ("trigger_all_queries", "trigger-all queries"),
    ("list_p99_ms", "list p99 ms"),
    ("summary_p99_ms", "summary p99 ms"),
    ("metrics_ms", "/metrics ms"),
    ("migrate_noop_s", "migrate no-op s"),
    ("migrate_noop_stock_s", "stock no-op s"),
    ("pg_class_rows", "pg_class rows"),
    ("database_mb", "database MB"),
    ("pg_rssanon_kb", "tick backend RssAnon kB"),
    ("pg_contexts_kb", "tick backend contexts kB"),
]


def growth_table(growth: dict[int, dict[str, Any]]) -> str:
    lines = [
        "| tenants | " + " | ".join(title for _, title in COLUMNS) + " |",
        "| ---: | " + " | ".join("---:" for _ in COLUMNS) + " |",
    ]
    for level, row in sorted(growth.items()):
        cells = []
        for key, _ in COLUMNS:
            value = row.get(key, "—")
            if key == "reaper_queries" and "reaper_idle_queries" in row:
                value = f"{value} ({row['reaper_idle_queries']})"
            cells.append(str(value))
        lines.append(f"| {level:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def keys(growth: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The flat keys of docs/benchmarks.md#targets, at 2,000 tenants and at the largest size
    measured (and every size's figures under `scale_<figure>_<size>`)."""
    out: dict[str, Any] = {}
    for level, row in growth.items():
        for name, value in row.items():
            out[f"scale_{name}_{level}"] = value
    ref = 100 if 100 in growth else min(growth)
    for top in {2000, max(growth)} & set(growth):
        row = growth[top]
        if top != ref:  # (a --reuse run measures one size: no growth to report)
            out[f"tenant_create_growth_{top}"] = round(row["create_s"] / growth[ref]["create_s"], 2)
        out.update(
            {
                f"fanout_tick_ms_{top}": row["fanout_ms"],
                f"reaper_queries_{top}": row["reaper_queries"],
                f"trigger_all_ms_{top}": row["trigger_all_ms"],
                f"tenants_list_p99_ms_{top}": row["list_p99_ms"],
                f"summary_p99_ms_{top}": row["summary_p99_ms"],
                f"migrate_noop_s_{top}": row["migrate_noop_s"],
                f"pg_class_rows_{top}": row["pg_class_rows"],
                f"database_mb_{top}": row["database_mb"],
            }
        )
        for name in ("migrate_noop_stock_s", "pg_rssanon_kb"):
            if name in row:
                out[f"{name}_{top}"] = row[name]
    if "tenant_create_growth_2000" in out:  # the name docs/benchmarks.md has always used
        out["tenant_create_growth"] = out["tenant_create_growth_2000"]
    if 10 in growth:
        out["scale_fanout_queries_10"] = growth[10]["fanout_queries"]
        out["reaper_queries_10"] = growth[10]["reaper_queries"]
    return out


def fleet_size() -> int:
    from tenants.models import Tenant

    return Tenant.objects.filter(schema_name__startswith=PREFIX).count()


def main(
    levels: list[int], stock_levels: list[int], processes: int, reuse: bool = False
) -> dict[str, Any]:
    """Grow a fresh database through `levels`, measuring at each; with `reuse`, migrate the
    database a previous run left and measure once more at the size it has (after a fix)."""
    started = time.monotonic()
    if reuse:
        with common.step("the previous run's database, migrated"):
            common.database_create()
    else:
        with common.step("fresh database, migrated"):
            database_fresh()
    common.django_setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    common.public_tenant_ensure()
    if not get_user_model().objects.filter(username=OPERATOR).exists():
        get_user_model().objects.create_superuser(OPERATOR, "ops@scale.test", PASSWORD)
    admin_password_hash = make_password("bench-admin-password-1")
    growth: dict[int, dict[str, Any]] = {}
    made = fleet_size() if reuse else 0
    if reuse:
        levels = [made]
    for level in levels:
        if level == made:  # --reuse: the fleet is there already
            growth[level] = measure(level, stock=level in stock_levels)
            continue
        with common.step(f"growing to {level} tenants ({processes} processes)"):
            start = time.perf_counter()
            fleet_grow(made, level, admin_password_hash, processes)
            grow_s = time.perf_counter() - start
        common.log(f"{level - made} schemas in {grow_s:.1f} s ({(level - made) / grow_s:.0f}/s)")
        growth[level] = measure(level, stock=level in stock_levels)
        growth[level]["bulk_create_ms_per_tenant"] = ms(grow_s / (level - made))
        made = level
    figures = keys(growth)
    figures["scale_duration_s"] = round(time.monotonic() - started)
    figures["scale_date"] = common.now_iso()
    figures["scale_machine"] = common.machine()
    figures["scale_keys"] = sorted([*figures, "scale_keys"])  # what a full `make bench` keeps
    results = common.results_merge(figures)
    table = growth_table(growth)
    lines = [
        f"Many tenants (`make bench-scale`, {figures['scale_date']}; {figures['scale_machine']}; "
        f"{figures['scale_duration_s']} s)",
        "",
        "| figure | value | target |",
        "| --- | --- | --- |",
        *(f"| `{k}` | {results.get(k, '—')} | {t} |" for k, t in targets(max(growth)).items()),
        "",
        "Growth (reaper: a tick with one lost run to end; in brackets, an idle tick):",
        "",
        table,
        "",
    ]
    top = max(growth)
    name = "scale.md" if top == DEFAULT_TENANTS and not reuse else f"scale-{top}.md"
    if reuse:
        name = f"scale-{top}-remeasured.md"
    (common.RESULTS / name).write_text("\n".join(lines))
    print("\n".join(lines))
    print(json.dumps(figures, indent=2, sort_keys=True))
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--tenants",
        type=int,
        default=DEFAULT_TENANTS,
        help="the fleet size; measured at the steps on the way (`levels_for`)",
    )
    parser.add_argument("--levels", nargs="*", type=int, help="the exact sizes to measure at")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database the last run left, at its size, after migrating it",
    )
    parser.add_argument("--stock-levels", nargs="*", type=int, default=list(STOCK_LEVELS))
    parser.add_argument("--processes", type=int, default=max(2, os.cpu_count() or 2))
    args = parser.parse_args()
    levels = sorted(args.levels) if args.levels else levels_for(args.tenants)
    main(levels, args.stock_levels, args.processes, reuse=args.reuse)
    sys.exit(0)
