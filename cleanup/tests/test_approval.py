"""Approving and rejecting a run that waits for approval (docs/architecture.md#oversight): who may,
what each
answer does, what a refusal leaves untouched, and two admins answering at once."""

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, NamedTuple

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.tests.factories import UserFactory
from activity.models import ActivityEvent
from cleanup.models import CleanupReport
from cleanup.services.oversight import ReportConflict, report_approve, report_reject
from cleanup.tests.factories import CleanupReportFactory
from core.testing import ROOT, TENANT_A, TENANT_B, client, tokens
from core.testing.broker import broker_at, free_port, hung_redis, queued_tasks
from policy.models import CleanupPolicy
from tenants.models import Tenant

Status = CleanupReport.Status
LONG_AGO = timedelta(days=400)


def awaiting_report(schema: str, *, matched: int = 3, eligible: int = 4) -> CleanupReport:
    """A run stopped over the cap, as the engine leaves it: counted, nobody removed."""
    with schema_context(schema):
        now = timezone.now()
        return CleanupReportFactory.create(
            status=Status.AWAITING_APPROVAL,
            trigger=CleanupReport.Trigger.SCHEDULE,
            policy={"action": "deactivate", "max_removal_ratio": 0.5, "on_cap": "ask"},
            started_at=now - timedelta(minutes=5),
            heartbeat_at=now - timedelta(minutes=5),
            users_eligible=eligible,
            users_matched=matched,
            users_deactivated=matched,
            users_removed=matched,
        )


def fresh(schema: str, report: CleanupReport) -> CleanupReport:
    with schema_context(schema):
        return CleanupReport.objects.get(pk=report.pk)


def events(schema: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    with schema_context(schema):
        return [(e.actor, e.verb, e.target, e.data) for e in ActivityEvent.objects.order_by("id")]


def runs_queued() -> list[tuple[list[Any], dict[str, Any]]]:
    return [
        (args, kwargs)
        for name, args, kwargs in queued_tasks(settings.CELERY_BROKER_URL, "cleanup")
        if name == "cleanup.run_tenant"
    ]


VERB = {"approve": "run.approved", "reject": "run.rejected"}


def post(path: str, access: str, host: str = TENANT_A) -> Any:
    return client(host, access).post(path, format="json")


# --- who may


OVERSIGHT_ENDPOINTS = [
    "/api/reports/{report}/approve/",
    "/api/reports/{report}/reject/",
    "/api/reports/{report}/undo/",
    "/api/reports/{report}/users/1/reactivate/",
]


@pytest.mark.parametrize("path", OVERSIGHT_ENDPOINTS)
def test_oversight_endpoints_need_a_token_and_refuse_members_and_the_root_host(
    path: str, member_a: dict[str, str], operator: dict[str, str]
) -> None:
    report = awaiting_report("alpha")
    url = path.format(report=report.pk)

    assert client(TENANT_A).post(url).status_code == 401
    refused = client(TENANT_A, member_a["access"]).post(url)
    assert refused.status_code == 403 and "detail" in refused.json()
    assert client(ROOT, operator["access"]).post(url).status_code == 404
    assert fresh("alpha", report).status == Status.AWAITING_APPROVAL
    assert events("alpha") == []


def test_another_tenants_admin_cannot_answer_its_run(
    admin_a: dict[str, str], tenant_b: Tenant
) -> None:
    # Ids repeat across schemas: make beta's report an id alpha does not have.
    for _ in range(3):
        taken = awaiting_report("beta")
        with schema_context("beta"):
            taken.delete()
    theirs = awaiting_report("beta")
    with schema_context("alpha"):
        assert not CleanupReport.objects.filter(pk=theirs.pk).exists()
    UserFactory.create(schema="beta", username="boss", role="admin")
    beta = tokens(TENANT_B, "boss")

    for action in ("approve", "reject"):
        # On alpha's host, alpha's admin reaches only alpha's reports.
        response = post(f"/api/reports/{theirs.pk}/{action}/", admin_a["access"])
        assert response.status_code == 404
        # Beta's token is not valid on alpha's host at all.
        assert post(f"/api/reports/{theirs.pk}/{action}/", beta["access"]).status_code == 401
    assert fresh("beta", theirs).status == Status.AWAITING_APPROVAL
    assert events("alpha") == events("beta") == []


# --- approve


def test_approve_queues_the_run_with_the_count_it_showed_as_its_limit_and_publishes_it(
    admin_a: dict[str, str],
) -> None:
    report = awaiting_report("alpha", matched=3, eligible=4)
    before = timezone.now()

    response = post(f"/api/reports/{report.pk}/approve/", admin_a["access"])

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["id"], body["status"], body["approved_by"]) == (report.pk, "queued", "admin")
    assert body["removal_limit"] == 3
    report = fresh("alpha", report)
    assert (report.status, report.approved_by, report.removal_limit) == ("queued", "admin", 3)
    assert report.approved_at is not None and report.approved_at >= before
    # The reaper's queue timeout counts from the approval, not from the run's creation.
    assert report.published_at == report.approved_at
    assert report.finished_at is None and report.error == ""
    assert runs_queued() == [(["alpha"], {"report_id": report.pk, "trigger": "schedule"})]
    assert events("alpha") == [
        (
            "admin",
            "run.approved",
            f"report {report.pk}",
            {"report_id": report.pk, "removal_limit": 3, "users_eligible": 4},
        )
    ]


@pytest.mark.parametrize("broker", ["dead", "hung"])
def test_approve_answers_503_when_the_broker_is_down_and_the_run_keeps_waiting(
    admin_a: dict[str, str], broker: str
) -> None:
    report = awaiting_report("alpha")
    with hung_redis() as hung_url:
        url = f"redis://127.0.0.1:{free_port()}/0" if broker == "dead" else hung_url
        with broker_at(url):
            response = post(f"/api/reports/{report.pk}/approve/", admin_a["access"])

    assert response.status_code == 503
    assert response.json() == {"detail": "The task queue is unavailable; try again shortly."}
    after = fresh("alpha", report)
    assert (after.status, after.approved_by, after.approved_at, after.removal_limit) == (
        "awaiting_approval",
        None,
        None,
        None,
    )
    assert (after.task_id, after.published_at) == (report.task_id, None)
    assert events("alpha") == [] and runs_queued() == []
    # Once the broker is back, the same run can be approved.
    assert post(f"/api/reports/{report.pk}/approve/", admin_a["access"]).status_code == 202


def test_a_run_without_its_count_cannot_be_approved(admin_a: dict[str, str]) -> None:
    report = awaiting_report("alpha")
    with schema_context("alpha"):
        CleanupReport.objects.filter(pk=report.pk).update(users_matched=None)

    response = post(f"/api/reports/{report.pk}/approve/", admin_a["access"])

    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"Run #{report.pk} has not counted its users; it cannot be approved."
    )
    assert fresh("alpha", report).status == "awaiting_approval"
    assert events("alpha") == [] and runs_queued() == []


# --- reject


def test_reject_aborts_the_run_naming_who_and_removes_nobody(
    admin_a: dict[str, str], tenant_a: Tenant
) -> None:
    with schema_context("alpha"):
        sleepy = [
            User.objects.create(username=f"sleepy{i}", date_joined=timezone.now() - LONG_AGO)
            for i in range(3)
        ]
    report = awaiting_report("alpha", matched=3)

    response = post(f"/api/reports/{report.pk}/reject/", admin_a["access"])

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "aborted" and body["error"] == "Rejected by admin. Nobody was removed."
    report = fresh("alpha", report)
    assert report.status == "aborted" and report.finished_at is not None
    assert (report.approved_by, report.removal_limit) == (None, None)
    with schema_context("alpha"):
        assert User.objects.filter(pk__in=[u.pk for u in sleepy], is_active=True).count() == 3
    # The operators' console sees the outcome (report_transition's summary).
    policy = CleanupPolicy.objects.get(tenant=tenant_a)
    assert (policy.last_report_id, policy.last_report_status) == (report.pk, "aborted")
    assert runs_queued() == []
    assert events("alpha") == [
        (
            "admin",
            "run.rejected",
            f"report {report.pk}",
            {"report_id": report.pk, "users_matched": 3, "users_eligible": 4},
        )
    ]


# --- refusals


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("status", ["queued", "running", "succeeded", "failed", "aborted"])
def test_answering_a_run_that_is_not_awaiting_approval_is_409_and_changes_nothing(
    admin_a: dict[str, str], action: str, status: str
) -> None:
    report = awaiting_report("alpha")
    with schema_context("alpha"):
        CleanupReport.objects.filter(pk=report.pk).update(status=status)
        report.refresh_from_db()

    response = post(f"/api/reports/{report.pk}/{action}/", admin_a["access"])

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Run #{report.pk} is not awaiting approval (it is {status}).",
        "status": status,
    }
    after = fresh("alpha", report)
    assert (after.status, after.error, after.approved_by, after.task_id) == (
        status,
        "",
        None,
        report.task_id,
    )
    assert events("alpha") == [] and runs_queued() == []


@pytest.mark.parametrize(
    ("first", "second", "final"),
    [
        ("approve", "approve", "queued"),
        ("approve", "reject", "queued"),
        ("reject", "reject", "aborted"),
        ("reject", "approve", "aborted"),
    ],
)
def test_a_run_is_answered_once(
    admin_a: dict[str, str], first: str, second: str, final: str
) -> None:
    report = awaiting_report("alpha")
    assert post(f"/api/reports/{report.pk}/{first}/", admin_a["access"]).status_code in (200, 202)

    again = post(f"/api/reports/{report.pk}/{second}/", admin_a["access"])

    assert again.status_code == 409 and again.json()["status"] == final
    assert fresh("alpha", report).status == final
    assert [verb for _, verb, _, _ in events("alpha")] == [VERB[first]]
    assert len(runs_queued()) == (1 if first == "approve" else 0)


@pytest.mark.parametrize("report_id", ["999999", "9223372036854775808", "99999999999999999999"])
@pytest.mark.parametrize("action", ["approve", "reject", "undo"])
def test_answering_an_unknown_run_is_404(
    admin_a: dict[str, str], action: str, report_id: str
) -> None:
    awaiting_report("alpha")
    response = post(f"/api/reports/{report_id}/{action}/", admin_a["access"])
    assert response.status_code == 404 and "detail" in response.json()
    assert events("alpha") == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("{not json", "application/json"), ("[1, 2]", "application/json"), ("x" * 5000, "text/plain")],
)
def test_a_body_is_not_needed_and_a_hostile_one_changes_nothing(
    admin_a: dict[str, str], body: str, content_type: str
) -> None:
    report = awaiting_report("alpha")
    response = client(TENANT_A, admin_a["access"]).post(
        f"/api/reports/{report.pk}/reject/", body, content_type=content_type
    )
    assert response.status_code == 200
    assert fresh("alpha", report).status == "aborted"


# --- approve and reject at once: the database decides


class Answer(NamedTuple):
    action: str
    ok: bool
    status: str


def answer(schema: str, action: str, report_id: int, actor: str) -> Answer:
    """Approve or reject in this thread, on its own database connection."""
    try:
        with schema_context(schema):
            if action == "approve":
                report = report_approve(schema_name=schema, report_id=report_id, actor=actor)
            else:
                report = report_reject(report_id=report_id, actor=actor)
        return Answer(action, True, report.status)
    except ReportConflict as exc:
        return Answer(action, False, exc.extra["status"])
    finally:
        connection.close()


@pytest.fixture
def live_tenant(make_live_tenant: Callable[..., Tenant]) -> Iterator[Tenant]:
    from config.celery import app

    app.control.purge()
    yield make_live_tenant()
    app.control.purge()


ROUNDS = 12


def test_concurrent_approve_and_reject_exactly_one_wins_every_time(live_tenant: Tenant) -> None:
    schema = live_tenant.schema_name
    for round_ in range(ROUNDS):
        report = awaiting_report(schema)
        start = threading.Barrier(2)
        results: list[Answer] = []

        def race(
            action: str,
            report_id: int = report.pk,
            start: threading.Barrier = start,
            results: list[Answer] = results,
        ) -> None:
            start.wait(timeout=30)
            results.append(answer(schema, action, report_id, f"{action}-admin"))

        # Alternate who starts first, so neither side always has the head start.
        order = ("approve", "reject") if round_ % 2 else ("reject", "approve")
        threads = [threading.Thread(target=race, args=(action,)) for action in order]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        (winner,) = [r for r in results if r.ok]
        (loser,) = [r for r in results if not r.ok]
        final = "queued" if winner.action == "approve" else "aborted"
        assert (winner.status, loser.status) == (final, final)
        after = fresh(schema, report)
        assert after.status == final
        assert (after.approved_by is not None) == (winner.action == "approve")
        with schema_context(schema):
            verbs = list(
                ActivityEvent.objects.filter(target=f"report {report.pk}").values_list(
                    "verb", flat=True
                )
            )
            assert verbs == [VERB[winner.action]]
            # Free the tenant's slot for the next round.
            CleanupReport.objects.filter(pk=report.pk).update(status="succeeded")
    connection.set_schema_to_public()  # type: ignore[attr-defined]


def backend_waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


def test_a_reject_arriving_while_an_approval_commits_waits_for_it_and_gets_409(
    live_tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The approval holds the run's row from its UPDATE to its commit (it publishes in
    between). A reject arriving then still reads `awaiting_approval`, but its conditional
    UPDATE waits on that row lock and, the row being `queued` once it gets it, takes nothing:
    PostgreSQL decides, not a check made before."""
    from config.celery import app as celery_app

    schema = live_tenant.schema_name
    report = awaiting_report(schema)
    publishing, reject_waits = threading.Event(), threading.Event()
    real_publish = celery_app.send_task

    def publish_once_the_reject_waits(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "cleanup.run_tenant":
            publishing.set()
            assert reject_waits.wait(30), "the reject never waited on the approval's lock"
        return real_publish(name, *args, **kwargs)

    monkeypatch.setattr(celery_app, "send_task", publish_once_the_reject_waits)
    results: dict[str, Answer] = {}
    approving = threading.Thread(
        target=lambda: results.update(approve=answer(schema, "approve", report.pk, "alice"))
    )
    rejecting = threading.Thread(
        target=lambda: results.update(reject=answer(schema, "reject", report.pk, "bob"))
    )
    approving.start()
    assert publishing.wait(30), "the approval never reached its publish"
    rejecting.start()
    while rejecting.is_alive() and not backend_waiting_on_a_lock():
        rejecting.join(0.05)
    reject_waits.set()
    approving.join(60)
    rejecting.join(60)

    assert results["approve"] == Answer("approve", True, "queued")
    assert results["reject"] == Answer("reject", False, "queued")
    after = fresh(schema, report)
    assert (after.status, after.approved_by, after.error) == ("queued", "alice", "")
    assert [verb for _, verb, _, _ in events(schema)] == ["run.approved"]
    connection.set_schema_to_public()  # type: ignore[attr-defined]
