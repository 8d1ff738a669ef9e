"""Webhook latency (docs/benchmarks.md#targets): from an event's commit to its arrival at a
local receiver, through the real path — the outbox row, the publish on commit, a Celery
worker on queue `webhooks` (as the Procfile starts it), signing, the HTTP POST.

Events are committed one at a time, a little apart (a steady trickle, not a burst that only
measures the queue), and every one is verified with the `standardwebhooks` package on
arrival. `webhook_p99_ms` is the 99th percentile.

    python -m bench.webhooks --events 300
"""

import argparse
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

from bench import common

SCHEMA = "bench_hooks"


def receiver(
    secret_holder: list[str],
) -> tuple[ThreadingHTTPServer, dict[str, float], list[bytes]]:
    """A receiver that verifies each message (standardwebhooks) and notes when it came."""
    arrived: dict[str, float] = {}
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            at = time.time()
            Webhook(secret_holder[0]).verify(body, dict(self.headers.items()))
            arrived.setdefault(self.headers["webhook-id"], at)
            bodies.append(body)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, arrived, bodies


def main(events: int) -> dict[str, Any]:
    common.django_setup()
    from django.db import transaction
    from django_tenants.utils import schema_context

    from config.celery import app
    from fleet.services.tenants import tenant_create
    from tenants.models import Tenant
    from webhooks.models import Endpoint
    from webhooks.services.endpoints import secret_make
    from webhooks.services.events import webhook_event_emit

    common.public_tenant_ensure()
    common.tenants_drop(SCHEMA)
    if not Tenant.objects.filter(schema_name=SCHEMA).exists():
        tenant_create(
            schema_name=SCHEMA,
            name=SCHEMA,
            admin_username="admin",
            admin_email="admin@bench.test",
            admin_password="bench-admin-password-1",
        )
    secret = secret_make()
    server, arrived, _bodies = receiver([secret])
    with schema_context(SCHEMA):
        Endpoint.objects.create(
            url=f"http://127.0.0.1:{server.server_address[1]}/hook", events=["*"], secret=secret
        )
    app.control.purge()
    worker = subprocess.Popen(
        [
            *(str(common.ROOT / ".venv" / "bin" / "celery"), "-A", "config", "worker"),
            *("-Q", "webhooks", "-n", "bench-webhooks@%h", "--pool=threads", "--concurrency=8"),
            "--loglevel=WARNING",
        ],
        cwd=common.ROOT,
        env=common.bench_env(WEBHOOK_ALLOW_PRIVATE="1"),
    )
    committed: dict[str, float] = {}
    try:
        # The worker is up once it delivers a first event (not measured).
        warmup = _emit(webhook_event_emit, schema_context, transaction)
        _wait(lambda: warmup in arrived, 120)
        for _ in range(events):
            event_id = _emit(webhook_event_emit, schema_context, transaction)
            committed[event_id] = time.time()
            time.sleep(0.02)
        _wait(lambda: all(e in arrived for e in committed), 120)
    finally:
        worker.terminate()
        worker.wait(30)
        server.shutdown()
    latencies = sorted((arrived[e] - committed[e]) * 1000 for e in committed)
    figures = {
        "webhook_events": events,
        "webhook_p50_ms": round(latencies[len(latencies) // 2], 1),
        "webhook_p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 1),
        "webhook_max_ms": round(latencies[-1], 1),
    }
    common.log(f"webhooks: {figures}")
    return figures


def _emit(emit: Any, schema_context: Any, transaction: Any) -> str:
    with schema_context(SCHEMA):
        with transaction.atomic():
            (delivery,) = emit(type="exemption.created", data={"exemption_id": 1})
        return f"msg_{delivery.event_id.hex}"


def _wait(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("webhooks did not arrive in time")
        time.sleep(0.01)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=300)
    args = parser.parse_args()
    common.results_merge(main(args.events))
