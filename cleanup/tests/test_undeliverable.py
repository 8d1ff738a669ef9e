"""Notices the address refuses (docs/architecture.md#notices-and-the-keep-link): a 5xx makes
a notice `undeliverable` at once, a 4xx is retried until NOTICE_GIVE_UP_H; the policy's
`on_undeliverable` holds such a user or removes them as one without an address; the report
counts and lists them, /metrics counts them, the admins get one digest per run. Through a
real SMTP server (aiosmtpd)."""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from cleanup.models import CleanupAuditEntry, CleanupNotice, CleanupReport
from cleanup.services.admin_mail import admins_notify
from cleanup.services.notices import notices_send
from cleanup.tests.factories import CleanupNoticeFactory, CleanupReportFactory
from cleanup.tests.support import D, active_names, days_pass, run, set_policy
from core.testing import TENANT_A, client
from core.testing.broker import queued_tasks
from core.testing.smtp import SmtpServer
from policy.models import CleanupPolicy
from tenants.models import Tenant

pytestmark = pytest.mark.usefixtures("in_tenant_a")

Status = CleanupNotice.Status
REFUSED = "SMTPRecipientsRefused: 550 5.1.1 <gone@alpha.test>: Recipient address rejected"


def notice_to(name: str, **fields: Any) -> CleanupNotice:
    user = UserFactory.create(username=name, email=f"{name}@alpha.test")
    return CleanupNoticeFactory.create(user=user, report=CleanupReportFactory.create(), **fields)


def row(notice: CleanupNotice) -> CleanupNotice:
    return CleanupNotice.objects.get(pk=notice.pk)


def admin_mail_tasks() -> list[list[Any]]:
    return [
        args
        for name, args, _ in queued_tasks(settings.CELERY_BROKER_URL, "notices")
        if name == "cleanup.notify_admins"
    ]


# --- The sender: permanent and temporary refusals


def test_a_permanent_refusal_makes_the_notice_undeliverable_at_once_and_it_is_never_retried(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    gone, kept = notice_to("gone"), notice_to("kept")
    smtp_server.bounce("gone@alpha.test")

    first = notices_send(schema_name="alpha")
    again = notices_send(schema_name="alpha")

    assert (first.sent, first.failed, first.follow_up_in) == (1, 1, None)
    assert (again.sent, again.failed) == (0, 0)
    assert smtp_server.refused == ["gone@alpha.test"]  # one try, no retry
    gone = row(gone)
    assert (gone.status, gone.sent_at, gone.next_attempt_at, gone.attempts) == (
        Status.UNDELIVERABLE,
        None,
        None,
        1,
    )
    assert "550" in gone.last_error
    assert row(kept).status == Status.SENT
    policy = CleanupPolicy.objects.get(tenant=tenant_a)
    assert (policy.notices_sent, policy.notices_undeliverable) == (1, 1)


def test_a_temporary_refusal_is_retried_and_given_up_only_after_notice_give_up_h(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    slow = notice_to("slow")
    smtp_server.defer("slow@alpha.test")

    first = notices_send(schema_name="alpha")

    slow = row(slow)
    assert slow.status == Status.PENDING
    assert slow.attempts == 1 and "451" in slow.last_error
    assert slow.refused_since is not None and slow.next_attempt_at is not None
    assert first.follow_up_in is not None  # the retry is scheduled
    first_refusal = slow.refused_since

    def retry_after(hours: float) -> CleanupNotice:
        """The retry comes due `hours` after the first refusal."""
        CleanupNotice.objects.filter(pk=slow.pk).update(
            refused_since=timezone.now() - timedelta(hours=hours),
            next_attempt_at=timezone.now() - timedelta(seconds=1),
        )
        notices_send(schema_name="alpha")
        return row(slow)

    # Just short of the give-up age: still pending, tried again, the clock not restarted.
    before = retry_after(settings.NOTICE_GIVE_UP_H - 0.1)
    assert (before.status, before.attempts) == (Status.PENDING, 2)
    assert before.refused_since is not None and before.refused_since < first_refusal
    # At the give-up age: undeliverable.
    after = retry_after(settings.NOTICE_GIVE_UP_H)
    assert (after.status, after.attempts, after.next_attempt_at) == (
        Status.UNDELIVERABLE,
        3,
        None,
    )
    assert smtp_server.refused == ["slow@alpha.test"] * 3
    assert smtp_server.messages == []


def test_a_temporary_refusal_that_clears_up_is_delivered(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    slow = notice_to("slow")
    smtp_server.defer("slow@alpha.test")
    notices_send(schema_name="alpha")
    del smtp_server.refuse_rcpt["slow@alpha.test"]
    CleanupNotice.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))

    notices_send(schema_name="alpha")

    assert row(slow).status == Status.SENT
    assert [m.to for m in smtp_server.messages] == ["slow@alpha.test"]


def test_a_mail_server_down_for_longer_than_the_give_up_age_gives_up_on_nobody(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    """Our own server being unreachable says nothing about the address: the notice stays
    pending (and protects its user) however long the outage lasts."""
    notice = notice_to("ann")
    smtp_server.stop()
    notices_send(schema_name="alpha")
    CleanupNotice.objects.update(
        created_at=timezone.now() - timedelta(hours=settings.NOTICE_GIVE_UP_H * 2),
        next_attempt_at=timezone.now() - timedelta(seconds=1),
    )

    notices_send(schema_name="alpha")

    notice = row(notice)
    assert (notice.status, notice.attempts, notice.refused_since) == (Status.PENDING, 2, None)


# --- What runs do with the users: hold or proceed


def population(now: Any) -> None:
    """Matched users (inactive D + 1 days) in every notice state, and one only due soon."""
    make = UserFactory.create
    bounced = make(username="bounced", now=now, login_days_ago=D + 1)
    readdressed = make(username="readdressed", now=now, login_days_ago=D + 1)
    active_since = make(username="active_since", now=now, login_days_ago=D + 1)
    warned = make(username="warned", now=now, login_days_ago=D + 20)
    pending = make(username="pending", now=now, login_days_ago=D + 1)
    make(username="no_email", now=now, login_days_ago=D + 1, email="")
    not_due = make(username="not_due", now=now, login_days_ago=D - 7)
    for user in (bounced, not_due):
        CleanupNoticeFactory.create(user=user, status=Status.UNDELIVERABLE, last_error=REFUSED)
    # Its address has been fixed since the notice bounced.
    CleanupNoticeFactory.create(
        user=readdressed, email="old@alpha.test", status=Status.UNDELIVERABLE
    )
    # Bounced before its user's last sign-in: a later episode, which needs a new notice.
    CleanupNoticeFactory.create(user=active_since, status=Status.UNDELIVERABLE)
    CleanupNotice.objects.filter(user_id=active_since.pk).update(
        created_at=now - timedelta(days=D + 5)
    )
    CleanupNoticeFactory.create(user=warned, sent_at=now - timedelta(days=15))
    CleanupNoticeFactory.create(user=pending)


EVERYONE = ["bounced", "readdressed", "active_since", "warned", "pending", "no_email", "not_due"]


@pytest.mark.parametrize(
    ("on_undeliverable", "removed"),
    [
        ("hold", {"warned", "no_email"}),
        ("proceed", {"warned", "no_email", "bounced"}),
    ],
)
def test_hold_keeps_a_user_whose_address_refused_the_notice_and_proceed_removes_them(
    in_tenant_a: Tenant, on_undeliverable: str, removed: set[str]
) -> None:
    set_policy(in_tenant_a, notice_days=14, action="deactivate", on_undeliverable=on_undeliverable)
    population(timezone.now())

    report = run(in_tenant_a)

    assert active_names(EVERYONE) == set(EVERYONE) - removed
    # Counted and listed either way: only the matched one whose refusal still stands.
    assert report.users_undeliverable == 1
    assert [(u["username"], u["reason"]) for u in report.undeliverable] == [("bounced", REFUSED)]
    # A fixed address or activity since voids the refusal: those two are warned again;
    # nobody else is (the bounced ones are not mailed again).
    warned_now = CleanupNotice.objects.filter(report=report)
    assert {User.objects.get(pk=n.user_id).username for n in warned_now} == {
        "readdressed",
        "active_since",
    }
    audit = dict(CleanupAuditEntry.objects.values_list("username", "noticed_at"))
    assert set(audit) == removed
    if "bounced" in removed:
        assert audit["bounced"] is None  # removed without a notice, and it shows


def test_a_dry_run_counts_the_undeliverable_as_would_and_removes_nobody(
    in_tenant_a: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    set_policy(in_tenant_a, notice_days=14, on_undeliverable="proceed", dry_run=True)
    population(timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        report = run(in_tenant_a)

    assert report.counts_are_would
    assert report.users_undeliverable == 1
    assert report.users_deactivated == 3  # would: warned, no_email, bounced
    assert active_names(EVERYONE) == set(EVERYONE)
    assert admin_mail_tasks() == []


def test_end_to_end_a_bounced_notice_holds_its_user_and_the_admins_get_one_digest_per_run(
    in_tenant_a: Tenant, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    def run_and_publish() -> CleanupReport:
        with django_capture_on_commit_callbacks(execute=True):
            return run(in_tenant_a)

    set_policy(in_tenant_a, notice_days=14, action="deactivate", notify_admins=True)
    now = timezone.now()
    UserFactory.create(username="gone", email="gone@alpha.test", now=now, login_days_ago=D - 7)
    UserFactory.create(username="here", email="here@alpha.test", now=now, login_days_ago=D - 7)
    smtp_server.bounce("gone@alpha.test")

    first = run_and_publish()
    notices_send(schema_name="alpha")
    assert first.users_warned == 2 and first.users_undeliverable == 0
    assert admin_mail_tasks() == []
    days_pass(15)

    second = run_and_publish()

    assert active_names(["gone", "here"]) == {"gone"}  # held; "here" was warned and removed
    assert second.users_undeliverable == 1 and second.users_deactivated == 1
    [held] = second.undeliverable
    assert held["username"] == "gone" and "550" in held["reason"]
    events = [args[2] for args in admin_mail_tasks()]
    assert sorted(events) == ["removed", "undeliverable"]  # one digest for this run
    smtp_server.messages.clear()

    assert admins_notify(schema_name="alpha", report_id=second.pk, event="undeliverable") == 1

    [digest] = smtp_server.messages
    assert digest.to == "admin@alpha.test"
    assert digest.message["Subject"] == (
        f"{in_tenant_a.name}: 1 user could not be warned (Cleanup run #{second.pk})"
    )
    text = digest.part("text/plain")
    assert "gone <gone@alpha.test>" in text and "550" in text
    assert "NOT removed" in text
    assert f"/reports/{second.pk}" in text
    assert "<strong>gone</strong>" in digest.part("text/html")

    # The next run holds them again, and sends its own digest: one per run.
    third = run_and_publish()
    assert third.users_undeliverable == 1
    assert [args[2] for args in admin_mail_tasks()].count("undeliverable") == 2
    assert active_names(["gone"]) == {"gone"}


def test_the_report_api_shows_each_notices_status_and_filters_the_undeliverable(
    admin_a: dict[str, str], tenant_a: Tenant, smtp_server: SmtpServer
) -> None:
    report = CleanupReportFactory.create()
    for name in ("gone", "ann"):
        user = UserFactory.create(username=name, email=f"{name}@alpha.test")
        CleanupNoticeFactory.create(user=user, report=report)
    smtp_server.bounce("gone@alpha.test")
    notices_send(schema_name="alpha")
    url = f"/api/reports/{report.pk}/notices/"
    api = client(TENANT_A, admin_a["access"])

    everyone = api.get(url).json()["results"]
    refused = api.get(f"{url}?status=undeliverable").json()["results"]
    bad = api.get(f"{url}?status=bounced")
    twice = api.get(f"{url}?status=sent&status=pending")

    assert {(n["username"], n["status"]) for n in everyone} == {
        ("gone", "undeliverable"),
        ("ann", "sent"),
    }
    assert [(n["username"], n["error"][:30]) for n in refused] == [
        ("gone", "SMTPRecipientsRefused: 550 5.1")
    ]
    assert bad.status_code == 400 and "status" in bad.json()
    assert twice.status_code == 400
    report_json = api.get(f"/api/reports/{report.pk}/").json()
    assert report_json["users_undeliverable"] == 0 and report_json["undeliverable"] == []
