"""PgBouncer (session pooling, a pool smaller than gunicorn's threads) in front of the drills'
database: two tenants with the same report ids under concurrent API load, and no response
ever holds the other tenant's rows.

Why it is safe: django-tenants sets the tenant with `SET search_path` on the connection. In
session pooling PgBouncer gives a client one server connection until the client
disconnects, so a request's `SET search_path` and its queries share one PostgreSQL session.
With CONN_MAX_AGE=0 every request disconnects at its end and the next client, maybe of the
other tenant, gets that server connection only after `server_reset_query` (DISCARD ALL) has
reset its search_path. Transaction pooling would hand each transaction to any server
connection, with the search_path its last client left: settings refuse it
(DATABASE_POOL_MODE).
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg2
import pytest

from faults.stack import (
    BIN,
    PG_SERVER,
    ROOT,
    Response,
    Stack,
    free_port,
    http_request,
    port_open,
    wait_for,
)

POOL_SIZE = 4
TENANTS = ("pool_a", "pool_b")
REPORTS = 6
REQUESTS = 240


def pgbouncer_config(directory: Path, port: int, database: str) -> Path:
    server = urlsplit(PG_SERVER)
    (directory / "userlist.txt").write_text(f'"{server.username}" ""\n')
    config = directory / "pgbouncer.ini"
    config.write_text(
        f"""
[databases]
{database} = host={server.hostname} port={server.port or 5432} dbname={database}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory / "userlist.txt"}
admin_users = {server.username}
pool_mode = session
server_reset_query = DISCARD ALL
default_pool_size = {POOL_SIZE}
max_client_conn = 200
"""
    )
    for path in (directory, *directory.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return config


@pytest.fixture(scope="module")
def pooled(stack: Stack) -> Iterator[dict[str, Any]]:
    """PgBouncer on a free port and a gunicorn whose DATABASE_URL goes through it."""
    pgbouncer = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    directory = Path(tempfile.mkdtemp(prefix="faults-pgbouncer-"))
    port, web_port = free_port(), free_port()
    config = pgbouncer_config(directory, port, stack.db_name)
    # PgBouncer refuses to run as root; -u drops to an ordinary user.
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    processes: list[subprocess.Popen[bytes]] = []
    try:
        log = (stack.logs / "pgbouncer.log").open("ab")
        processes.append(
            subprocess.Popen(  # noqa: S603 -- fixed arguments
                [pgbouncer, *user, str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        wait_for(lambda: port_open(port), "pgbouncer to listen")
        server = urlsplit(PG_SERVER)
        pooled_url = f"postgres://{server.username}@127.0.0.1:{port}/{stack.db_name}"
        web_log = (stack.logs / "gunicorn-pgbouncer.log").open("ab")
        processes.append(
            subprocess.Popen(  # noqa: S603 -- fixed arguments
                [str(BIN / "gunicorn"), "config.wsgi", "-c", "infra/gunicorn.conf.py"],
                cwd=ROOT,
                env=stack.env(
                    DATABASE_URL=pooled_url,
                    DATABASE_POOL_MODE="session",
                    CONN_MAX_AGE="0",
                    GUNICORN_BIND=f"127.0.0.1:{web_port}",
                    GUNICORN_WORKERS="3",
                    GUNICORN_THREADS="4",
                ),
                stdout=web_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        wait_for(
            lambda: http_request(web_port, "GET", "/readyz", "localhost").status == 200,
            "gunicorn behind pgbouncer to be ready",
        )
        yield {"web_port": web_port, "pgbouncer_port": port}
    finally:
        for process in reversed(processes):
            Stack.stop(process)
        shutil.rmtree(directory, ignore_errors=True)


def pgbouncer_servers(port: int) -> int:
    """Server connections PgBouncer holds open to PostgreSQL (its admin console)."""
    conn = psycopg2.connect(
        host="127.0.0.1", port=port, dbname="pgbouncer", user=urlsplit(PG_SERVER).username
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW SERVERS")
            return len(cursor.fetchall())
    finally:
        conn.close()


def test_tenants_behind_pgbouncer_never_see_each_others_rows(
    stack: Stack, pooled: dict[str, Any]
) -> None:
    hosts = {}
    for schema in TENANTS:
        hosts[schema] = stack.tenant_create(schema, users=0)
        # The same report ids in both schemas, told apart by who triggered them.
        stack.sql(
            "INSERT INTO cleanup_cleanupreport (status, trigger, triggered_by, dry_run, action, "
            "created_at, users_warned, users_deactivated, users_deleted, users_removed, progress, "
            "error, policy, task_id) "
            "SELECT 'succeeded', 'manual', %(schema)s || '-' || i, true, 'deactivate', now(), "
            "0, 0, 0, 0, 1.0, '', '{}', '' FROM generate_series(1, %(n)s) AS i",
            {"schema": schema, "n": REPORTS},
            schema=schema,
        )
    tokens = {schema: stack.token(hosts[schema]) for schema in TENANTS}
    web_port = pooled["web_port"]

    def call(i: int) -> tuple[str, str, Response]:
        schema = TENANTS[i % 2]
        path = "/api/reports/" if i % 3 else "/api/me/"
        headers = {"Authorization": f"Bearer {tokens[schema]}"}
        return schema, path, http_request(web_port, "GET", path, hosts[schema], headers)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(call, range(REQUESTS)))

    assert [response for _, _, response in results if response.status != 200] == []
    for schema, path, response in results:
        body = response.json()
        if path == "/api/me/":
            assert body["tenant"]["schema_name"] == schema, body
        else:
            rows = body["results"]
            assert sorted(row["id"] for row in rows) == list(range(1, REPORTS + 1)), body
            assert {row["triggered_by"].rsplit("-", 1)[0] for row in rows} == {schema}, body
    # The requests shared the pool's few server connections: each was reused across tenants.
    assert pgbouncer_servers(pooled["pgbouncer_port"]) <= POOL_SIZE
