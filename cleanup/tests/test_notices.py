"""Sending users' notices through a real SMTP server (aiosmtpd, started by each test):
what is sent, what counts as sent, and what happens when the server is down or refuses."""

import re
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any

import pytest
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from cleanup.models import CleanupNotice, CleanupReport
from cleanup.services.keep import keep_token_read
from cleanup.services.mail import date_text
from cleanup.services.notices import notice_daily_cap, notices_send
from cleanup.tests.factories import CleanupNoticeFactory, CleanupReportFactory
from core.serving import development_url
from core.testing.broker import queued_tasks
from core.testing.smtp import SmtpServer
from tenants.models import Tenant

pytestmark = pytest.mark.usefixtures("in_tenant_a")

KEEP_LINK = re.compile(r"(https?://alpha\.localhost[^\s\"<]*/keep/([^/\s\"<]+)/)")


def notice_make(
    report: CleanupReport, username: str, *, due_in_days: float = 14, **user_fields: Any
) -> CleanupNotice:
    """A notice the run wrote for a user inactive for 80 days."""
    user_fields.setdefault("email", f"{username}@alpha.test")
    user_fields.setdefault("login_days_ago", 80)
    user = UserFactory.create(username=username, **user_fields)
    return CleanupNoticeFactory.create(user=user, report=report, due_in_days=due_in_days)


def follow_ups() -> list[list[Any]]:
    return [
        args
        for name, args, _ in queued_tasks(settings.CELERY_BROKER_URL, "notices")
        if name == "cleanup.send_notices"
    ]


def refreshed(notice: CleanupNotice) -> CleanupNotice:
    notice.refresh_from_db()
    return notice


# --- What is sent


def test_a_due_notice_is_sent_and_counts_only_from_then(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    notice = notice_make(CleanupReportFactory.create(), "ann")
    assert notice.sent_at is None
    before = timezone.now()

    outcome = notices_send(schema_name="alpha")

    assert outcome.sent == 1
    assert outcome.follow_up_in is None
    assert [message.to for message in smtp_server.messages] == ["ann@alpha.test"]
    notice = refreshed(notice)
    assert notice.sent_at is not None and notice.sent_at >= before
    assert notice.attempts == 0
    assert follow_ups() == []


def test_the_email_names_the_tenant_and_the_date_in_its_subject_and_has_both_parts(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    notice = notice_make(
        CleanupReportFactory.create(policy_fields={"timezone": "Europe/Berlin"}),
        "ann",
        due_in_days=20,
    )

    notices_send(schema_name="alpha")

    received = smtp_server.to("ann@alpha.test")[0]
    date = date_text(notice.due_at, "Europe/Berlin")
    assert received.message["Subject"] == f"Alpha: your account will be deactivated on {date}"
    text, html = received.part("text/plain"), received.part("text/html")
    for body in (text, html):
        assert "Alpha" in body
        assert f"deactivated on {date}" in body.replace("<strong>", "")
        assert "https://alpha.localhost/" in body  # sign in at the tenant's address
    assert "Hello ann," in text
    assert received.message["Auto-Submitted"] == "auto-generated"


def test_the_keep_link_in_both_parts_names_the_user_and_is_signed_for_this_tenant(
    smtp_server: SmtpServer, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    notice = notice_make(CleanupReportFactory.create(), "ann")

    notices_send(schema_name="alpha")

    received = smtp_server.to("ann@alpha.test")[0]
    text_links = KEEP_LINK.findall(received.part("text/plain"))
    html_links = KEEP_LINK.findall(received.part("text/html"))
    assert text_links and html_links
    url, token = text_links[0]
    assert url.startswith("https://alpha.localhost/keep/")
    assert html_links[0] == (url, token)
    claim = keep_token_read(tenant_pk=tenant_a.pk, token=token)
    assert (claim.user_id, claim.notice_id) == (notice.user_id, notice.pk)
    # Valid until NOTICE_KEEP_LINK_DAYS after the announced removal.
    assert claim.expires_at > notice.due_at + timedelta(days=settings.NOTICE_KEEP_LINK_DAYS - 1)
    with pytest.raises(Exception, match="not valid"):
        keep_token_read(tenant_pk=tenant_b.pk, token=token)


def test_in_development_the_keep_link_names_the_port_gunicorn_binds(
    smtp_server: SmtpServer, settings: Any
) -> None:
    settings.TENANT_URL = development_url("127.0.0.1:8123")  # GUNICORN_BIND, DEBUG=1
    notice_make(CleanupReportFactory.create(), "ann")

    notices_send(schema_name="alpha")

    received = smtp_server.to("ann@alpha.test")[0]
    for part in ("text/plain", "text/html"):
        [(url, _)] = set(KEEP_LINK.findall(received.part(part)))
        assert url.startswith("http://alpha.localhost:8123/keep/")
        assert "http://alpha.localhost:8123/" in received.part(part)  # where to sign in


def test_the_sender_is_the_tenant_by_name_at_the_default_from_address(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    notice_make(CleanupReportFactory.create(), "ann")

    notices_send(schema_name="alpha")

    sender = smtp_server.to("ann@alpha.test")[0].message["From"].addresses[0]
    assert sender.display_name == "Alpha"
    assert sender.addr_spec == parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


@pytest.mark.parametrize(
    "name",
    [
        'Ünïcode Brüder, "Quoted" & Co',
        "Acme <ceo@evil.test>, Inc.",
        "Name\r\nBcc: victim@evil.test",
        "Ω" * 100,
    ],
)
def test_a_tenant_name_with_commas_quotes_non_ascii_or_newlines_stays_one_display_name(
    smtp_server: SmtpServer, tenant_a: Tenant, name: str
) -> None:
    Tenant.objects.filter(pk=tenant_a.pk).update(name=name)
    notice = notice_make(CleanupReportFactory.create(), "ann")

    notices_send(schema_name="alpha")

    assert refreshed(notice).sent_at is not None
    [received] = smtp_server.messages
    assert len(received.message["From"].addresses) == 1
    assert received.sender() == (
        re.sub(r"[\r\n]+", " ", name),
        parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
    )
    assert received.rcpt_tos == ["ann@alpha.test"]
    assert received.message["Bcc"] is None
    # (Django folds an encoded subject before its first word: unfolded, that is a space.)
    assert received.message["Subject"].strip().startswith(re.sub(r"[\r\n]+", " ", name) + ":")


@pytest.mark.parametrize(
    ("policy", "says", "never_says"),
    [
        ({"action": "deactivate"}, "will be deactivated on", "deleted"),
        ({"action": "delete"}, "will be deleted on", "deactivated"),
        (
            {"action": "deactivate", "delete_after_days": 30},
            "It will be deleted 30 days later unless an administrator reactivates it",
            "cannot be restored",
        ),
    ],
)
def test_the_email_says_what_the_policy_will_do(
    smtp_server: SmtpServer, tenant_a: Tenant, policy: dict[str, Any], says: str, never_says: str
) -> None:
    notice_make(CleanupReportFactory.create(policy_fields=policy), "ann")

    notices_send(schema_name="alpha")

    received = smtp_server.to("ann@alpha.test")[0]
    for body in (received.part("text/plain"), received.part("text/html")):
        flat = " ".join(body.replace("<strong>", "").replace("</strong>", "").split())
        assert says in flat
        assert never_says not in flat


def test_a_notice_sent_late_announces_its_full_notice_period_not_its_past_due_date(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    """The mail server was down for a week: the user still gets notice_days of warning."""
    notice = notice_make(
        CleanupReportFactory.create(policy_fields={"notice_days": 14}), "ann", due_in_days=7
    )

    notices_send(schema_name="alpha")

    subject = smtp_server.to("ann@alpha.test")[0].message["Subject"]
    sent_at = refreshed(notice).sent_at
    assert sent_at is not None
    assert date_text(sent_at + timedelta(days=14), "UTC") in subject
    assert date_text(notice.due_at, "UTC") not in subject


def test_only_notices_that_still_matter_are_sent(smtp_server: SmtpServer, tenant_a: Tenant) -> None:
    report = CleanupReportFactory.create()
    due = notice_make(report, "due")
    sent_before = notice_make(report, "sent_before")
    CleanupNotice.objects.filter(pk=sent_before.pk).update(sent_at=timezone.now(), status="sent")
    active_since = notice_make(report, "active_since")
    User.objects.filter(pk=active_since.user_id).update(last_seen=timezone.now())
    deactivated = notice_make(report, "deactivated", is_active=False)
    gone = notice_make(report, "gone")
    User.objects.filter(pk=gone.user_id).delete()

    outcome = notices_send(schema_name="alpha")

    assert outcome.sent == 1
    assert [message.to for message in smtp_server.messages] == ["due@alpha.test"]
    assert refreshed(due).sent_at is not None
    for kept_unsent in (active_since, deactivated, gone):
        assert refreshed(kept_unsent).sent_at is None
        assert kept_unsent.attempts == 0
    assert outcome.follow_up_in is None  # nothing left that could be sent later


# --- The mail server fails


def test_with_the_smtp_server_down_nothing_is_marked_sent_and_the_attempt_is_recorded(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    report = CleanupReportFactory.create()
    notices = [notice_make(report, f"user{i}") for i in range(3)]
    smtp_server.stop()
    before = timezone.now()

    outcome = notices_send(schema_name="alpha")

    assert (outcome.sent, outcome.failed) == (0, 3)
    for notice in map(refreshed, notices):
        assert notice.sent_at is None
        assert notice.attempts == 1
        assert "ConnectionRefusedError" in notice.last_error
        assert notice.next_attempt_at is not None
        assert (
            before + timedelta(seconds=settings.NOTICE_RETRY_BASE_S)
            <= notice.next_attempt_at
            <= timezone.now() + timedelta(seconds=settings.NOTICE_RETRY_BASE_S)
        )
    # Retried by the sender's own countdown, when the first retry is due.
    assert follow_ups() == [["alpha"]]
    assert outcome.follow_up_in is not None
    assert 1 <= outcome.follow_up_in <= settings.NOTICE_RETRY_BASE_S


def test_a_notice_waiting_out_its_retry_is_not_sent_before_its_time(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    notice = notice_make(CleanupReportFactory.create(), "ann")
    retry_at = timezone.now() + timedelta(minutes=10)
    CleanupNotice.objects.filter(pk=notice.pk).update(attempts=1, next_attempt_at=retry_at)

    outcome = notices_send(schema_name="alpha")

    assert outcome.sent == 0
    assert smtp_server.messages == []
    assert outcome.follow_up_in is not None
    assert 9 * 60 <= outcome.follow_up_in <= 10 * 60
    assert follow_ups() == [["alpha"]]


def test_the_backoff_doubles_with_each_failure_up_to_its_cap(
    smtp_server: SmtpServer, tenant_a: Tenant, settings: Any
) -> None:
    settings.NOTICE_RETRY_BASE_S, settings.NOTICE_RETRY_MAX_S = 60, 300
    notice = notice_make(CleanupReportFactory.create(), "ann")
    smtp_server.stop()
    waits = []
    for _ in range(5):
        CleanupNotice.objects.filter(pk=notice.pk).update(next_attempt_at=timezone.now())
        started = timezone.now()
        notices_send(schema_name="alpha")
        notice = refreshed(notice)
        assert notice.next_attempt_at is not None
        waits.append(round((notice.next_attempt_at - started).total_seconds() / 60))

    assert waits == [1, 2, 4, 5, 5]
    assert notice.attempts == 5
    assert notice.sent_at is None


def test_after_the_server_comes_back_the_retry_sends_every_notice(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    report = CleanupReportFactory.create()
    notices = [notice_make(report, f"user{i}") for i in range(3)]
    smtp_server.stop()
    notices_send(schema_name="alpha")
    assert smtp_server.messages == []

    smtp_server.start()
    # The retry's countdown has passed.
    CleanupNotice.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    outcome = notices_send(schema_name="alpha")

    assert outcome.sent == 3
    assert sorted(message.to for message in smtp_server.messages) == [
        "user0@alpha.test",
        "user1@alpha.test",
        "user2@alpha.test",
    ]
    for notice in map(refreshed, notices):
        assert notice.sent_at is not None
        assert notice.next_attempt_at is None
        assert notice.attempts == 1  # the history of the failed try stays
    assert outcome.follow_up_in is None


def test_an_address_the_server_refuses_for_good_is_undeliverable_and_the_rest_are_sent(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    report = CleanupReportFactory.create()
    ann, bounce, cid = (notice_make(report, name) for name in ("ann", "bounce", "cid"))
    smtp_server.refuse_rcpt["bounce@alpha.test"] = "550 5.1.1 No such mailbox"

    outcome = notices_send(schema_name="alpha")

    assert (outcome.sent, outcome.failed) == (2, 1)
    assert sorted(m.to for m in smtp_server.messages) == ["ann@alpha.test", "cid@alpha.test"]
    assert refreshed(ann).sent_at and refreshed(cid).sent_at
    bounce = refreshed(bounce)
    assert (bounce.status, bounce.sent_at, bounce.next_attempt_at) == ("undeliverable", None, None)
    assert bounce.attempts == 1
    assert "550" in bounce.last_error and "No such mailbox" in bounce.last_error
    # Nothing left to try: no follow-up.
    assert outcome.follow_up_in is None
    assert follow_ups() == []


def test_a_server_that_drops_the_connection_mid_batch_keeps_what_it_accepted(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    report = CleanupReportFactory.create()
    notices = [notice_make(report, name) for name in ("ann", "bob", "cid", "dan")]
    # 421: the server closes the session after refusing bob's message.
    smtp_server.refuse_data["bob@alpha.test"] = "421 4.3.2 Shutting down"

    outcome = notices_send(schema_name="alpha")

    ann, bob, cid, dan = map(refreshed, notices)
    assert [m.to for m in smtp_server.messages] == ["ann@alpha.test"]
    assert ann.sent_at is not None
    assert outcome.sent == 1
    for notice in (bob, cid, dan):
        assert notice.sent_at is None
        assert notice.attempts == 1
        assert notice.next_attempt_at is not None
    assert "421" in bob.last_error
    assert "SMTPServerDisconnected" in cid.last_error


# --- The rate limit


def test_at_most_the_per_minute_budget_is_sent_and_the_rest_is_re_enqueued(
    smtp_server: SmtpServer, tenant_a: Tenant, settings: Any
) -> None:
    settings.NOTICE_RATE_PER_MINUTE = 5
    report = CleanupReportFactory.create()
    for i in range(12):
        notice_make(report, f"user{i:02}")

    first = notices_send(schema_name="alpha", batch_size=2)
    # Another sender of the same tenant in the same minute draws on the same budget.
    second = notices_send(schema_name="alpha", batch_size=2)

    assert (first.sent, second.sent) == (5, 0)
    assert len(smtp_server.messages) == 5
    assert CleanupNotice.objects.filter(sent_at__isnull=True).count() == 7
    # Waiting for the budget is no failure.
    assert set(CleanupNotice.objects.values_list("attempts", flat=True)) == {0}
    # The rest waits for the next minute: the sender re-enqueued itself with a countdown.
    assert first.follow_up_in is not None
    assert 0 < first.follow_up_in <= 60
    assert follow_ups() == [["alpha"], ["alpha"]]


def test_a_zero_rate_lifts_the_limit(
    smtp_server: SmtpServer, tenant_a: Tenant, settings: Any
) -> None:
    settings.NOTICE_RATE_PER_MINUTE = 0
    report = CleanupReportFactory.create()
    for i in range(12):
        notice_make(report, f"user{i:02}")

    outcome = notices_send(schema_name="alpha", batch_size=5)

    assert outcome.sent == 12
    assert outcome.follow_up_in is None


# --- The daily cap


def sent_to() -> list[str]:
    return sorted(
        CleanupNotice.objects.filter(sent_at__isnull=False).values_list("email", flat=True)
    )


def test_with_a_cap_of_n_exactly_n_go_today_and_the_rest_go_once_the_day_has_passed(
    smtp_server: SmtpServer, tenant_a: Tenant, settings: Any
) -> None:
    settings.NOTICE_DAILY_CAP_MIN, settings.NOTICE_DAILY_CAP_RATIO = 3, 0
    report = CleanupReportFactory.create()
    for i in range(5):
        notice_make(report, f"user{i}")

    today = notices_send(schema_name="alpha", batch_size=2)
    later_today = notices_send(schema_name="alpha", batch_size=2)

    assert (today.sent, today.failed, later_today.sent) == (3, 0, 0)
    assert sorted(m.to for m in smtp_server.messages) == sent_to()
    assert sent_to() == ["user0@alpha.test", "user1@alpha.test", "user2@alpha.test"]
    waiting = CleanupNotice.objects.filter(sent_at__isnull=True)
    assert waiting.count() == 2
    # Waiting for the cap is no failure: no attempt counted, no retry time.
    assert {(n.attempts, n.next_attempt_at) for n in waiting} == {(0, None)}
    # The sender comes back by itself when the first of today's notices is 24 hours old.
    for outcome in (today, later_today):
        assert outcome.follow_up_in is not None
        assert 24 * 3600 - 60 < outcome.follow_up_in <= 24 * 3600
    assert follow_ups() == [["alpha"], ["alpha"]]

    # A day later (as the follow-up runs): today's notices were sent 24 hours ago.
    CleanupNotice.objects.filter(sent_at__isnull=False).update(
        sent_at=F("sent_at") - timedelta(hours=24)
    )
    next_day = notices_send(schema_name="alpha", batch_size=2)

    assert next_day.sent == 2
    assert next_day.follow_up_in is None
    assert not CleanupNotice.objects.filter(sent_at__isnull=True).exists()
    assert len(smtp_server.messages) == 5
    assert sorted(m.to for m in smtp_server.messages) == sent_to()


def test_the_cap_counts_every_notice_sent_in_the_last_24_hours_and_no_older_one(
    smtp_server: SmtpServer, tenant_a: Tenant, settings: Any
) -> None:
    settings.NOTICE_DAILY_CAP_MIN, settings.NOTICE_DAILY_CAP_RATIO = 3, 0
    report = CleanupReportFactory.create()
    now = timezone.now()
    for name, hours_ago in (("yesterday", 24.1), ("tonight", 23.9), ("this_morning", 5)):
        notice = notice_make(report, name)
        CleanupNotice.objects.filter(pk=notice.pk).update(
            sent_at=now - timedelta(hours=hours_ago), status="sent"
        )
    for i in range(3):
        notice_make(report, f"user{i}")

    outcome = notices_send(schema_name="alpha")

    # Two of the last 24 hours' three are spent: one more goes.
    assert outcome.sent == 1
    assert [m.to for m in smtp_server.messages] == ["user0@alpha.test"]
    # The next one may go when the one sent 23.9 hours ago is 24 hours old.
    assert outcome.follow_up_in is not None
    assert 0.1 * 3600 - 60 < outcome.follow_up_in <= 0.1 * 3600


def test_the_cap_is_a_share_of_the_tenants_users_when_that_is_larger(
    smtp_server: SmtpServer, tenant_a: Tenant, settings: Any
) -> None:
    settings.NOTICE_DAILY_CAP_MIN, settings.NOTICE_DAILY_CAP_RATIO = 1, 0.5
    report = CleanupReportFactory.create()
    for i in range(6):
        notice_make(report, f"user{i}")
    users = User.objects.count()  # alpha's admin and the six
    assert users == 7

    outcome = notices_send(schema_name="alpha")

    assert outcome.sent == 4  # half of 7, rounded up
    assert len(smtp_server.messages) == 4


@pytest.mark.parametrize(
    ("minimum", "ratio", "users", "cap"),
    [
        (100, 0.1, 0, 100),
        (100, 0.1, 1000, 100),
        (100, 0.1, 1001, 101),
        (100, 0.1, 1100, 110),
        (100, 0.1, 25_000, 2500),
        (0, 0.1, 5, 1),
        (7, 0, 10_000, 7),
        (0, 0, 10_000, None),
    ],
)
def test_the_daily_cap_is_the_larger_of_its_minimum_and_its_share_of_the_users(
    settings: Any, minimum: int, ratio: float, users: int, cap: int | None
) -> None:
    settings.NOTICE_DAILY_CAP_MIN, settings.NOTICE_DAILY_CAP_RATIO = minimum, ratio

    assert notice_daily_cap(users) == cap


# --- Tenants the sender does not send for


def test_a_suspended_tenant_sends_nothing_and_keeps_its_outbox(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    notice = notice_make(CleanupReportFactory.create(), "ann")
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=False)

    outcome = notices_send(schema_name="alpha")

    assert outcome.sent == 0
    assert smtp_server.messages == []
    assert refreshed(notice).sent_at is None
    assert follow_ups() == []


@pytest.mark.parametrize("schema_name", ["public", "no_such_tenant"])
def test_the_public_schema_or_a_gone_tenant_sends_nothing(
    smtp_server: SmtpServer, schema_name: str
) -> None:
    assert notices_send(schema_name=schema_name).sent == 0
    assert smtp_server.messages == []


def test_the_date_text_is_a_readable_day_in_the_tenants_timezone() -> None:
    moment = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)

    assert date_text(moment, "UTC") == "Saturday, 14 March 2026"
    assert date_text(moment, "Europe/Berlin") == "Sunday, 15 March 2026"
    assert date_text(moment, "Not/AZone") == "Saturday, 14 March 2026"
