"""The account lifecycle end to end through a real SMTP server (DESIGN §9): a run warns, the
outbox's sender mails, a later run removes only the warned who stayed away — and a mail
server that is down removes nobody."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from cleanup.models import CleanupAuditEntry, CleanupNotice
from cleanup.services import notices_send
from cleanup.tests.support import D, active_names, days_pass, make_user, run, set_policy
from core.testing.smtp import SmtpServer
from tenants.models import CleanupPolicy, Tenant

NOTICE_DAYS = 14


@pytest.fixture
def population(in_tenant_a: Tenant) -> None:
    set_policy(in_tenant_a, action="deactivate", notice_days=NOTICE_DAYS)
    now = timezone.now()
    make_user("due_soon", now, {"last_login": -(D - 7)})  # matched in 7 days: warn now
    make_user("past_limit", now, {"last_login": -(D + 1)})  # matched now, never warned
    make_user("no_email", now, {"last_login": -(D + 1), "email": ""})
    make_user("fresh", now, {"last_login": -1})
    make_user("staff", now, {"last_login": -(D + 1), "is_staff": True})


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
