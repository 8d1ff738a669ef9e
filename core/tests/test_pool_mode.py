"""DATABASE_POOL_MODE: PgBouncer's session pooling is accepted, transaction pooling refused
(django-tenants' `SET search_path` would leak between clients)."""

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start_with(pool_mode: str | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "ENV_FILE": "", "DEBUG": "1"}
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    if pool_mode is not None:
        env["DATABASE_POOL_MODE"] = pool_mode
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("pool_mode", [None, "session"])
def test_session_pooling_or_none_starts(pool_mode: str | None) -> None:
    result = start_with(pool_mode)

    assert result.returncode == 0, result.stderr


def test_transaction_pooling_is_refused_at_start_up_saying_why() -> None:
    result = start_with("transaction")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "search_path" in result.stderr
    assert "pool_mode = session" in result.stderr


@pytest.mark.parametrize("pool_mode", ["statement", "Session ", "pgbouncer"])
def test_an_unknown_pool_mode_is_refused(pool_mode: str) -> None:
    result = start_with(pool_mode)

    assert result.returncode != 0
    assert "DATABASE_POOL_MODE must be session" in result.stderr
