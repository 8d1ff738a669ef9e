"""Drill: a Celery worker is SIGKILLed in the middle of a large `delete` run
(docs/architecture.md#when-things-fail)."""

import signal

from faults.stack import Stack, purge_queue, reap, running, wait_for

USERS = 6000  # half of them inactive: 3000 to delete, 30 batches of 100
MATCHED = USERS // 2

# Each batch's audit insert sleeps, so the run is still between batches when it is killed,
# however fast the machine. It slows PostgreSQL only; the application is untouched.
SLOW_BATCHES = """
CREATE FUNCTION slow_batch() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN PERFORM pg_sleep(0.1); RETURN NULL; END $$;
CREATE TRIGGER slow_batch AFTER INSERT ON cleanup_cleanupauditentry
    FOR EACH STATEMENT EXECUTE FUNCTION slow_batch();
"""


def user_ids(stack: Stack, schema: str) -> set[int]:
    rows = stack.sql("SELECT id FROM accounts_user WHERE NOT is_staff", schema=schema)
    return {row[0] for row in rows}


def audited_ids(stack: Stack, schema: str) -> list[int]:
    rows = stack.sql("SELECT user_id FROM cleanup_cleanupauditentry", schema=schema)
    return [row[0] for row in rows]


def assert_audit_matches_removals(stack: Stack, schema: str, original: set[int]) -> None:
    """Every removed user has an audit entry, no audited user exists, nobody twice."""
    present = user_ids(stack, schema)
    audited = audited_ids(stack, schema)
    assert len(audited) == len(set(audited)), "a user was removed (audited) twice"
    assert set(audited) == original - present
    assert not set(audited) & present


def test_killed_worker_loses_at_most_its_batch_and_a_new_run_finishes_the_job(
    stack: Stack,
) -> None:
    schema = "killed"
    host = stack.tenant_create(
        schema,
        users=USERS,
        action="delete",
        dry_run=False,
        max_removal_ratio=1.0,
        notice_days=0,  # removed at once: the drill is about the batches
    )
    stack.sql(SLOW_BATCHES, schema=schema)
    original = user_ids(stack, schema)
    token = stack.token(host)
    purge_queue(stack)

    worker = stack.worker_start("worker-killed")
    with running(stack, worker):
        response = stack.post("/api/cleanup/trigger/", host, {"dry_run": False}, token)
        assert response.status == 202, response
        report_id = response.json()["report_id"]
        wait_for(
            lambda: stack.reports(schema)[-1]["users_removed"] >= 300,
            "the run to remove a few batches",
        )
        stack.stop(worker, signal.SIGKILL)
        assert worker.returncode == -signal.SIGKILL

    (report,) = stack.reports(schema)
    assert report["id"] == report_id
    assert report["status"] == "running"  # nobody noticed yet
    assert 0 < report["users_removed"] < MATCHED
    assert_audit_matches_removals(stack, schema, original)
    assert len(audited_ids(stack, schema)) == report["users_removed"]

    # The reaper (beat, every minute) notices the missing heartbeat and frees the tenant.
    assert f"('{schema}', {report_id})" in reap(stack)
    (report,) = stack.reports(schema)
    assert report["status"] == "failed"
    assert report["error"].startswith("Worker lost")

    # A new run, on a new worker, finishes the job.
    stack.sql("DROP TRIGGER slow_batch ON cleanup_cleanupauditentry", schema=schema)
    with running(stack, stack.worker_start("worker-after-kill")):
        response = stack.post("/api/cleanup/trigger/", host, {"dry_run": False}, token)
        assert response.status == 202, response
        wait_for(
            lambda: stack.reports(schema)[-1]["status"] in ("succeeded", "failed"),
            "the second run to finish",
        )
    first, second = stack.reports(schema)
    assert second["status"] == "succeeded", second
    assert first["users_removed"] + second["users_removed"] == MATCHED
    assert_audit_matches_removals(stack, schema, original)
    assert len(audited_ids(stack, schema)) == MATCHED
    inactive_left = stack.sql(
        "SELECT count(*) FROM accounts_user WHERE NOT is_staff "
        "AND last_login < now() - interval '90 days'",
        schema=schema,
    )
    assert inactive_left == [(0,)]
