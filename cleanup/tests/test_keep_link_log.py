"""Keep-link tokens never reach the logs. The real gunicorn, started with the project's
config (infra/gunicorn.conf.py) on the test database, serves keep links; everything it
prints — its access log, its error log and Django's own log lines — is searched for the
tokens, and must still show each request."""

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from cleanup.services.keep import keep_token_make
from cleanup.tests.factories import CleanupNoticeFactory, CleanupReportFactory
from core.testing.broker import free_port
from tenants.models import Tenant

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
START_TIMEOUT_S = 60


def database_url() -> str:
    """The test database, as the DATABASE_URL a fresh process reads."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def request(
    port: int, method: str, path: str, host: str, headers: dict[str, str] | None = None
) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@contextlib.contextmanager
def gunicorn(log: Path, debug: str) -> Iterator[int]:
    """gunicorn as the Procfile and the image start it, on a free port, its output (stdout
    and stderr) in `log`. The environment is the tests' (their SECRET_KEY signs the tokens)
    with the real settings module and the test database."""
    port = free_port()
    env = {
        **os.environ,
        # gunicorn's control socket, beside the log rather than in $HOME: shared by every
        # gunicorn of this user otherwise.
        "XDG_RUNTIME_DIR": str(log.parent),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": debug,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "INFO",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "config.wsgi", "-c", "infra/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                assert process.poll() is None, log.read_text(errors="replace")[-3000:]
                with contextlib.suppress(OSError, http.client.HTTPException):
                    if request(port, "GET", "/healthz", "localhost") == 200:
                        break
                assert time.monotonic() < deadline, "gunicorn did not answer /healthz"
                time.sleep(0.1)
            yield port
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)


@pytest.mark.parametrize("debug", ["0", "1"])
def test_the_access_log_and_djangos_log_show_each_keep_request_but_never_its_token(
    make_live_tenant: Callable[..., Tenant], tmp_path: Path, debug: str
) -> None:
    tenant = make_live_tenant()
    host = f"{tenant.schema_name.replace('_', '-')}.localhost"
    with schema_context(tenant.schema_name):
        user = User.objects.create_user(
            username="ann", email="ann@live.test", last_login=timezone.now() - timedelta(days=80)
        )
        report = CleanupReportFactory.create()
        notice = CleanupNoticeFactory.create(
            user=user,
            report=report,
            due_at=timezone.now() + timedelta(days=14),
            sent_at=timezone.now(),
        )
    token = keep_token_make(
        tenant_pk=tenant.pk,
        user_id=user.pk,
        notice_id=notice.pk,
        expires_at=timezone.now() + timedelta(days=21),
    )
    payload, signed_at, signature = token.split(":")
    tampered = f"{payload}:{signed_at}:{signature[:-3]}xyz"
    log = tmp_path / "gunicorn.log"

    with gunicorn(log, debug) as port:
        statuses = [
            request(port, "HEAD", f"/keep/{token}/", host),
            request(port, "GET", f"/keep/{token}/", host),
            # A bad token: Django logs "Bad Request: <path>" as well.
            request(port, "GET", f"/keep/{tampered}/", host),
            # The button's POST, which keeps the account.
            request(port, "POST", f"/keep/{token}/", host),
            # Percent-encoded colons, and a page whose Referer is the link.
            request(port, "GET", f"/keep/{token.replace(':', '%3A')}/", host),
            request(port, "GET", "/", host, {"Referer": f"http://{host}/keep/{token}/"}),
            # A link whose trailing slash a mail client lost.
            request(port, "GET", f"/keep/{token}", host),
        ]
    text = log.read_text(errors="replace")

    assert statuses == [200, 200, 400, 200, 200, 200, 200]
    for part in (token, tampered, payload, signature, signature[:-3]):
        assert part not in text
    # Each request is still logged, its path with the token redacted.
    for line in (
        '"HEAD /keep/[redacted]/ HTTP/1.1" 200',
        '"GET /keep/[redacted]/ HTTP/1.1" 200',
        '"GET /keep/[redacted]/ HTTP/1.1" 400',
        '"POST /keep/[redacted]/ HTTP/1.1" 200',
        '"GET / HTTP/1.1" 200 ',
        '"GET /keep/[redacted] HTTP/1.1" 200',
    ):
        assert line in text, text
    assert text.count('"GET /keep/[redacted]/ HTTP/1.1" 200') == 2
    assert f'"http://{host}/keep/[redacted]/"' in text
    assert "Bad Request: /keep/[redacted]/" in text
    # The link did keep the account.
    with schema_context(tenant.schema_name):
        user.refresh_from_db()
    assert user.last_seen is not None
