"""What the README's production setup promises: Django's deploy checks pass, compose passes
every variable of `.env` to the containers, demo logins exist only in development, and
`make run` gives a fresh checkout a development `.env`."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management.utils import get_random_secret_key

ROOT = Path(__file__).resolve().parents[2]

# The README's production section, as a deployment would set it.
PRODUCTION = {
    "DEBUG": "0",
    "BASE_DOMAIN": "console.example.com",
    "ALLOWED_HOSTS": "console.example.com,.console.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://console.example.com,https://*.console.example.com",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    "DATABASE_URL": "postgres://cleanup:secret@db.internal:5432/cleanup_console",
    "REDIS_URL": "redis://redis.internal:6379/0",
}


def clean_env(**env: str) -> dict[str, str]:
    """This process's environment without any app setting, reading no `.env` file."""
    app = set(example_variables()) | {"DJANGO_SETTINGS_MODULE"}
    base = {k: v for k, v in os.environ.items() if k not in app and not k.startswith("SECURE_")}
    base.update(ENV_FILE="", PYTHONPATH=str(ROOT), **env)
    return base


def example_variables() -> list[str]:
    """Every variable `.env.example` documents, set or commented out."""
    text = (ROOT / ".env.example").read_text()
    return re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE)


def test_the_deploy_check_reports_nothing_with_the_readme_production_settings() -> None:
    env = clean_env(SECRET_KEY=get_random_secret_key(), **PRODUCTION)

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


# --- seeding


def fake_python(tmp_path: Path) -> Path:
    """A `python` on PATH that records manage.py's migrate/collectstatic/seed_demo and
    the service check instead of running them; anything else runs for real."""
    log = tmp_path / "calls.log"
    shim = tmp_path / "bin" / "python"
    shim.parent.mkdir()
    shim.write_text(
        "#!/bin/sh\n"
        'case "$1 $2" in\n'
        '  "infra/check_services.py "*|"manage.py migrate"|"manage.py collectstatic"'
        '|"manage.py seed_demo")\n'
        f'    echo "$*" >> {log}; exit 0 ;;\n'
        "esac\n"
        f'exec {sys.executable} "$@"\n'
    )
    shim.chmod(0o755)
    return log


@pytest.mark.parametrize(("debug", "seeded"), [("1", True), ("0", False)])
def test_the_container_entrypoint_seeds_the_demo_only_in_debug(
    tmp_path: Path, debug: str, seeded: bool
) -> None:
    log = fake_python(tmp_path)
    env = clean_env(
        DEBUG=debug,
        SECRET_KEY=get_random_secret_key(),
        RUN_MIGRATIONS="1",
        SEED_DEMO="1",
        PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}",
    )

    result = subprocess.run(
        ["sh", "infra/entrypoint.sh", "true"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    calls = log.read_text()
    assert "manage.py migrate" in calls
    assert ("manage.py seed_demo" in calls) is seeded


# --- make run's .env


def make_dot_env(directory: Path) -> subprocess.CompletedProcess[str]:
    shutil.copy(ROOT / "Makefile", directory / "Makefile")
    return subprocess.run(
        ["make", "--no-print-directory", ".env"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_writes_a_development_env_with_a_generated_key(tmp_path: Path) -> None:
    result = make_dot_env(tmp_path)

    assert result.returncode == 0, result.stderr
    values = dict(
        line.split("=", 1)
        for line in (tmp_path / ".env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert values["DEBUG"] == "1"
    assert len(values["SECRET_KEY"]) >= 50
    assert values["EMAIL_URL"] == "consolemail://"  # mails in the worker's output
    other = tmp_path.parent / "other"
    other.mkdir()
    make_dot_env(other)
    assert (other / ".env").read_text() != (tmp_path / ".env").read_text()


def test_make_never_overwrites_an_existing_env(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DEBUG=0\nSECRET_KEY=mine\n")

    result = make_dot_env(tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".env").read_text() == "DEBUG=0\nSECRET_KEY=mine\n"


# --- docker-compose.yml and .env

needs_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="docker-compose is not installed"
)
CONTAINER_URLS = {
    "DATABASE_URL": "postgres://dbuser:dbpass@pgbouncer:6432/dockerdjango",
    "REDIS_URL": "redis://redis:6379/0",
    "EMAIL_URL": "smtp://mailpit:1025",
}
# Variables of compose itself, and the ones only the web container's entrypoint reads.
COMPOSE_ONLY = {"COMPOSE_DATABASE_URL", "COMPOSE_REDIS_URL", "COMPOSE_EMAIL_URL"}
WEB_ONLY = {"RUN_MIGRATIONS", "SEED_DEMO"}


def compose_config(directory: Path, dot_env: str | None) -> dict:
    """`docker-compose config` of a copy of the compose file, with or without a `.env`."""
    shutil.copy(ROOT / "docker-compose.yml", directory / "docker-compose.yml")
    # Build contexts must exist for `config` to accept the file.
    shutil.copytree(ROOT / "infra" / "pgbouncer", directory / "infra" / "pgbouncer")
    if dot_env is not None:
        (directory / ".env").write_text(dot_env)
    env = {k: v for k, v in clean_env().items() if k != "ENV_FILE"}
    result = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@needs_compose
def test_compose_starts_in_development_without_an_env_file(tmp_path: Path) -> None:
    services = compose_config(tmp_path, dot_env=None)["services"]

    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DEBUG"] == "1"
        assert environment["DATABASE_URL"] == CONTAINER_URLS["DATABASE_URL"]
        assert environment["REDIS_URL"] == CONTAINER_URLS["REDIS_URL"]
        assert environment["EMAIL_URL"] == CONTAINER_URLS["EMAIL_URL"]


@needs_compose
def test_compose_passes_every_variable_of_the_env_file_to_the_containers(
    tmp_path: Path,
) -> None:
    variables = example_variables()
    dot_env = "".join(f"{name}=from-dot-env-{name.lower()}\n" for name in variables)

    services = compose_config(tmp_path, dot_env=dot_env)["services"]

    for service in ("web", "worker", "beat"):
        environment = services[service]["environment"]
        for variable in set(variables) - COMPOSE_ONLY:
            if variable in WEB_ONLY and service != "web":
                assert variable not in environment, (service, variable)
                continue
            expected = f"from-dot-env-{variable.lower()}"
            if variable in CONTAINER_URLS:
                expected = f"from-dot-env-compose_{variable.lower()}"
            assert environment.get(variable) == expected, (service, variable)


@needs_compose
def test_compose_containers_ignore_the_database_and_redis_of_make_run(tmp_path: Path) -> None:
    dot_env = (
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/cleanup_console\n"
        "REDIS_URL=redis://127.0.0.1:6379/0\n"
        "EMAIL_URL=consolemail://\n"
    )

    environment = compose_config(tmp_path, dot_env=dot_env)["services"]["worker"]["environment"]

    assert environment["DATABASE_URL"] == CONTAINER_URLS["DATABASE_URL"]
    assert environment["REDIS_URL"] == CONTAINER_URLS["REDIS_URL"]
    assert environment["EMAIL_URL"] == CONTAINER_URLS["EMAIL_URL"]


@needs_compose
def test_compose_container_urls_are_overridden_only_deliberately(tmp_path: Path) -> None:
    dot_env = (
        "COMPOSE_DATABASE_URL=postgres://app:pw@managed-db:5432/app\n"
        "COMPOSE_REDIS_URL=redis://managed-redis:6379/0\n"
        "COMPOSE_EMAIL_URL=smtp+tls://user:pw@smtp.example.com:587\n"
    )

    environment = compose_config(tmp_path, dot_env=dot_env)["services"]["worker"]["environment"]

    assert environment["DATABASE_URL"] == "postgres://app:pw@managed-db:5432/app"
    assert environment["REDIS_URL"] == "redis://managed-redis:6379/0"
    assert environment["EMAIL_URL"] == "smtp+tls://user:pw@smtp.example.com:587"
