"""Tenant endpoints: who may call them, and what they answer."""

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.tests.factories import UserFactory
from cleanup.models import CleanupNotice, CleanupReport
from cleanup.tests.factories import CleanupAuditEntryFactory, CleanupReportFactory
from core.testing import FULL_POLICY, ROOT, TENANT_A, TENANT_B, client, tokens
from core.testing.broker import broker_at, free_port, hung_redis
from policy.models import CleanupPolicy

pytestmark = pytest.mark.django_db

NOTICED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

ENDPOINTS = [
    ("get", "/api/reports/", None),
    ("get", "/api/reports/latest/", None),
    ("get", "/api/reports/{report}/", None),
    ("get", "/api/reports/{report}/users/", None),
    ("get", "/api/reports/{report}/notices/", None),
    ("post", "/api/cleanup/trigger/", {"dry_run": True}),
    ("get", "/api/cleanup/policy/", None),
    ("patch", "/api/cleanup/policy/", {"inactive_days": 120}),
    ("put", "/api/cleanup/policy/", FULL_POLICY),
    ("post", "/api/cleanup/preview/", {}),
]


@pytest.fixture
def report(tenant_a: Any) -> CleanupReport:
    with schema_context("alpha"):
        report = CleanupReportFactory.create(
            action="delete",
            users_eligible=3,
            users_matched=2,
            users_warned=1,
            users_deleted=2,
            users_removed=2,
            finished_at=timezone.now(),
        )
        for i in range(2):
            CleanupAuditEntryFactory.create(
                report=report,
                user_id=100 + i,
                username=f"gone{i}",
                email=f"gone{i}@x.test",
                last_login=None,
                date_joined=timezone.now() - timedelta(days=400),
                action="deleted",
                noticed_at=NOTICED if i == 0 else None,
            )
        return report


def call(api: Any, method: str, path: str, body: Any, report: CleanupReport) -> Any:
    return getattr(api, method)(path.format(report=report.pk), body, format="json")


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_tenant_endpoints_need_a_token(
    method: str, path: str, body: Any, report: CleanupReport
) -> None:
    assert call(client(TENANT_A), method, path, body, report).status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_tenant_endpoints_refuse_members(
    method: str, path: str, body: Any, report: CleanupReport, member_a: dict[str, str]
) -> None:
    response = call(client(TENANT_A, member_a["access"]), method, path, body, report)
    assert response.status_code == 403 and "detail" in response.json()


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_tenant_endpoints_serve_tenant_admins(
    method: str, path: str, body: Any, report: CleanupReport, admin_a: dict[str, str]
) -> None:
    response = call(client(TENANT_A, admin_a["access"]), method, path, body, report)
    assert response.status_code in (200, 202), response.content


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_tenant_endpoints_do_not_exist_on_the_root_host(
    method: str, path: str, body: Any, report: CleanupReport, operator: dict[str, str]
) -> None:
    assert call(client(ROOT, operator["access"]), method, path, body, report).status_code == 404


def test_another_tenants_report_is_not_found(report: CleanupReport, tenant_b: Any) -> None:
    UserFactory.create(schema="beta", username="boss", role="admin")
    beta = tokens(TENANT_B, "boss")
    assert client(TENANT_B, beta["access"]).get(f"/api/reports/{report.pk}/").status_code == 404


def test_latest_is_404_with_a_detail_before_any_run(admin_a: dict[str, str]) -> None:
    response = client(TENANT_A, admin_a["access"]).get("/api/reports/latest/")
    assert response.status_code == 404 and response.json() == {"detail": "No cleanup has run yet."}


def test_reports_are_paginated_newest_first(admin_a: dict[str, str]) -> None:
    with schema_context("alpha"):
        for _ in range(3):
            CleanupReportFactory.create(trigger="schedule", dry_run=True)
    body = client(TENANT_A, admin_a["access"]).get("/api/reports/?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    ids = [r["id"] for r in body["results"]]
    assert ids == sorted(ids, reverse=True)


def test_the_audit_list_pages_and_downloads_as_csv(
    report: CleanupReport, admin_a: dict[str, str]
) -> None:
    api = client(TENANT_A, admin_a["access"])
    page = api.get(f"/api/reports/{report.pk}/users/").json()
    assert [u["username"] for u in page["results"]] == ["gone0", "gone1"]
    assert set(page["results"][0]) == {
        "user_id",
        "username",
        "email",
        "last_login",
        "last_seen",
        "date_joined",
        "reason",
        "action",
        "noticed_at",
        "restored_at",
        "restored_by",
        "last_active_at",
        "last_active_source",
        "activity",
    }
    assert [(u["action"], u["noticed_at"]) for u in page["results"]] == [
        ("deleted", "2026-01-02T03:04:05Z"),
        ("deleted", None),
    ]

    download = api.get(f"/api/reports/{report.pk}/users/?format=csv")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert download.streaming
    lines = b"".join(download.streaming_content).decode().splitlines()
    assert lines[0] == (
        "user_id,username,email,last_login,last_seen,date_joined,reason,action,noticed_at,"
        "restored_at,restored_by,last_active_at,last_active_source"
    )
    assert len(lines) == 3 and lines[1].startswith("100,gone0,gone0@x.test,,,")
    assert lines[1].endswith(",inactive,deleted,2026-01-02 03:04:05+00:00,,,,")


def test_a_report_says_what_each_stage_did(report: CleanupReport, admin_a: dict[str, str]) -> None:
    body = client(TENANT_A, admin_a["access"]).get(f"/api/reports/{report.pk}/").json()

    assert {
        name: body[name]
        for name in (
            "users_warned",
            "users_deactivated",
            "users_deleted",
            "users_removed",
            "approved_by",
            "approved_at",
        )
    } == {
        "users_warned": 1,
        "users_deactivated": 0,
        "users_deleted": 2,
        "users_removed": 2,
        "approved_by": None,
        "approved_at": None,
    }


def test_trigger_queues_a_run_then_answers_409_while_it_is_active(admin_a: dict[str, str]) -> None:
    api = client(TENANT_A, admin_a["access"])
    first = api.post("/api/cleanup/trigger/", {"dry_run": True}, format="json")
    assert first.status_code == 202
    body = first.json()
    assert (
        body["status"] == "queued"
        and body["task_id"]
        and first["Location"] == f"/api/reports/{body['report_id']}/"
    )

    second = api.post("/api/cleanup/trigger/", {}, format="json")
    assert second.status_code == 409
    assert second.json() == {
        "detail": "A cleanup is already queued or running.",
        "report_id": body["report_id"],
    }
    with schema_context("alpha"):
        report = CleanupReport.objects.get()
    assert report.dry_run is True and report.triggered_by == "admin" and report.trigger == "manual"


def test_trigger_without_dry_run_uses_the_policys(admin_a: dict[str, str]) -> None:
    CleanupPolicy.objects.filter(tenant__schema_name="alpha").update(dry_run=False)
    response = client(TENANT_A, admin_a["access"]).post("/api/cleanup/trigger/", {}, format="json")
    with schema_context("alpha"):
        assert CleanupReport.objects.get(pk=response.json()["report_id"]).dry_run is False


@pytest.mark.parametrize("broker", ["dead", "hung"])
def test_trigger_answers_503_fast_when_the_broker_is_down_and_reads_still_work(
    admin_a: dict[str, str], report: CleanupReport, broker: str
) -> None:
    api = client(TENANT_A, admin_a["access"])
    with hung_redis() as hung_url:
        url = f"redis://127.0.0.1:{free_port()}/0" if broker == "dead" else hung_url
        with broker_at(url):
            started = time.monotonic()
            response = api.post("/api/cleanup/trigger/", {"dry_run": True}, format="json")
            elapsed = time.monotonic() - started
            reads = [
                api.get(path).status_code
                for path in ("/api/reports/", "/api/reports/latest/", "/api/cleanup/policy/")
            ]

    assert response.status_code == 503
    assert response.json() == {"detail": "The task queue is unavailable; try again shortly."}
    assert elapsed < 15, f"took {elapsed:.1f}s"  # "a few seconds", not a hang
    assert reads == [200, 200, 200]
    with schema_context("alpha"):
        assert not CleanupReport.objects.filter(status__in=["queued", "running"]).exists()
    # ...and once the broker is back, triggering works without a restart.
    assert api.post("/api/cleanup/trigger/", {"dry_run": True}, format="json").status_code == 202


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("inactive_days", 0),
        ("inactive_days", 3651),
        ("inactive_days", "soon"),
        ("never_logged_in_days", 0),
        ("never_logged_in_days", 4000),
        ("action", "explode"),
        ("dry_run", "maybe"),
        ("enabled", [1]),
        ("exempt_groups", "vip"),
        ("exempt_groups", [["nested"]]),
        ("max_removal_ratio", 0),
        ("max_removal_ratio", 1.5),
        ("max_removal_ratio", -0.1),
        ("schedule", "every day"),
        ("schedule", "0 3 * *"),
        ("schedule", "61 3 * * *"),
        ("timezone", "Mars/Olympus"),
        ("timezone", ""),
    ],
)
def test_each_invalid_policy_field_gets_400_and_changes_nothing(
    admin_a: dict[str, str], field: str, value: Any
) -> None:
    before = client(TENANT_A, admin_a["access"]).get("/api/cleanup/policy/").json()
    response = client(TENANT_A, admin_a["access"]).patch(
        "/api/cleanup/policy/", {field: value}, format="json"
    )
    assert response.status_code == 400 and field in response.json()
    assert client(TENANT_A, admin_a["access"]).get("/api/cleanup/policy/").json() == before


def test_a_valid_policy_change_moves_next_run_at(admin_a: dict[str, str]) -> None:
    api = client(TENANT_A, admin_a["access"])
    before = api.get("/api/cleanup/policy/").json()
    assert before["schedule_description"] == "At 03:00"

    response = api.patch(
        "/api/cleanup/policy/",
        {"schedule": "15 * * * *", "timezone": "Asia/Kolkata"},
        format="json",
    )

    after = response.json()
    assert response.status_code == 200 and after["next_run_at"] != before["next_run_at"]
    assert after["schedule_description"] == "At 15 minutes past the hour"
    # 15 past the hour in India (+05:30) is 45 past in UTC.
    assert after["next_run_at"][14:16] == "45"


def test_preview_counts_and_samples_without_changing_anything(admin_a: dict[str, str]) -> None:
    now = timezone.now()
    # No address, so no warning first: the preview counts them as removed now.
    UserFactory.create(
        schema="alpha", username="sleepy", email="", last_login=now - timedelta(days=200)
    )
    UserFactory.create(
        schema="alpha", username="lurker", email="", date_joined=now - timedelta(days=60)
    )
    UserFactory.create(schema="alpha", username="busy", last_login=now)
    api = client(TENANT_A, admin_a["access"])

    saved = api.post("/api/cleanup/preview/", {}, format="json").json()
    tried = api.post(
        "/api/cleanup/preview/", {"inactive_days": 365, "max_removal_ratio": 0.2}, format="json"
    ).json()

    assert (saved["users_eligible"], saved["users_matched"], saved["would_abort"]) == (3, 2, True)
    # Without an email address nobody can be warned: both would be deactivated now.
    assert (saved["users_to_warn"], saved["users_to_deactivate"], saved["users_to_delete"]) == (
        0,
        2,
        0,
    )
    assert {(u["username"], u["reason"]) for u in saved["sample"]} == {
        ("sleepy", "inactive"),
        ("lurker", "never_logged_in"),
    }
    assert (tried["users_matched"], tried["would_abort"]) == (1, True)
    with schema_context("alpha"):
        assert get_user_model().objects.filter(is_active=True).count() == 4
        assert not CleanupReport.objects.exists()
    assert api.get("/api/cleanup/policy/").json()["inactive_days"] == 90


def test_preview_counts_who_each_stage_would_warn_deactivate_and_delete(
    admin_a: dict[str, str],
) -> None:
    now = timezone.now()
    joined = now - timedelta(days=400)
    UserFactory.create(
        schema="alpha",
        username="due_soon",
        email="d@x.test",
        last_login=now - timedelta(days=80),
        date_joined=joined,
    )
    UserFactory.create(
        schema="alpha",
        username="unwarned",
        email="u@x.test",
        last_login=now - timedelta(days=200),
        date_joined=joined,
    )
    UserFactory.create(
        schema="alpha", username="no_address", email="", last_login=now - timedelta(days=200)
    )
    UserFactory.create(schema="alpha", username="busy", email="b@x.test", last_login=now)
    api = client(TENANT_A, admin_a["access"])

    warning = api.post("/api/cleanup/preview/", {"notice_days": 14}, format="json").json()
    deleting = api.post(
        "/api/cleanup/preview/", {"notice_days": 0, "action": "delete"}, format="json"
    ).json()

    # `unwarned` is past the limit but holds no notice: warned now, removed later.
    assert {
        name: warning[name]
        for name in ("users_matched", "users_to_warn", "users_to_deactivate", "users_to_delete")
    } == {"users_matched": 2, "users_to_warn": 2, "users_to_deactivate": 1, "users_to_delete": 0}
    assert (deleting["users_to_warn"], deleting["users_to_deactivate"]) == (0, 0)
    assert deleting["users_to_delete"] == 2
    with schema_context("alpha"):
        assert get_user_model().objects.filter(is_active=True).count() == 5
        assert not CleanupNotice.objects.exists()


def test_preview_rejects_invalid_fields(admin_a: dict[str, str]) -> None:
    response = client(TENANT_A, admin_a["access"]).post(
        "/api/cleanup/preview/", {"action": "nuke"}, format="json"
    )
    assert response.status_code == 400 and "action" in response.json()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[]", "application/json"),
        ("dry_run=1", "text/plain"),
        ('{"dry_run": "x"}', "application/json"),
    ],
)
def test_malformed_requests_get_4xx(admin_a: dict[str, str], body: str, content_type: str) -> None:
    response = client(TENANT_A, admin_a["access"]).post(
        "/api/cleanup/trigger/", body, content_type=content_type
    )
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    "path", ["/api/reports/abc/", "/api/nothing-here/", "/api/reports/1/users/x/"]
)
def test_unknown_api_paths_get_a_json_404(admin_a: dict[str, str], path: str) -> None:
    response = client(TENANT_A, admin_a["access"]).get(path)
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
