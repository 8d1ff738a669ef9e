"""Emails to tenant admins about runs (`notify_admins`): which status changes send one, who
gets it, what it says — sent through a real SMTP server (aiosmtpd)."""

from typing import Any, NamedTuple

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from cleanup.models import CleanupReport
from cleanup.services.admin_mail import AdminMailIncomplete, admin_event, admins_notify
from cleanup.services.transitions import report_finish, report_transition
from cleanup.tests.factories import CleanupNoticeFactory, CleanupReportFactory
from core.serving import development_url
from core.testing.broker import queued_tasks
from core.testing.smtp import SmtpServer
from policy.rules import PolicySpec
from tenants.models import Tenant

pytestmark = pytest.mark.usefixtures("in_tenant_a")

Status = CleanupReport.Status
ADMIN = "admin@alpha.test"  # alpha's first admin (the session's tenants)


def published(queue: str = "notices") -> list[tuple[str, list[Any]]]:
    return [(name, args) for name, args, _ in queued_tasks(settings.CELERY_BROKER_URL, queue)]


# --- When admins are emailed


class Case(NamedTuple):
    status: str
    dry_run: bool
    users_removed: int
    notify_admins: bool
    event: str | None


EVENT_CASES = {
    "failed": Case(Status.FAILED, False, 0, True, "failed"),
    "failed_after_removing_some": Case(Status.FAILED, False, 5, True, "failed"),
    "failed_dry_run": Case(Status.FAILED, True, 0, True, "failed"),
    "succeeded_removed_anyone": Case(Status.SUCCEEDED, False, 3, True, "removed"),
    "succeeded_removed_nobody": Case(Status.SUCCEEDED, False, 0, True, None),
    "succeeded_dry_run_would_remove": Case(Status.SUCCEEDED, True, 3, True, None),
    "awaiting_approval": Case(Status.AWAITING_APPROVAL, False, 0, True, "awaiting_approval"),
    "aborted": Case(Status.ABORTED, False, 0, True, None),
    "running": Case(Status.RUNNING, False, 0, True, None),
    "queued": Case(Status.QUEUED, False, 0, True, None),
    "failed_notify_off": Case(Status.FAILED, False, 0, False, None),
    "removed_notify_off": Case(Status.SUCCEEDED, False, 3, False, None),
    "awaiting_approval_notify_off": Case(Status.AWAITING_APPROVAL, False, 0, False, None),
}


@pytest.mark.parametrize("case", EVENT_CASES.values(), ids=EVENT_CASES.keys())
def test_which_report_statuses_email_the_admins(case: Case) -> None:
    report = CleanupReport(
        status=case.status,
        dry_run=case.dry_run,
        users_removed=case.users_removed,
        policy=PolicySpec(notify_admins=case.notify_admins).snapshot(),
    )

    assert admin_event(report) == case.event


def test_a_run_ending_failed_publishes_the_admin_email_after_its_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = CleanupReportFactory.create(status=Status.RUNNING)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report_finish(report, Status.FAILED, "boom", from_statuses=(Status.RUNNING,))
        assert published() == []  # nothing before the commit
    for callback in callbacks:
        callback()

    assert ("cleanup.notify_admins", ["alpha", report.pk, "failed"]) in published()


@pytest.mark.parametrize(
    ("status", "fields", "event"),
    [
        (Status.SUCCEEDED, {"users_removed": 2, "users_deactivated": 2}, "removed"),
        (
            Status.AWAITING_APPROVAL,
            {"users_matched": 80, "users_eligible": 100},
            "awaiting_approval",
        ),
    ],
)
def test_a_run_that_removed_anyone_or_waits_for_approval_publishes_the_admin_email(
    django_capture_on_commit_callbacks: Any, status: str, fields: dict[str, Any], event: str
) -> None:
    report = CleanupReportFactory.create(status=Status.RUNNING, **fields)

    with django_capture_on_commit_callbacks(execute=True):
        report_transition(report, status, from_statuses=(Status.RUNNING,))

    assert ("cleanup.notify_admins", ["alpha", report.pk, event]) in published()


def test_no_admin_email_when_the_policy_says_not_to_or_the_change_did_not_take(
    django_capture_on_commit_callbacks: Any,
) -> None:
    quiet = CleanupReportFactory.create(
        status=Status.RUNNING, policy_fields={"notify_admins": False}
    )
    ended = CleanupReportFactory.create(status=Status.SUCCEEDED)

    with django_capture_on_commit_callbacks(execute=True):
        report_finish(quiet, Status.FAILED, "boom", from_statuses=(Status.RUNNING,))
        # The reaper and the worker both end runs: the one that lost sends nothing.
        report_finish(ended, Status.FAILED, "lost", from_statuses=(Status.RUNNING,))

    assert [name for name, _ in published()] == []


# --- The notices' sender starts when a run ends


def unsent_notice(report: CleanupReport) -> None:
    CleanupNoticeFactory.create(
        user=UserFactory.create(username="warned", email="warned@alpha.test"),
        report=report,
        due_at=timezone.now(),
    )


@pytest.mark.parametrize("status", [Status.SUCCEEDED, Status.FAILED, Status.AWAITING_APPROVAL])
def test_a_real_run_that_ends_or_pauses_with_unsent_notices_starts_their_sender(
    django_capture_on_commit_callbacks: Any, status: str
) -> None:
    report = CleanupReportFactory.create(
        status=Status.RUNNING, policy_fields={"notify_admins": False}
    )
    unsent_notice(report)

    with django_capture_on_commit_callbacks(execute=True):
        report_transition(report, status, from_statuses=(Status.RUNNING,))

    assert published() == [("cleanup.send_notices", ["alpha"])]


def test_a_run_with_no_unsent_notice_or_a_dry_run_starts_no_sender(
    django_capture_on_commit_callbacks: Any,
) -> None:
    real = CleanupReportFactory.create(
        status=Status.RUNNING, policy_fields={"notify_admins": False}
    )
    with django_capture_on_commit_callbacks(execute=True):
        report_finish(real, Status.SUCCEEDED, from_statuses=(Status.RUNNING,))
    unsent_notice(real)  # say, left by an earlier run
    dry = CleanupReportFactory.create(
        status=Status.RUNNING, dry_run=True, policy_fields={"notify_admins": False}
    )

    with django_capture_on_commit_callbacks(execute=True):
        report_finish(dry, Status.SUCCEEDED, from_statuses=(Status.RUNNING,))

    assert published() == []


# --- Who gets it, and what it says


@pytest.fixture
def admins() -> None:
    """Besides alpha's first admin: another admin, and people who must not get the email —
    among them a staff user without the role (Django admin only) and an auditor."""
    User.objects.create_user(username="second", email="second@alpha.test", role="admin")
    User.objects.create_user(username="no_email", email="", role="admin")
    User.objects.create_user(
        username="former", email="former@alpha.test", role="admin", is_active=False
    )
    User.objects.create_user(username="member", email="member@alpha.test")
    User.objects.create_user(username="staffer", email="staffer@alpha.test", is_staff=True)
    User.objects.create_user(username="auditor", email="auditor@alpha.test", role="auditor")


def test_the_tenants_active_admins_with_an_address_get_it_and_nobody_else(
    smtp_server: SmtpServer, admins: None
) -> None:
    report = CleanupReportFactory.create(status=Status.FAILED, error="boom")

    sent = admins_notify(schema_name="alpha", report_id=report.pk, event="failed")

    assert sent == 2
    assert sorted(m.to for m in smtp_server.messages) == [ADMIN, "second@alpha.test"]


def test_the_failure_email_names_the_run_the_error_and_links_the_report(
    smtp_server: SmtpServer,
) -> None:
    report = CleanupReportFactory.create(
        status=Status.FAILED,
        error="Database connection lost: server closed the connection",
        users_matched=40,
        users_eligible=100,
        users_deactivated=10,
        users_removed=10,
        finished_at=timezone.now(),
    )

    admins_notify(schema_name="alpha", report_id=report.pk, event="failed")

    [received] = smtp_server.messages
    assert received.message["Subject"] == f"Alpha: Cleanup run #{report.pk} failed"
    link = f"https://alpha.localhost/reports/{report.pk}"
    for body in (received.part("text/plain"), received.part("text/html")):
        assert "Database connection lost" in body
        assert link in body
        assert "10" in body  # deactivated before it stopped
    assert received.sender()[0] == "Alpha"


def test_the_removal_email_gives_the_counts_and_links_the_report(smtp_server: SmtpServer) -> None:
    report = CleanupReportFactory.create(
        status=Status.SUCCEEDED,
        users_eligible=120,
        users_matched=9,
        users_warned=4,
        users_deactivated=7,
        users_deleted=2,
        users_removed=9,
    )

    admins_notify(schema_name="alpha", report_id=report.pk, event="removed")

    [received] = smtp_server.messages
    assert received.message["Subject"] == f"Alpha: Cleanup run #{report.pk} removed 9 users"
    text = received.part("text/plain")
    for label, count in (("eligible users", 120), ("warned by email", 4), ("deactivated", 7)):
        assert f"{label}:" in text and str(count) in text.split(f"{label}:")[1].split("\n")[0]
    assert f"https://alpha.localhost/reports/{report.pk}" in received.part("text/html")


def test_in_development_the_report_link_names_the_port_gunicorn_binds(
    smtp_server: SmtpServer, settings: Any
) -> None:
    settings.TENANT_URL = development_url("127.0.0.1:8123")  # GUNICORN_BIND, DEBUG=1
    report = CleanupReportFactory.create(
        status=Status.SUCCEEDED, users_eligible=10, users_removed=1
    )

    admins_notify(schema_name="alpha", report_id=report.pk, event="removed")

    [received] = smtp_server.messages
    link = f"http://alpha.localhost:8123/reports/{report.pk}"
    assert link in received.part("text/plain") and link in received.part("text/html")


def test_the_approval_email_says_approval_is_needed_with_the_share_and_the_link(
    smtp_server: SmtpServer,
) -> None:
    report = CleanupReportFactory.create(
        status=Status.AWAITING_APPROVAL,
        users_matched=80,
        users_eligible=100,
        policy_fields={"max_removal_ratio": 0.5},
    )

    admins_notify(schema_name="alpha", report_id=report.pk, event="awaiting_approval")

    [received] = smtp_server.messages
    assert "needs your approval" in received.message["Subject"]
    for body in (received.part("text/plain"), received.part("text/html")):
        flat = " ".join(body.split())
        assert "80 of 100" in flat
        assert "(80%)" in flat and "50%" in flat
        assert f"https://alpha.localhost/reports/{report.pk}" in flat
        assert "approve" in flat.lower()


def test_nobody_to_email_sends_nothing(smtp_server: SmtpServer) -> None:
    User.objects.filter(role="admin").update(email="")
    report = CleanupReportFactory.create(status=Status.FAILED)

    assert admins_notify(schema_name="alpha", report_id=report.pk, event="failed") == 0
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    ("schema_name", "event"), [("alpha", "no_such_event"), ("no_such_tenant", "failed")]
)
def test_an_unknown_event_or_tenant_sends_nothing(
    smtp_server: SmtpServer, schema_name: str, event: str
) -> None:
    report = CleanupReportFactory.create(status=Status.FAILED)

    assert admins_notify(schema_name=schema_name, report_id=report.pk, event=event) == 0
    assert admins_notify(schema_name="alpha", report_id=report.pk + 1000, event="failed") == 0
    assert smtp_server.messages == []


# --- The mail server fails


def test_with_the_server_down_every_admin_is_still_owed_the_email(
    smtp_server: SmtpServer, admins: None
) -> None:
    report = CleanupReportFactory.create(status=Status.FAILED)
    smtp_server.stop()

    with pytest.raises(AdminMailIncomplete) as raised:
        admins_notify(schema_name="alpha", report_id=report.pk, event="failed")

    assert raised.value.remaining == [ADMIN, "second@alpha.test"]


def test_a_retry_emails_only_the_admins_still_owed_it(
    smtp_server: SmtpServer, admins: None
) -> None:
    report = CleanupReportFactory.create(status=Status.FAILED)
    smtp_server.refuse_rcpt["second@alpha.test"] = "451 4.7.1 Greylisted, try again later"

    with pytest.raises(AdminMailIncomplete) as raised:
        admins_notify(schema_name="alpha", report_id=report.pk, event="failed")
    assert raised.value.remaining == ["second@alpha.test"]
    smtp_server.refuse_rcpt.clear()
    sent = admins_notify(
        schema_name="alpha", report_id=report.pk, event="failed", recipients=["second@alpha.test"]
    )

    assert sent == 1
    assert [m.to for m in smtp_server.messages] == [ADMIN, "second@alpha.test"]


def test_an_address_refused_for_good_is_skipped(smtp_server: SmtpServer, admins: None) -> None:
    report = CleanupReportFactory.create(status=Status.FAILED)
    smtp_server.refuse_rcpt["second@alpha.test"] = "550 5.1.1 No such mailbox"

    sent = admins_notify(schema_name="alpha", report_id=report.pk, event="failed")

    assert sent == 1
    assert [m.to for m in smtp_server.messages] == [ADMIN]


def test_the_tenant_name_is_the_senders_name(smtp_server: SmtpServer, tenant_a: Tenant) -> None:
    Tenant.objects.filter(pk=tenant_a.pk).update(name='Alpha, "the first" Ltd')
    report = CleanupReportFactory.create(status=Status.FAILED)

    admins_notify(schema_name="alpha", report_id=report.pk, event="failed")

    assert smtp_server.messages[0].sender()[0] == 'Alpha, "the first" Ltd'
