"""Drill: PostgreSQL drops every connection while the app is idle
(docs/architecture.md#when-things-fail)."""

from faults.stack import Stack, purge_queue, running, wait_for


def finished(stack: Stack, schema: str) -> bool:
    reports = stack.reports(schema)
    return bool(reports) and all(r["status"] == "succeeded" for r in reports)


def test_next_request_and_next_task_succeed_after_connections_are_terminated(
    stack: Stack,
) -> None:
    schema = "dbrestart"
    host = stack.tenant_create(schema, users=20)
    token = stack.token(host)
    purge_queue(stack)

    with running(stack, stack.worker_start("worker-dbrestart")):
        # Warm up: both gunicorn workers and the Celery worker hold persistent connections.
        assert stack.post("/api/cleanup/trigger/", host, {"dry_run": True}, token).status == 202
        wait_for(lambda: finished(stack, schema), "the first run to succeed")
        for _ in range(10):
            assert stack.get("/api/reports/latest/", host, token).status == 200

        assert stack.connections_terminate() > 0

        # Every request after the restart succeeds: no worker hands out a dead connection.
        for _ in range(10):
            response = stack.get("/api/reports/latest/", host, token)
            assert response.status == 200, response
        response = stack.post("/api/cleanup/trigger/", host, {"dry_run": True}, token)
        assert response.status == 202, response
        wait_for(lambda: len(stack.reports(schema)) == 2 and finished(stack, schema), "run 2")
