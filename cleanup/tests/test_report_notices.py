"""Who a run warned: `GET /api/reports/{id}/notices/`, the run's notices (its outbox rows).

The audit list names only who a run removed; a run that warned 101 users and removed nobody
must still say who those 101 are."""

from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.tests.factories import UserFactory
from cleanup.models import CleanupReport
from cleanup.tests.factories import CleanupReportFactory
from cleanup.tests.support import D, notice_give, notices_send, run, set_policy
from core.testing import TENANT_A, TENANT_B, client, tokens
from tenants.models import Tenant

pytestmark = pytest.mark.django_db

NOTICE_DAYS = 14


def notices(admin: dict[str, str], report_id: int, query: str = "", host: str = TENANT_A) -> Any:
    return client(host, admin["access"]).get(f"/api/reports/{report_id}/notices/{query}")


@pytest.fixture
def warning_run(tenant_a: Tenant) -> CleanupReport:
    """A real run with two weeks' notice: two users are due (one past the limits, one within
    the notice period) and warned; four are not warned — one without an email address (who
    cannot be, and is deactivated without a notice), one active, one staff, and one warned by
    an earlier run."""
    with schema_context("alpha"):
        set_policy(tenant_a, action="deactivate", notice_days=NOTICE_DAYS)
        now = timezone.now()
        UserFactory.create(username="past_the_limit", now=now, login_days_ago=D + 30)
        UserFactory.create(username="due_soon", now=now, login_days_ago=D - 5)
        UserFactory.create(username="no_email", now=now, login_days_ago=D + 30, email="")
        UserFactory.create(username="active", now=now, login_days_ago=1)
        UserFactory.create(username="staff", now=now, login_days_ago=D + 30, is_staff=True)
        earlier = UserFactory.create(username="warned_before", now=now, login_days_ago=D + 30)
        notice_give(earlier, None)
        report = run(tenant_a)
        assert report.users_warned == 2 and report.users_deactivated == 1
        return report


def test_a_run_lists_the_users_it_warned_and_nobody_else(
    warning_run: CleanupReport, admin_a: dict[str, str]
) -> None:
    response = notices(admin_a, warning_run.pk)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    assert [n["username"] for n in body["results"]] == ["past_the_limit", "due_soon"]
    first = body["results"][0]
    with schema_context("alpha"):
        user = User.objects.get(username="past_the_limit")
    assert first["user_id"] == user.pk and first["email"] == "past_the_limit@example.com"
    assert first["status"] == "pending" and first["sent_at"] is None
    assert first["attempts"] == 0 and first["due_at"] and first["created_at"]
    # Warned, and kept until their notice has run its course; only no_email was removed.
    with schema_context("alpha"):
        assert set(User.objects.filter(is_active=False).values_list("username", flat=True)) == {
            "no_email"
        }


def test_a_notice_the_mail_server_accepted_shows_as_sent(
    warning_run: CleanupReport, admin_a: dict[str, str]
) -> None:
    with schema_context("alpha"):
        notices_send(warning_run)

    results = notices(admin_a, warning_run.pk).json()["results"]

    assert {n["status"] for n in results} == {"sent"}
    assert all(n["sent_at"] for n in results)


def test_a_warned_user_deleted_since_is_listed_without_a_username(
    warning_run: CleanupReport, admin_a: dict[str, str]
) -> None:
    with schema_context("alpha"):
        User.objects.filter(username="due_soon").delete()

    results = notices(admin_a, warning_run.pk).json()["results"]

    assert [n["username"] for n in results] == ["past_the_limit", None]
    assert results[1]["email"] == "due_soon@example.com"


def test_a_dry_run_warned_nobody(tenant_a: Tenant, admin_a: dict[str, str]) -> None:
    with schema_context("alpha"):
        set_policy(tenant_a, notice_days=NOTICE_DAYS, dry_run=True)
        UserFactory.create(username="past_the_limit", now=timezone.now(), login_days_ago=D + 30)
        report = run(tenant_a)
        assert report.users_warned == 1  # what a real run would do

    assert notices(admin_a, report.pk).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_the_list_is_paginated(warning_run: CleanupReport, admin_a: dict[str, str]) -> None:
    first = notices(admin_a, warning_run.pk, "?page_size=1").json()
    second = notices(admin_a, warning_run.pk, "?page_size=1&page=2").json()

    assert first["count"] == 2 and first["next"] and len(first["results"]) == 1
    assert [first["results"][0]["username"], second["results"][0]["username"]] == [
        "past_the_limit",
        "due_soon",
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?page=0", "page"),
        ("?page=abc", "page"),
        ("?page=1&page=2", "page"),
        ("?page_size=1001", "page_size"),
        ("?page_size=-1", "page_size"),
    ],
)
def test_a_malformed_page_is_a_400_naming_it(
    warning_run: CleanupReport, admin_a: dict[str, str], query: str, field: str
) -> None:
    response = notices(admin_a, warning_run.pk, query)

    assert response.status_code == 400 and field in response.json()


def test_an_unknown_run_is_a_404(tenant_a: Tenant, admin_a: dict[str, str]) -> None:
    assert notices(admin_a, 999_999).status_code == 404


def test_another_tenants_run_is_not_found_and_its_notices_never_shown(
    warning_run: CleanupReport, tenant_b: Tenant
) -> None:
    beta = tokens(TENANT_B, "admin", "admin-pass-123")
    # beta has a run with the same id (ids are per schema), which warned nobody.
    with schema_context("beta"):
        CleanupReportFactory.create(pk=warning_run.pk)

    response = notices(beta, warning_run.pk, host=TENANT_B)

    assert response.status_code == 200 and response.json()["count"] == 0
    assert notices(beta, warning_run.pk + 1, host=TENANT_B).status_code == 404


def test_a_token_of_another_tenant_is_refused(warning_run: CleanupReport, tenant_b: Tenant) -> None:
    beta = tokens(TENANT_B, "admin", "admin-pass-123")

    assert notices(beta, warning_run.pk).status_code == 401
