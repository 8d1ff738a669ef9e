"""Production refuses to start with a missing, weak or placeholder secret."""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from core.secret_key import require_strong_secret

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_KEY = "change-me-to-a-long-random-string-of-at-least-32-chars"

WEAK = {
    "missing": "",
    "short": "k7#Qz!9vLp2@xR4m",
    "low-entropy": "abcde" * 12,
    "django-insecure prefix": "django-insecure-" + secrets.token_urlsafe(40),
    "the old .env.example placeholder": EXAMPLE_KEY,
    "change-me": "please-changeme-" + secrets.token_urlsafe(40),
    "example": "example-" + secrets.token_urlsafe(40),
    "insecure": "insecure-dev-key-" + secrets.token_urlsafe(40),
    "secret-key": "my-secret-key-" + secrets.token_urlsafe(40),
}


@pytest.mark.parametrize("value", WEAK.values(), ids=WEAK.keys())
def test_a_weak_secret_is_refused_with_the_variable_named(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        require_strong_secret("SECRET_KEY", value)


@pytest.mark.parametrize(
    "value",
    [get_random_secret_key(), secrets.token_urlsafe(50), secrets.token_hex(32)],
    ids=["django", "token_urlsafe", "token_hex"],
)
def test_a_generated_secret_is_accepted(value: str) -> None:
    require_strong_secret("SECRET_KEY", value)


def import_settings(code: str = "import config.settings", **env: str) -> Any:
    """Run `code` (importing the settings) in a fresh process that reads no `.env` file."""
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "JWT_SIGNING_KEY")}
    base.update(ENV_FILE="", PYTHONPATH=str(ROOT))
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("value", WEAK.values(), ids=WEAK.keys())
def test_production_settings_refuse_a_weak_secret_key(value: str) -> None:
    result = import_settings(DEBUG="0", SECRET_KEY=value)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY" in result.stderr


def test_production_settings_refuse_no_secret_key_at_all() -> None:
    result = import_settings(DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY" in result.stderr


def test_production_settings_refuse_a_weak_jwt_signing_key() -> None:
    result = import_settings(
        DEBUG="0", SECRET_KEY=get_random_secret_key(), JWT_SIGNING_KEY=EXAMPLE_KEY
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: JWT_SIGNING_KEY" in result.stderr


def test_production_settings_start_with_generated_keys() -> None:
    result = import_settings(
        DEBUG="0", SECRET_KEY=get_random_secret_key(), JWT_SIGNING_KEY=secrets.token_urlsafe(50)
    )

    assert result.returncode == 0, result.stderr


def test_development_settings_start_without_a_secret_key() -> None:
    result = import_settings(DEBUG="1")

    assert result.returncode == 0, result.stderr


def test_the_example_env_file_holds_no_secret() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()

    keys = [
        line for line in lines if line.lstrip("# ").startswith(("SECRET_KEY=", "JWT_SIGNING_KEY="))
    ]

    assert keys == ["SECRET_KEY=", "# JWT_SIGNING_KEY="]


def test_test_settings_read_no_env_file(tmp_path: Path) -> None:
    dot_env = tmp_path / ".env"
    dot_env.write_text("DEBUG=1\nCLEANUP_BATCH_SIZE=7\n")
    code = "from config import settings_test as s; print(s.DEBUG, s.CLEANUP_BATCH_SIZE)"
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "CLEANUP_BATCH_SIZE")}
    env.update(ENV_FILE=str(dot_env), PYTHONPATH=str(ROOT))

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "1000"]


def test_a_generated_key_that_starts_with_a_dollar_is_taken_literally() -> None:
    # Django's get_random_secret_key() draws from a set with "$": about one key in 50
    # starts with it, and django-environ reads "$NAME" as "the value of NAME".
    key = "$" + secrets.token_urlsafe(50)
    result = import_settings(
        "import config.settings as s; print(s.SECRET_KEY)",
        DEBUG="0",
        SECRET_KEY=key,
        JWT_SIGNING_KEY="$" + secrets.token_urlsafe(50),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == key
