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
COMPOSE_ONLY = {"COMPOSE_DATABASE_URL", "COMPOSE_REDIS_URL", "COMPOSE_EMAIL_URL", "WEB_BIND"}
# Set by compose itself whatever `.env` says: the key file lives in compose's volume.
KEY_FILE = "/var/lib/cleanup-console/secret_key"
COMPOSE_SETS = {"SECRET_KEY_FILE": KEY_FILE}
APP_SERVICES = ("web", "worker", "worker-default", "beat", "flower")
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
    # Compose itself reads WEB_BIND (in a port mapping): it must be an address.
    dot_env = "".join(
        f"{name}=192.0.2.10\n" if name == "WEB_BIND" else f"{name}=from-dot-env-{name.lower()}\n"
        for name in variables
    )

    services = compose_config(tmp_path, dot_env=dot_env)["services"]
    assert published_addresses(services["web"]) == [("192.0.2.10", "8000")]

    for service in ("web", "worker", "beat"):
        environment = services[service]["environment"]
        for variable in set(variables) - COMPOSE_ONLY:
            if variable in WEB_ONLY and service != "web":
                assert variable not in environment, (service, variable)
                continue
            expected = f"from-dot-env-{variable.lower()}"
            if variable in COMPOSE_SETS:
                expected = COMPOSE_SETS[variable]
            elif variable in CONTAINER_URLS:
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


def published_addresses(service: dict) -> list[tuple[str, str]]:
    """(host address, published port) of each port `service` publishes; "" for all."""
    published = []
    for port in service.get("ports", []):
        if isinstance(port, dict):  # long syntax
            published.append((port.get("host_ip", ""), str(port.get("published", ""))))
            continue
        parts = str(port).split("/")[0].rsplit(":", 2)
        if len(parts) == 3:
            published.append((parts[0], parts[1]))
        else:
            published.append(("", parts[0]))
    return published


@needs_compose
def test_compose_publishes_every_port_on_loopback_only_by_default(tmp_path: Path) -> None:
    config = compose_config(tmp_path, dot_env=None)

    published = {name: published_addresses(service) for name, service in config["services"].items()}

    assert published["web"] == [("127.0.0.1", "8000")]
    everything = [pair for pairs in published.values() for pair in pairs]
    assert len(everything) >= 4  # web, Mailpit's two, Flower
    assert all(address == "127.0.0.1" for address, _ in everything), published


@needs_compose
def test_compose_opens_the_web_port_to_the_network_only_when_env_says_so(tmp_path: Path) -> None:
    config = compose_config(tmp_path, dot_env="WEB_BIND=0.0.0.0\n")

    assert published_addresses(config["services"]["web"]) == [("0.0.0.0", "8000")]


@needs_compose
def test_compose_shares_one_key_file_volume_between_its_app_containers(tmp_path: Path) -> None:
    config = compose_config(tmp_path, dot_env=None)

    assert "keys" in config["volumes"]
    for name in APP_SERVICES:
        service = config["services"][name]
        assert service["environment"]["SECRET_KEY_FILE"] == KEY_FILE
        mounts = [
            (v["source"], v["target"]) if isinstance(v, dict) else tuple(v.split(":")[:2])
            for v in service["volumes"]
        ]
        assert ("keys", str(Path(KEY_FILE).parent)) in mounts, (name, mounts)


# --- the entrypoint's generated key


def entrypoint(tmp_path: Path, command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    if not (tmp_path / "bin").exists():
        fake_python(tmp_path)
    return subprocess.run(
        ["sh", "infra/entrypoint.sh", *command],
        cwd=ROOT,
        env=clean_env(RUN_MIGRATIONS="0", PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_entrypoint_generates_a_key_once_and_every_container_reads_it(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "keys" / "secret_key"
    key_file.parent.mkdir()
    show_key = ["python", "-c", "import config.settings as s; print(s.SECRET_KEY)"]

    first = entrypoint(tmp_path, show_key, DEBUG="1", SECRET_KEY_FILE=str(key_file))
    second = entrypoint(tmp_path, show_key, DEBUG="0", SECRET_KEY_FILE=str(key_file))

    assert first.returncode == 0, first.stdout + first.stderr
    assert second.returncode == 0, second.stdout + second.stderr
    key = key_file.read_text().strip()
    assert len(key) >= 50
    assert first.stdout.splitlines()[-1] == second.stdout.splitlines()[-1] == key
    assert "generated a SECRET_KEY" in first.stdout
    assert "generated" not in second.stdout
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in key_file.parent.iterdir()) == ["secret_key"]


def test_the_entrypoint_writes_no_key_when_one_is_given(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"

    result = entrypoint(
        tmp_path, ["true"], SECRET_KEY=get_random_secret_key(), SECRET_KEY_FILE=str(key_file)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert not key_file.exists()
