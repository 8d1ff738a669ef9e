"""`can_undo` and `can_approve` on a report: the server says which actions the caller may
offer on a run, so the dashboard shows Undo, Approve and Reject by them instead of
re-deriving the rules."""

from typing import Any, NamedTuple

import pytest
from django.utils import timezone

from cleanup.models import CleanupReport
from cleanup.tests.factories import CleanupReportFactory
from core.testing import ROOT, TENANT_A, client

pytestmark = pytest.mark.django_db


class Case(NamedTuple):
    report: dict[str, Any]
    can_undo: bool
    can_approve: bool


# Each case a run in alpha that looked at 10 users and matched 5.
IN_ALPHA = {"schema": "alpha", "users_eligible": 10, "users_matched": 5}
FINISHED = {"finished_at": timezone.now(), "progress": 1.0}
CASES = {
    "queued": Case({"status": "queued"}, False, False),
    "running_having_deactivated_some": Case(
        {"status": "running", "users_deactivated": 3, "users_removed": 3}, False, False
    ),
    "awaiting_approval": Case(
        {"status": "awaiting_approval", "users_deactivated": 5, "users_removed": 5}, False, True
    ),
    "succeeded_having_deactivated_some": Case(
        {"status": "succeeded", "users_deactivated": 3, "users_removed": 3, **FINISHED},
        True,
        False,
    ),
    "failed_having_deactivated_some": Case(
        {"status": "failed", "users_deactivated": 2, "users_removed": 2, **FINISHED}, True, False
    ),
    "dry_run_that_would_deactivate": Case(
        {
            "status": "succeeded",
            "dry_run": True,
            "users_deactivated": 3,
            "users_removed": 3,
            **FINISHED,
        },
        False,
        False,
    ),
    "aborted_over_the_cap": Case(
        {"status": "aborted", "users_deactivated": 5, "users_removed": 5, **FINISHED},
        False,
        False,
    ),
    "succeeded_deleting_only": Case(
        {
            "status": "succeeded",
            "action": "delete",
            "users_deleted": 2,
            "users_removed": 2,
            **FINISHED,
        },
        False,
        False,
    ),
    "succeeded_deleting_past_the_restore_window_only": Case(
        {"status": "succeeded", "users_deleted": 2, "users_removed": 2, **FINISHED}, False, False
    ),
    "succeeded_removing_nobody": Case({"status": "succeeded", **FINISHED}, False, False),
}


def flags(body: dict[str, Any]) -> tuple[bool, bool]:
    return body["can_undo"], body["can_approve"]


def every_view(access: str, report: CleanupReport) -> list[tuple[bool, bool]]:
    """The flags as the run's page, the reports list and the latest-run card receive them."""
    api = client(TENANT_A, access)
    detail = api.get(f"/api/reports/{report.pk}/")
    listed = api.get("/api/reports/")
    latest = api.get("/api/reports/latest/")
    assert (detail.status_code, listed.status_code, latest.status_code) == (200, 200, 200)
    [in_list] = listed.json()["results"]
    return [flags(detail.json()), flags(in_list), flags(latest.json())]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_an_admin_may_undo_a_finished_run_that_deactivated_someone_and_answer_a_waiting_one(
    case: Case, admin_a: dict[str, str]
) -> None:
    report = CleanupReportFactory.create(**IN_ALPHA, **case.report)

    assert every_view(admin_a["access"], report) == [(case.can_undo, case.can_approve)] * 3


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_an_auditor_is_offered_neither_whatever_the_run(
    case: Case, auditor_a: dict[str, str]
) -> None:
    report = CleanupReportFactory.create(**IN_ALPHA, **case.report)

    assert every_view(auditor_a["access"], report) == [(False, False)] * 3


def test_an_operator_listing_a_tenants_runs_is_offered_neither(operator: dict[str, str]) -> None:
    CleanupReportFactory.create(**IN_ALPHA, **CASES["awaiting_approval"].report)
    CleanupReportFactory.create(
        **IN_ALPHA,
        **CASES["succeeded_having_deactivated_some"].report,
    )

    response = client(ROOT, operator["access"]).get("/api/platform/tenants/alpha/reports/")

    assert response.status_code == 200
    assert [flags(r) for r in response.json()["results"]] == [(False, False), (False, False)]


@pytest.mark.parametrize(("answer", "status_code", "status"), [
    ("approve", 202, "queued"),
    ("reject", 200, "aborted"),
])  # fmt: skip
def test_the_run_an_answer_returns_offers_no_further_answer(
    answer: str, status_code: int, status: str, admin_a: dict[str, str]
) -> None:
    report = CleanupReportFactory.create(**IN_ALPHA, **CASES["awaiting_approval"].report)

    response = client(TENANT_A, admin_a["access"]).post(f"/api/reports/{report.pk}/{answer}/")

    assert (response.status_code, response.json()["status"]) == (status_code, status)
    assert flags(response.json()) == (False, False)
