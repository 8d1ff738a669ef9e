"""Production refuses to start with a missing, weak or placeholder secret."""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from accounts.tests.factories import UserFactory
from core.secret_key import require_strong_secret
from core.testing import ROOT as ROOT_HOST
from core.testing import client
from tenants.models import Tenant

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
    unset = ("SECRET_KEY", "SECRET_KEY_FILE", "JWT_SIGNING_KEY")
    base = {k: v for k, v in os.environ.items() if k not in unset}
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


# The key the settings used to fall back to with DEBUG on: public, in the repository's history.
OLD_DEVELOPMENT_KEY = "development-only-key-never-used-with-debug-off"


def test_development_settings_refuse_to_start_without_a_secret_key_saying_how_to_get_one() -> None:
    result = import_settings(DEBUG="1")

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr
    assert "make .env" in result.stderr and "make run" in result.stderr
    assert OLD_DEVELOPMENT_KEY not in result.stdout + result.stderr


@pytest.mark.django_db
def test_an_operator_token_signed_with_the_old_development_key_is_refused() -> None:
    operator = UserFactory.create(
        schema="public", username="operator", is_superuser=True, is_staff=True
    )
    now = int(time.time())
    forged = jwt.encode(
        {
            "token_type": "access",
            "exp": now + 300,
            "iat": now,
            "jti": secrets.token_hex(16),
            "user_id": str(operator.pk),
            "tenant_id": Tenant.objects.get(schema_name="public").pk,
            "ver": operator.token_version,
            "auth_time": now,
            "iss": "cleanup-console",
            "aud": "cleanup-console",
        },
        OLD_DEVELOPMENT_KEY,
        algorithm="HS256",
    )

    response = client(ROOT_HOST, forged).get("/api/platform/summary/")

    assert response.status_code == 401


def test_no_key_is_written_in_the_settings() -> None:
    for source in (ROOT / "config").glob("*.py"):
        assert OLD_DEVELOPMENT_KEY not in source.read_text(), source


@pytest.mark.parametrize("debug", ["0", "1"])
def test_the_key_is_read_from_secret_key_file_when_secret_key_is_unset(
    tmp_path: Path, debug: str
) -> None:
    key = secrets.token_urlsafe(50)
    (tmp_path / "secret_key").write_text(key + "\n")
    code = "import config.settings as s; print(s.SECRET_KEY, s.SIMPLE_JWT['SIGNING_KEY'])"

    result = import_settings(code, DEBUG=debug, SECRET_KEY_FILE=str(tmp_path / "secret_key"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [key, key]


def test_secret_key_wins_over_secret_key_file(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text(secrets.token_urlsafe(50))
    key = secrets.token_urlsafe(50)

    result = import_settings(
        "import config.settings as s; print(s.SECRET_KEY)",
        DEBUG="0",
        SECRET_KEY=key,
        SECRET_KEY_FILE=str(tmp_path / "secret_key"),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == key


def test_an_unreadable_secret_key_file_stops_start_up_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "secret_key"

    result = import_settings(DEBUG="1", SECRET_KEY_FILE=str(missing))

    assert result.returncode != 0
    assert f"ImproperlyConfigured: SECRET_KEY is not set and SECRET_KEY_FILE={missing}" in (
        result.stderr
    )


def test_a_weak_key_in_secret_key_file_is_refused_in_production(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text(EXAMPLE_KEY)

    result = import_settings(DEBUG="0", SECRET_KEY_FILE=str(tmp_path / "secret_key"))

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is a placeholder" in result.stderr


def test_development_settings_start_with_a_key() -> None:
    result = import_settings(DEBUG="1", SECRET_KEY=secrets.token_urlsafe(50))

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
    assert result.stdout.split() == ["False", "2000"]


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
