"""The account lifecycle end to end through a real SMTP server
(docs/architecture.md#notices-and-the-keep-link): a run warns, the
outbox's sender mails, a later run removes only the warned who stayed away — and a mail
server that is down removes nobody."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from cleanup.models import CleanupAuditEntry, CleanupNotice
from cleanup.selectors import cleanup_preview
from cleanup.services.mail import date_text
from cleanup.services.notices import notices_send
from cleanup.tests.support import D, active_names, days_pass, run, set_policy
from core.testing.smtp import SmtpServer
from policy.models import CleanupPolicy
from policy.rules import PolicySpec
from tenants.models import Tenant

NOTICE_DAYS = 14


@pytest.fixture
def population(in_tenant_a: Tenant) -> None:
    set_policy(in_tenant_a, action="deactivate", notice_days=NOTICE_DAYS)
    now = timezone.now()
    UserFactory.create(
        username="due_soon", now=now, login_days_ago=D - 7
    )  # matched in 7 days: warn now
    UserFactory.create(
        username="past_limit", now=now, login_days_ago=D + 1
    )  # matched now, never warned
    UserFactory.create(username="no_email", now=now, login_days_ago=D + 1, email="")
    UserFactory.create(username="fresh", now=now, login_days_ago=1)
    UserFactory.create(username="staff", now=now, login_days_ago=D + 1, is_staff=True)


def notice_counts(tenant: Tenant) -> tuple[int, int]:
    policy = CleanupPolicy.objects.get(tenant=tenant)
    return policy.notices_sent, policy.notices_failed


def recipients(server: SmtpServer) -> list[str]:
    return sorted(address for message in server.messages for address in message.rcpt_tos)


def test_a_run_warns_by_mail_and_a_later_run_removes_only_the_warned_who_stayed_away(
    in_tenant_a: Tenant, population: None, smtp_server: SmtpServer
) -> None:
    first = run(in_tenant_a)

    # Warned: the two with an address who are (or soon will be) past the limit. Removed at
    # once: only the one nobody can warn. Staff and the active are untouched.
    assert (first.users_warned, first.users_deactivated) == (2, 1)
    assert active_names(["due_soon", "past_limit", "no_email", "fresh", "staff"]) == {
        "due_soon",
        "past_limit",
        "fresh",
        "staff",
    }
    (silent,) = CleanupAuditEntry.objects.filter(report=first)
    assert (silent.username, silent.noticed_at) == ("no_email", None)

    assert notices_send(schema_name="alpha").sent == 2
    assert recipients(smtp_server) == ["due_soon@example.com", "past_limit@example.com"]
    assert not CleanupNotice.objects.filter(sent_at__isnull=True).exists()
    assert notice_counts(in_tenant_a) == (2, 0)  # what /metrics reports, from public

    # The notice period goes by; due_soon follows the link (or signs in) in the meantime.
    days_pass(NOTICE_DAYS + 1)
    User.objects.filter(username="due_soon").update(last_seen=timezone.now())
    second = run(in_tenant_a)

    assert (second.users_warned, second.users_deactivated) == (0, 1)
    (removed,) = CleanupAuditEntry.objects.filter(report=second)
    notice = CleanupNotice.objects.get(user_id=removed.user_id)
    assert (removed.username, removed.noticed_at) == ("past_limit", notice.sent_at)
    assert active_names(["due_soon", "past_limit", "fresh", "staff"]) == {
        "due_soon",
        "fresh",
        "staff",
    }

    # A later episode: due_soon drifts away again and gets a new notice, not the void one
    # (so does fresh, by now as idle as the others were).
    days_pass(D - 10)
    third = run(in_tenant_a)
    due_soon = User.objects.get(username="due_soon")
    assert third.users_warned == 2 and third.users_deactivated == 0
    warned = CleanupNotice.objects.filter(report=third).values_list("user_id", flat=True)
    assert set(warned) == set(
        User.objects.filter(username__in=["due_soon", "fresh"]).values_list("pk", flat=True)
    )
    assert CleanupNotice.objects.filter(user_id=due_soon.pk).count() == 2


def test_with_the_mail_server_down_nobody_with_an_address_is_removed_until_it_is_back(
    in_tenant_a: Tenant, population: None, smtp_server: SmtpServer
) -> None:
    run(in_tenant_a)
    smtp_server.stop()  # the port is closed: the server is down

    outcome = notices_send(schema_name="alpha")

    assert outcome.sent == 0 and smtp_server.messages == []
    unsent = CleanupNotice.objects.filter(sent_at__isnull=True)
    assert unsent.count() == 2 and all(n.attempts >= 1 and n.last_error for n in unsent)
    assert notice_counts(in_tenant_a) == (0, 2)

    # Far past the notice period, but no notice was ever sent: the run removes nobody it
    # should have warned, and writes no second notice for them either.
    days_pass(NOTICE_DAYS + 10)
    second = run(in_tenant_a)
    assert (second.users_warned, second.users_deactivated) == (0, 0)
    assert active_names(["due_soon", "past_limit", "fresh", "staff"]) == {
        "due_soon",
        "past_limit",
        "fresh",
        "staff",
    }

    # The server is back and the backoff has run out: the sender delivers both.
    smtp_server.start()
    CleanupNotice.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert notices_send(schema_name="alpha").sent == 2
    assert recipients(smtp_server) == ["due_soon@example.com", "past_limit@example.com"]


# --- The platform is no mail relay


def mailed(server: SmtpServer) -> set[str]:
    return {message.to.split("@")[0] for message in server.messages}


def test_an_account_younger_than_seven_days_gets_no_notice_and_waits_unremoved(
    in_tenant_a: Tenant, smtp_server: SmtpServer
) -> None:
    """An admin creates an account with someone else's address; the policy matches new
    accounts at once (never signed in after 1 day). Nobody mails it, nor removes it un-warned,
    until it is a week old."""
    set_policy(in_tenant_a, action="deactivate", notice_days=NOTICE_DAYS, never_logged_in_days=1)
    now = timezone.now()
    UserFactory.create(username="three_days_old", now=now, joined_days_ago=3)
    UserFactory.create(username="thirty_days_old", now=now, joined_days_ago=30)
    UserFactory.create(username="fresh", now=now, login_days_ago=1, joined_days_ago=30)
    everyone = ["three_days_old", "thirty_days_old", "fresh"]

    policy = CleanupPolicy.objects.get(tenant=in_tenant_a)
    preview = cleanup_preview(PolicySpec.from_policy(policy), timezone.now())
    first = run(in_tenant_a)
    assert notices_send(schema_name="alpha").sent == 1

    counts = ("users_matched", "users_to_warn", "users_to_deactivate", "users_to_delete")
    assert {name: preview[name] for name in counts} == dict(zip(counts, (2, 1, 0, 0), strict=True))
    assert (first.users_matched, first.users_warned, first.users_removed) == (2, 1, 0)
    assert mailed(smtp_server) == {"thirty_days_old"}
    young = User.objects.get(username="three_days_old")
    assert not CleanupNotice.objects.filter(user_id=young.pk).exists()
    assert active_names(everyone) == set(everyone)

    # Six days old: still unwarned, still there.
    days_pass(3)
    second = run(in_tenant_a)
    assert (second.users_warned, second.users_removed) == (0, 0)
    assert not CleanupNotice.objects.filter(user_id=young.pk).exists()

    # A week old: now it is warned like anyone else, and mailed.
    days_pass(1)
    third = run(in_tenant_a)
    assert (third.users_warned, third.users_removed) == (1, 0)
    assert notices_send(schema_name="alpha").sent == 1
    assert mailed(smtp_server) == {"thirty_days_old", "three_days_old"}
    assert active_names(everyone) == set(everyone)


def test_a_notice_that_waited_for_the_daily_cap_gives_its_full_notice_from_when_it_was_sent(
    in_tenant_a: Tenant, smtp_server: SmtpServer, settings: Any
) -> None:
    settings.NOTICE_DAILY_CAP_MIN, settings.NOTICE_DAILY_CAP_RATIO = 1, 0
    set_policy(in_tenant_a, action="deactivate", notice_days=7)
    now = timezone.now()
    UserFactory.create(username="first", now=now, login_days_ago=D + 1)
    UserFactory.create(username="second", now=now, login_days_ago=D + 1)
    UserFactory.create(username="fresh", now=now, login_days_ago=1)
    everyone = ["first", "second", "fresh"]

    warned = run(in_tenant_a)
    assert (warned.users_warned, warned.users_removed) == (2, 0)
    assert notices_send(schema_name="alpha").sent == 1  # day 0: the cap is spent
    assert mailed(smtp_server) == {"first"}
    days_pass(1)
    assert notices_send(schema_name="alpha").sent == 1  # day 1
    assert mailed(smtp_server) == {"first", "second"}
    late = CleanupNotice.objects.get(email="second@example.com")
    assert late.sent_at is not None and late.sent_at - late.created_at >= timedelta(days=1)
    # Its email announces the removal notice_days after it was sent, not after it was written.
    subject = smtp_server.to("second@example.com")[0].message["Subject"]
    assert date_text(late.sent_at + timedelta(days=7), "UTC") in subject

    # Day 7: only the notice sent on day 0 has run its seven days.
    days_pass(6)
    day_7 = run(in_tenant_a)
    assert day_7.users_removed == 1
    (removed,) = CleanupAuditEntry.objects.filter(report=day_7)
    first_notice = CleanupNotice.objects.get(email="first@example.com")
    assert (removed.username, removed.noticed_at) == ("first", first_notice.sent_at)
    assert active_names(everyone) == {"second", "fresh"}

    days_pass(1)
    day_8 = run(in_tenant_a)
    (removed,) = CleanupAuditEntry.objects.filter(report=day_8)
    late.refresh_from_db()
    assert (removed.username, removed.noticed_at) == ("second", late.sent_at)
    assert active_names(everyone) == {"fresh"}


def test_over_the_daily_cap_nobody_whose_notice_is_still_unsent_is_removed(
    in_tenant_a: Tenant, smtp_server: SmtpServer, settings: Any
) -> None:
    settings.NOTICE_DAILY_CAP_MIN, settings.NOTICE_DAILY_CAP_RATIO = 2, 0
    set_policy(in_tenant_a, action="deactivate", notice_days=NOTICE_DAYS)
    now = timezone.now()
    names = [f"idle{i}" for i in range(5)]
    for name in names:
        UserFactory.create(username=name, now=now, login_days_ago=D + 1)
    UserFactory.create(username="fresh", now=now, login_days_ago=1)

    assert run(in_tenant_a).users_warned == 5
    outcome = notices_send(schema_name="alpha")
    assert outcome.sent == 2
    assert outcome.follow_up_in is not None and outcome.follow_up_in > 23 * 3600
    told = mailed(smtp_server)

    # Long past the notice period, and the rest never went out (their sender has not come
    # back yet): only the two who were told are removed; nobody is warned twice.
    days_pass(NOTICE_DAYS + 3)
    later = run(in_tenant_a)
    assert (later.users_warned, later.users_removed) == (0, 2)
    removed = set(CleanupAuditEntry.objects.filter(report=later).values_list("username", flat=True))
    assert removed == told
    untold = set(names) - told
    assert active_names(names) == untold
    assert CleanupNotice.objects.filter(sent_at__isnull=True).count() == 3

    # The day has long passed: the sender has room for two more, the last waits a day.
    assert notices_send(schema_name="alpha").sent == 2
    assert CleanupNotice.objects.filter(sent_at__isnull=True).count() == 1
    assert active_names(names) == untold
