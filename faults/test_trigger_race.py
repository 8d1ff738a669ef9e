"""Drill: 20 clients trigger the same tenant at once, over HTTP
(docs/architecture.md#cleanup-semantics)."""

import threading
from concurrent.futures import ThreadPoolExecutor

from faults.stack import Stack

CLIENTS = 20


def test_twenty_concurrent_triggers_start_exactly_one_run(stack: Stack) -> None:
    schema = "race"
    host = stack.tenant_create(schema)
    token = stack.token(host)
    start = threading.Barrier(CLIENTS)

    def trigger(_: int) -> int:
        start.wait(timeout=60)
        return stack.post("/api/cleanup/trigger/", host, {"dry_run": True}, token).status

    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = sorted(pool.map(trigger, range(CLIENTS)))

    assert statuses == [202] + [409] * (CLIENTS - 1)
    (report,) = stack.reports(schema)
    assert report["status"] == "queued"
