"""What every benchmark shares: its own database and Redis, Django set-up, results.

Benchmarks never touch the dev database (`cleanup_console`) or Redis db 0 that a `make run`
may be using: they run against BENCH_DATABASE_URL (default database `cleanup_bench`) and
BENCH_REDIS_URL (default Redis db 14). Figures are ratios of runs made side by side in one
process, medians over several repetitions; absolute times are reported only beside them.
"""

import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LATEST = RESULTS / "latest.json"
HISTORY = RESULTS / "HISTORY.md"
PYTHON = sys.executable

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cleanup_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
# One key for a whole benchmark run: the processes it starts inherit it (BENCH_SECRET_KEY),
# so its web servers and workers agree; none is written in the code.
SECRET_KEY = os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50)


def bench_env(**extra: str) -> dict[str, str]:
    """The environment of every benchmark process: production settings (DEBUG off, so
    Django keeps no query log), our own database and Redis, quiet logs."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        BENCH_SECRET_KEY=SECRET_KEY,
        # Plain HTTP on loopback: no redirect to HTTPS.
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        CACHE_URL=REDIS_URL,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def django_setup() -> None:
    """Configure this process like `bench_env` and start Django."""
    for key, value in bench_env().items():
        if key != "PYTHONPATH":
            os.environ[key] = value
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def database_create() -> None:
    """Create the benchmark database if missing and migrate it (also the tenant template)."""
    import psycopg2
    from psycopg2 import sql

    name = DATABASE_URL.rsplit("/", 1)[1]
    conn = psycopg2.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=bench_env(),
        check=True,
    )


def public_tenant_ensure() -> None:
    from django.conf import settings

    from tenants.models import Domain, Tenant

    public, _ = Tenant.objects.get_or_create(schema_name="public", defaults={"name": "Platform"})
    Domain.objects.get_or_create(domain=settings.BASE_DOMAIN, defaults={"tenant": public})


def tenants_drop(prefix: str) -> None:
    """Drop every tenant (and schema) whose schema name starts with `prefix`."""
    from django.db import connection

    from tenants.models import Tenant

    connection.set_schema_to_public()  # type: ignore[attr-defined]
    Tenant.objects.filter(schema_name__startswith=prefix).delete()  # keeps the schemas
    with connection.cursor() as cursor:
        pattern = prefix.replace("_", r"\_") + "%"
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [pattern])
        for (schema,) in cursor.fetchall():
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values)


@contextmanager
def step(name: str) -> Iterator[None]:
    start = time.perf_counter()
    log(f"{name} ...")
    yield
    log(f"{name} done in {time.perf_counter() - start:.1f} s")


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def results_reset() -> None:
    """Start bench/results/latest.json afresh for a full run, keeping the figures of `make
    bench-scale` (named in its `scale_keys`): a command of its own, run far less often."""
    current: dict[str, Any] = json.loads(LATEST.read_text()) if LATEST.exists() else {}
    kept = {key: current[key] for key in current.get("scale_keys", []) if key in current}
    LATEST.write_text(json.dumps(kept, indent=2, sort_keys=True) + "\n")


def results_merge(figures: dict[str, Any]) -> dict[str, Any]:
    """Merge `figures` into bench/results/latest.json (one flat object) and return it all."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    current: dict[str, Any] = json.loads(LATEST.read_text()) if LATEST.exists() else {}
    current.update(figures)
    LATEST.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    return current


def machine() -> str:
    cpus = os.cpu_count()
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        pg = subprocess.run(
            ["psql", DATABASE_URL, "-Atc", "SHOW server_version"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pg = "?"
    return (
        f"{cpus} cores, {mem_gb:.0f} GB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, PostgreSQL {pg}"
    )


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
