"""API throughput (docs/benchmarks.md#targets): `GET /api/reports/latest/` with a JWT against a
trivial view, and the same endpoint with an API token against it with a JWT
(`api_token_vs_jwt`, target at least 0.9).

One real gunicorn (infra/gunicorn.conf.py, its default workers and threads) serves both;
`wrk` loads each in turn at the same concurrency, alternating, several rounds, all in one
run; the figure is the median of the rounds' ratios (rounds are noisy on a shared machine:
one slow round moves a median of ratios less than a ratio of medians).
The baseline is `GET /api/ping/`: unauthenticated, it goes through the same host
routing, middleware and DRF and returns a constant. `/healthz` (answered by the first
middleware, before all of that) is measured too, for reference.

    python -m bench.api --seconds 10 --rounds 3
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from typing import Any

from bench import common

SCHEMA = "bench_api"
HOST = "bench-api.localhost"
PASSWORD = "bench-admin-password-1"
CONNECTIONS = int(os.environ.get("BENCH_API_CONNECTIONS", "8"))
THREADS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tenant_ensure() -> str:
    """A tenant with its admin and one finished report, so /latest/ has something to show;
    returns an API token of the admin with the scope `reports:read`."""
    from django_tenants.utils import schema_context, tenant_context

    from accounts.models import User
    from accounts.services import api_token_create
    from bench import data
    from cleanup.services.execution import cleanup_run
    from cleanup.services.start import cleanup_report_create
    from fleet.services.tenants import tenant_create
    from policy.models import CleanupPolicy
    from tenants.models import Tenant

    data.copy_drop(SCHEMA)
    tenant_create(
        schema_name=SCHEMA,
        name="Bench API",
        admin_username="admin",
        admin_email="admin@bench.test",
        admin_password=PASSWORD,
    )
    CleanupPolicy.objects.filter(tenant__schema_name=SCHEMA).update(enabled=False)
    with schema_context(SCHEMA):
        report = cleanup_report_create(schema_name=SCHEMA, trigger="manual", dry_run=True)
        cleanup_run(report_id=report.pk)
    with tenant_context(Tenant.objects.get(schema_name=SCHEMA)):
        _, text = api_token_create(
            actor=User.objects.get(username="admin"),
            public=False,
            data={"name": "bench", "scopes": ["reports:read"], "expires_in_days": 1},
            max_days=366,
        )
    return text


@contextlib.contextmanager
def gunicorn(port: int) -> Any:
    env = common.bench_env(GUNICORN_BIND=f"127.0.0.1:{port}", JWT_ACCESS_MINUTES="120")
    server = subprocess.Popen(
        [str(common.ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-c", "infra/gunicorn.conf.py"],
        cwd=common.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def token(port: int) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/auth/token/",
        data=json.dumps({"username": "admin", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json", "Host": HOST},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["access"])


def wrk(url: str, headers: dict[str, str], seconds: int) -> dict[str, float]:
    """One wrk run; requests per second and latency percentiles in ms. Non-2xx fails."""
    args = [shutil.which("wrk") or "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, "--latency", url], capture_output=True, text=True, check=True)
    text = out.stdout
    if "Non-2xx" in text:
        raise RuntimeError(f"non-2xx responses from {url}:\n{text}")

    def ms(label: str) -> float:
        match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        assert match, text
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    assert rps, text
    return {"rps": float(rps.group(1)), "p50_ms": ms("50%"), "p99_ms": ms("99%")}


def main(seconds: int, rounds: int) -> dict[str, Any]:
    common.django_setup()
    common.public_tenant_ensure()
    api_token = tenant_ensure()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with gunicorn(port):
        access = token(port)
        auth = {"Host": HOST, "Authorization": f"Bearer {access}"}
        by_token = {"Host": HOST, "Authorization": f"Bearer {api_token}"}
        wrk(f"{base}/api/reports/latest/", auth, 2)  # warm-up: imports, connections
        wrk(f"{base}/api/reports/latest/", by_token, 2)
        wrk(f"{base}/api/ping/", {"Host": HOST}, 2)
        targets = {
            "latest": ("/api/reports/latest/", auth),
            "latest_token": ("/api/reports/latest/", by_token),
            "ping": ("/api/ping/", {"Host": HOST}),
            "healthz": ("/healthz", {"Host": HOST}),
        }
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        for rnd in range(rounds):
            order = list(targets) if rnd % 2 == 0 else list(reversed(targets))
            for name in order:
                path, headers = targets[name]
                runs[name].append(wrk(base + path, headers, seconds))
                common.log(f"round {rnd} {name}: {runs[name][-1]}")
    ratios = [
        latest["rps"] / ping["rps"]
        for latest, ping in zip(runs["latest"], runs["ping"], strict=True)
    ]
    token_ratios = [
        by_token["rps"] / latest["rps"]
        for by_token, latest in zip(runs["latest_token"], runs["latest"], strict=True)
    ]

    def med(name: str, key: str) -> float:
        return common.median([run[key] for run in runs[name]])

    figures = {
        "api_latest_vs_ping": round(common.median(ratios), 2),
        "api_latest_rps": round(med("latest", "rps")),
        "api_latest_p50_ms": round(med("latest", "p50_ms"), 2),
        "api_latest_p99_ms": round(med("latest", "p99_ms"), 2),
        "api_token_vs_jwt": round(common.median(token_ratios), 2),
        "api_latest_token_rps": round(med("latest_token", "rps")),
        "api_latest_token_p99_ms": round(med("latest_token", "p99_ms"), 2),
        "api_ping_rps": round(med("ping", "rps")),
        "api_ping_p99_ms": round(med("ping", "p99_ms"), 2),
        "api_healthz_rps": round(med("healthz", "rps")),
        "api_concurrency": CONNECTIONS,
    }
    common.log(f"api: {figures}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    common.results_merge(main(args.seconds, args.rounds))
