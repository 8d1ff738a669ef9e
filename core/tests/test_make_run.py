"""`make run`'s processes: the shell's variables win over `.env`, which fills in the rest.

honcho, left to itself, lays `.env` over the shell's environment, so `DEBUG=0 make run` ran in
development mode. These run `make serve` (what `make run` ends with) on a Procfile of one
process that prints what settings and gunicorn's config made of their environment.
"""

import re
import subprocess
from pathlib import Path

import pytest
from django.core.management.utils import get_random_secret_key

from core.tests.test_deploy import ROOT, clean_env

PROBE = (
    'probe: python -c "import django; django.setup(); from django.conf import settings as s; '
    "print('DEBUG', s.DEBUG); print('EMAIL', s.EMAIL_BACKEND.rsplit('.', 2)[-2], s.EMAIL_HOST); "
    "print('TENANT_URL', s.TENANT_URL)\" "
    "&& gunicorn --print-config -c infra/gunicorn.conf.py config.wsgi | grep '^bind '\n"
)


def serve(tmp_path: Path, dotenv: str, **shell: str) -> dict[str, str]:
    (tmp_path / ".env").write_text(dotenv)
    (tmp_path / "Procfile").write_text(PROBE)
    env = clean_env(DJANGO_SETTINGS_MODULE="config.settings", **shell)
    del env["ENV_FILE"]  # as in a developer's shell: the Makefile names the file
    result = subprocess.run(
        ["make", "-s", "serve", f"DOTENV={tmp_path / '.env'}", f"PROCFILE={tmp_path / 'Procfile'}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # honcho's lines: "<time> probe.1 | <what the process printed>"
    printed = re.findall(r"probe\.1 +\| (\w+) +=? *(.*)$", result.stdout, re.MULTILINE)
    return dict(printed)


@pytest.fixture
def dotenv() -> str:
    return (
        f"DEBUG=1\nSECRET_KEY={get_random_secret_key()}\nEMAIL_URL=consolemail://\n"
        "GUNICORN_BIND=127.0.0.1:8123\n"
    )


def test_variables_exported_in_the_shell_win_over_dotenv(tmp_path: Path, dotenv: str) -> None:
    seen = serve(tmp_path, dotenv, DEBUG="0", EMAIL_URL="smtp://mail.shell.test:2525")

    assert seen["DEBUG"] == "False"
    assert seen["EMAIL"] == "smtp mail.shell.test"
    assert seen["TENANT_URL"] == "https://{domain}/"
    # What the shell leaves unset still comes from .env, in gunicorn's config too.
    assert seen["bind"] == "['127.0.0.1:8123']"


def test_dotenv_fills_in_what_the_shell_does_not_set(tmp_path: Path, dotenv: str) -> None:
    seen = serve(tmp_path, dotenv)

    assert seen["DEBUG"] == "True"
    assert seen["EMAIL"] == "console localhost"
    assert seen["TENANT_URL"] == "http://{domain}:8123/"
    assert seen["bind"] == "['127.0.0.1:8123']"


def test_a_dotenv_without_debug_still_runs_in_development(tmp_path: Path, dotenv: str) -> None:
    seen = serve(tmp_path, dotenv.replace("DEBUG=1\n", ""))

    assert seen["DEBUG"] == "True"
