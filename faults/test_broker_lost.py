"""Drill: Redis goes away under a running gunicorn, then comes back
(docs/architecture.md#when-things-fail)."""

from faults.stack import Stack, wait_for


def test_without_redis_trigger_is_503_reads_are_200_and_it_recovers_without_restart(
    stack: Stack,
) -> None:
    schema = "broker"
    host = stack.tenant_create(schema)
    token = stack.token(host)
    assert stack.get("/readyz", host).status == 200

    stack.redis_stop()
    try:
        response = stack.post("/api/cleanup/trigger/", host, {"dry_run": True}, token)
        assert response.status == 503, response
        assert "detail" in response.json()
        assert stack.reports(schema) == []  # no report left queued

        for path in ("/api/reports/", "/api/cleanup/policy/", "/api/me/"):
            assert stack.get(path, host, token).status == 200, path
        assert stack.post("/api/cleanup/preview/", host, {}, token).status == 200
        ready = stack.get("/readyz", host)
        assert ready.status == 503
        assert "redis" in ready.json()["detail"].lower()
    finally:
        stack.redis_start()  # same port

    # The same gunicorn, never restarted, reconnects.
    wait_for(lambda: stack.get("/readyz", host).status == 200, "/readyz to see Redis again")
    response = stack.post("/api/cleanup/trigger/", host, {"dry_run": True}, token)
    assert response.status == 202, response
    (report,) = stack.reports(schema)
    assert report["id"] == response.json()["report_id"]
    assert report["status"] == "queued"
