"""A real stack for fault drills: its own database, its own Redis, gunicorn and Celery.

Everything runs as separate processes, as in production, configured only through the
environment. The database (`cleanup_faults_<pid>`) and the Redis server (a free port) belong
to the drills alone, so killing, stopping or terminating them never touches the dev
database, the test database or the shared Redis.
"""

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2

from core.testing.broker import redis_server_command

ROOT = Path(__file__).resolve().parent.parent
# The PostgreSQL server the rest of the suite uses (DATABASE_URL without its database name).
PG_SERVER = os.environ.get(
    "FAULTS_PG_URL",
    os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x").rsplit("/", 1)[0],
)
BIN = Path(sys.executable).parent
PASSWORD = "faults-admin-password-1"
# Generous: CI machines are small and shared. Polls return as soon as the condition holds.
WAIT_S = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    condition: Callable[[], Any], what: str, timeout: float = WAIT_S, every: float = 0.05
) -> Any:
    """Poll `condition` until it returns something truthy; return that. Fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, psycopg2.OperationalError, http.client.HTTPException):
            result = condition()
            if result:
                return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Response:
    def __init__(self, status: int, body: bytes):
        self.status = status
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<{self.status} {self.body[:300]!r}>"


def http_request(
    port: int,
    method: str,
    path: str,
    host: str | None,
    headers: dict[str, str] | None = None,
    body: bytes | str | dict[str, Any] | None = None,
    timeout: float = 30,
) -> Response:
    """One request to 127.0.0.1:port with exactly the Host header given (None: no Host)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            conn.putheader("Host", host)
        data: bytes | None
        if isinstance(body, dict):
            data = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        else:
            data = body.encode() if isinstance(body, str) else body
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(data or b"")))
        conn.endheaders(data)
        response = conn.getresponse()
        return Response(response.status, response.read())
    finally:
        conn.close()


class Stack:
    """The drills' database, Redis, gunicorn and Celery workers, and ways to poke them."""

    def __init__(self, db_name: str | None = None) -> None:
        self.db_name = db_name or f"cleanup_faults_{os.getpid()}"
        self.redis_port = free_port()
        self.web_port = free_port()
        self.redis: subprocess.Popen[bytes] | None = None
        self.web: subprocess.Popen[bytes] | None = None
        # The drill's own key, shared by its processes; none written in the code.
        self.secret_key = secrets.token_urlsafe(50)
        logs = os.environ.get("FAULTS_LOG_DIR") or tempfile.gettempdir()
        self.logs = Path(logs) / f"faults-{os.getpid()}"
        self.logs.mkdir(parents=True, exist_ok=True)

    # --- environment -----------------------------------------------------------------------

    @property
    def database_url(self) -> str:
        return f"{PG_SERVER}/{self.db_name}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "PYTEST_", "CLEANUP_", "GUNICORN_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DEBUG="0",
            SECRET_KEY=self.secret_key,
            # Plain HTTP on loopback: no redirect to HTTPS.
            SECURE_SSL_REDIRECT="0",
            DATABASE_URL=self.database_url,
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
            JWT_ACCESS_MINUTES="60",
            # Small batches, so a large run has many transactions to be killed between.
            CLEANUP_BATCH_SIZE="100",
            CLEANUP_FANOUT_JITTER_S="0",
        )
        env.update(extra)
        return env

    def python(self, code: str, timeout: float = 300, **env: str) -> str:
        """Run `code` in a fresh Django process on the drills' stack; return its stdout."""
        script = f"import django\ndjango.setup()\n{code}"
        result = subprocess.run(  # noqa: S603 -- our own code
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    # --- PostgreSQL ------------------------------------------------------------------------

    def sql(self, query: str, params: Any = None, schema: str = "public") -> list[tuple[Any, ...]]:
        conn = psycopg2.connect(self.database_url, connect_timeout=5)
        try:
            with conn, conn.cursor() as cursor:
                cursor.execute(f'SET search_path TO "{schema}", public')
                cursor.execute(query, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            conn.close()

    def database_create(self) -> None:
        conn = psycopg2.connect(f"{PG_SERVER}/postgres", connect_timeout=5)
        conn.autocommit = True
        with conn.cursor() as cursor:
            # Databases of earlier drill sessions that died before their teardown.
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", [r"cleanup\_faults\_%"]
            )
            for (name,) in cursor.fetchall():
                pid = name.rsplit("_", 1)[1]
                if pid.isdigit() and (int(pid) == os.getpid() or not pid_alive(int(pid))):
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{self.db_name}"')
        conn.close()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env(),
            check=True,
            timeout=600,
        )

    def database_drop(self) -> None:
        conn = psycopg2.connect(f"{PG_SERVER}/postgres", connect_timeout=5)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        conn.close()

    def connections_terminate(self) -> int:
        """pg_terminate_backend every connection to the drills' database (and no other)."""
        conn = psycopg2.connect(f"{PG_SERVER}/postgres", connect_timeout=5)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.db_name],
            )
            (count,) = cursor.fetchone()  # type: ignore[misc]
        conn.close()
        return int(count)

    # --- Redis -----------------------------------------------------------------------------

    def redis_start(self) -> None:
        self.redis = subprocess.Popen(  # noqa: S603 -- fixed arguments
            redis_server_command(self.redis_port),
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.redis_port), "redis-server to listen")

    def redis_stop(self) -> None:
        if self.redis:
            self.redis.terminate()
            self.redis.wait(30)
            self.redis = None
        wait_for(lambda: not port_open(self.redis_port), "redis-server to stop")

    # --- processes -------------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str], **env: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        return subprocess.Popen(  # noqa: S603 -- fixed arguments
            args,
            cwd=ROOT,
            env=self.env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as one
        )

    def web_start(self) -> None:
        self.web = self._spawn(
            "gunicorn",
            [str(BIN / "gunicorn"), "config.wsgi", "-c", "infra/gunicorn.conf.py"],
            GUNICORN_BIND=f"127.0.0.1:{self.web_port}",
            GUNICORN_WORKERS="2",
            GUNICORN_THREADS="4",
        )
        wait_for(
            lambda: self.get("/healthz", "localhost").status == 200, "gunicorn to answer /healthz"
        )

    def worker_start(
        self,
        name: str = "worker",
        queues: str = "cleanup,default,notices",
        concurrency: int | None = None,
        **env: str,
    ) -> subprocess.Popen[bytes]:
        """A real `celery -A config worker -Q <queues>`: the solo pool (the task runs in the
        main process), or with `concurrency`, the prefork pool production runs; with `env` on
        top of the stack's environment."""
        pool = (
            ("--pool=prefork", f"--concurrency={concurrency}") if concurrency else ("--pool=solo",)
        )
        worker = self._spawn(
            name,
            [
                *(str(BIN / "celery"), "-A", "config", "worker", "-Q", queues, "-n", f"{name}@%h"),
                *pool,
                "--loglevel=INFO",
            ],
            **env,
        )
        return worker

    def beat_start(self, **env: str) -> subprocess.Popen[bytes]:
        """A real `celery -A config beat` (django-celery-beat's schedule in the database)."""
        return self._spawn(
            "beat",
            [
                *(str(BIN / "celery"), "-A", "config", "beat", "--loglevel=INFO"),
                f"--pidfile={self.logs / 'beat.pid'}",
            ],
            **env,
        )

    @staticmethod
    def stop(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)

    # --- the application -------------------------------------------------------------------

    def tenant_create(self, schema: str, users: int = 0, **policy: Any) -> str:
        """A tenant with its admin, `users` ordinary users (even ones inactive) and `policy`.
        Returns its host name."""
        self.python(
            "from fleet.services.tenants import tenant_create\n"
            f"tenant_create(schema_name={schema!r}, name={schema!r}, admin_username='admin', "
            f"admin_email='admin@faults.test', admin_password={PASSWORD!r})\n"
        )
        if policy:
            sets = ", ".join(f"{name} = %({name})s" for name in policy)
            self.sql(
                f"UPDATE tenants_cleanuppolicy SET {sets} WHERE tenant_id = "
                "(SELECT id FROM tenants_tenant WHERE schema_name = %(schema)s)",
                {**policy, "schema": schema},
            )
        if users:
            self.sql(
                """
                INSERT INTO accounts_user (password, last_login, is_superuser, username,
                    first_name, last_name, email, is_staff, is_active, date_joined)
                SELECT '!', CASE WHEN mod(i, 2) = 0 THEN now() - interval '200 days'
                                 ELSE now() - interval '1 day' END,
                       false, 'user' || i, '', '', 'user' || i || '@faults.test', false, true,
                       now() - interval '400 days'
                FROM generate_series(1, %(n)s) AS i;
                INSERT INTO auth_group (name) VALUES ('team');
                INSERT INTO accounts_user_groups (user_id, group_id)
                SELECT u.id, g.id FROM accounts_user u, auth_group g WHERE NOT u.is_staff;
                """,
                {"n": users},
                schema=schema,
            )
        return f"{schema.replace('_', '-')}.localhost"

    def token(self, host: str) -> str:
        response = self.post("/api/auth/token/", host, {"username": "admin", "password": PASSWORD})
        assert response.status == 200, response
        return str(response.json()["access"])

    def get(self, path: str, host: str | None, token: str | None = None) -> Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return http_request(self.web_port, "GET", path, host, headers)

    def post(
        self,
        path: str,
        host: str | None,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        all_headers = {"Authorization": f"Bearer {token}"} if token else {}
        all_headers.update(headers or {})
        return http_request(self.web_port, "POST", path, host, all_headers, body)

    def reports(self, schema: str) -> list[dict[str, Any]]:
        rows = self.sql(
            "SELECT id, status, users_removed, users_matched, error FROM cleanup_cleanupreport "
            "ORDER BY id",
            schema=schema,
        )
        keys = ("id", "status", "users_removed", "users_matched", "error")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def access_log_statuses(self) -> list[int]:
        """The status of every request gunicorn has logged so far."""
        text = (self.logs / "gunicorn.log").read_text(errors="replace")
        return [int(m) for m in re.findall(r'" (\d{3}) (?:\d+|-) "', text)]

    def teardown(self) -> None:
        self.stop(self.web)
        with contextlib.suppress(Exception):
            self.redis_stop()
        self.database_drop()


@contextlib.contextmanager
def running(stack: Stack, process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    try:
        yield process
    finally:
        stack.stop(process)


def purge_queue(stack: Stack) -> None:
    """Drop tasks earlier drills left queued, so a worker starts on an empty queue."""
    stack.python("from config.celery import app\napp.control.purge()\n")


def reap(stack: Stack, hours_ahead: int = 1) -> str:
    """Run the reaper as beat would, `hours_ahead` in the future: every heartbeat is stale."""
    return stack.python(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from fleet.services.reaper import cleanup_reap_stale\n"
        f"print(cleanup_reap_stale(now=timezone.now() + timedelta(hours={hours_ahead})))\n"
    )
