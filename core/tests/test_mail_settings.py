"""Mail settings come from EMAIL_URL (django-environ), and bad values stop start-up."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management.utils import get_random_secret_key

from core.tests.test_deploy import ROOT, clean_env

SHOW = (
    "import json, config.settings as s; print(json.dumps({k: getattr(s, k) for k in ("
    "'EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER', 'EMAIL_HOST_PASSWORD', "
    "'EMAIL_USE_TLS', 'EMAIL_USE_SSL', 'DEFAULT_FROM_EMAIL', 'TENANT_URL')}))"
)
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"


def import_settings(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh process whose only app settings are `env` (no shell's, no
    `.env`'s), with a strong key."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_env(SECRET_KEY=get_random_secret_key(), **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def mail_settings(**env: str) -> dict[str, Any]:
    env.setdefault("DEBUG", "0")
    result = import_settings(SHOW, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp+tls://apikey:p%40ss%2Fword@smtp.example.com:587",
            {
                "EMAIL_BACKEND": SMTP,
                "EMAIL_HOST": "smtp.example.com",
                "EMAIL_PORT": 587,
                "EMAIL_HOST_USER": "apikey",
                "EMAIL_HOST_PASSWORD": "p@ss/word",
                "EMAIL_USE_TLS": True,
                "EMAIL_USE_SSL": False,
            },
        ),
        (
            "smtp+ssl://user:secret@smtp.example.com:465",
            {"EMAIL_PORT": 465, "EMAIL_USE_TLS": False, "EMAIL_USE_SSL": True},
        ),
        (
            "smtp://mailpit:1025",
            {
                "EMAIL_BACKEND": SMTP,
                "EMAIL_HOST": "mailpit",
                "EMAIL_PORT": 1025,
                "EMAIL_HOST_USER": "",
                "EMAIL_USE_TLS": False,
            },
        ),
        ("smtp://mail.internal", {"EMAIL_HOST": "mail.internal", "EMAIL_PORT": 25}),
        ("consolemail://", {"EMAIL_BACKEND": CONSOLE}),
    ],
)
def test_email_url_sets_the_mail_settings(url: str, expected: dict[str, Any]) -> None:
    found = mail_settings(EMAIL_URL=url)

    assert {key: found[key] for key in expected} == expected


def test_development_prints_mails_and_production_defaults_to_a_local_smtp_server() -> None:
    development, production = mail_settings(DEBUG="1"), mail_settings(DEBUG="0")

    assert development["EMAIL_BACKEND"] == CONSOLE
    assert development["TENANT_URL"] == "http://{domain}:8000/"
    assert (production["EMAIL_BACKEND"], production["EMAIL_HOST"]) == (SMTP, "localhost")
    assert production["TENANT_URL"] == "https://{domain}/"
    assert production["DEFAULT_FROM_EMAIL"] == "noreply@localhost"


@pytest.mark.parametrize(
    ("bind", "tenant_url"),
    [
        ("127.0.0.1:8123", "http://{domain}:8123/"),
        ("0.0.0.0:8000", "http://{domain}:8000/"),
        ("[::1]:9001", "http://{domain}:9001/"),
        ("tcp://localhost:8124", "http://{domain}:8124/"),
        ("0.0.0.0:80", "http://{domain}/"),
        ("localhost", "http://{domain}:8000/"),  # gunicorn's own default port
        ("unix:/run/cleanup/gunicorn.sock", "http://{domain}/"),  # a proxy in front
    ],
)
def test_in_development_links_follow_the_port_gunicorn_binds(bind: str, tenant_url: str) -> None:
    assert mail_settings(DEBUG="1", GUNICORN_BIND=bind)["TENANT_URL"] == tenant_url


def test_gunicorn_binds_the_address_the_links_name() -> None:
    result = subprocess.run(
        [GUNICORN, "--print-config", "-c", "infra/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=clean_env(
            DEBUG="1", GUNICORN_BIND="127.0.0.1:8123", SECRET_KEY=get_random_secret_key()
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert re.search(r"^bind += \['127\.0\.0\.1:8123'\]$", result.stdout, re.MULTILINE)


def test_production_links_and_a_set_tenant_url_ignore_the_bound_port() -> None:
    assert mail_settings(DEBUG="0", GUNICORN_BIND="127.0.0.1:8123")["TENANT_URL"] == (
        "https://{domain}/"
    )
    assert mail_settings(
        DEBUG="1", GUNICORN_BIND="127.0.0.1:8123", TENANT_URL="https://{domain}:8443/"
    )["TENANT_URL"] == ("https://{domain}:8443/")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("EMAIL_URL", "pop3://mail.example.com", "Invalid email schema pop3"),
        ("TENANT_URL", "https://example.com/", "TENANT_URL must be an http(s) URL"),
        ("TENANT_URL", "ftp://{domain}/", "TENANT_URL must be an http(s) URL"),
        ("GUNICORN_BIND", "0.0.0.0:http", "GUNICORN_BIND: 'http' is not a valid port number"),
    ],
)
def test_a_bad_mail_setting_stops_start_up_with_a_clear_message(
    variable: str, value: str, message: str
) -> None:
    result = import_settings("import config.settings", DEBUG="0", **{variable: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
