"""`POST /api/signals/`: activity seen by the tenant's own systems keeps accounts exactly as
a sign-in does (docs/api.md#activity-signals)."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.activity import API, LOGIN, last_active
from accounts.activity_signals import MAX_SIGNALS
from accounts.models import User, UserActivitySource
from accounts.tests.factories import UserFactory
from cleanup.models import CleanupAuditEntry, CleanupNotice
from cleanup.tests.support import D, active_names, days_pass, notices_send, run, set_policy
from core.testing import TENANT_A, client
from tenants.models import Tenant

URL = "/api/signals/"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def send(admin: dict[str, str], signals: Any, host: str = TENANT_A) -> Any:
    return client(host, admin["access"]).post(URL, {"signals": signals}, format="json")


def signal(user: str, days_ago: float = 1, source: str = "sso") -> dict[str, str]:
    return {"user": user, "at": iso(timezone.now() - timedelta(days=days_ago)), "source": source}


def snapshot() -> dict[str, Any]:
    """Every user's activity columns and every per-source row, with the row versions (`ctid`:
    an UPDATE writes a new one): equal snapshots mean nothing was written. The calling admin's
    own API use is left out."""
    with schema_context("alpha"), connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, ctid::text, last_seen, last_seen_source FROM accounts_user "
            "WHERE username <> 'admin' ORDER BY id"
        )
        users = cursor.fetchall()
        cursor.execute(
            "SELECT user_id, source, s.ctid::text, last_at FROM accounts_useractivitysource s "
            "JOIN accounts_user u ON u.id = s.user_id WHERE u.username <> 'admin' "
            "ORDER BY user_id, source"
        )
        return {"users": users, "sources": cursor.fetchall()}


@pytest.mark.django_db
def test_a_signal_moves_last_seen_and_keeps_each_sources_latest_time(
    admin_a: dict[str, str],
) -> None:
    with schema_context("alpha"):
        UserFactory.create(username="ann", email="Ann@Example.com", login_days_ago=200)
        UserFactory.create(username="bob", external_id="okta-00b1", login_days_ago=200)
    now = timezone.now()
    response = send(
        admin_a,
        [
            {"user": "ann", "at": iso(now - timedelta(days=3)), "source": "sso"},
            {"user": "ann@example.COM", "at": iso(now - timedelta(days=1)), "source": "vpn"},
            {"user": "ann", "at": iso(now - timedelta(days=5)), "source": "sso"},
            {"user": "okta-00b1", "at": iso(now - timedelta(hours=2)), "source": "app"},
        ],
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 4, "unknown": [], "rejected": []}
    with schema_context("alpha"):
        ann = User.objects.get(username="ann")
        assert ann.last_seen_source == "vpn" and ann.last_seen is not None
        assert abs(ann.last_seen - (now - timedelta(days=1))) < timedelta(seconds=1)
        rows = dict(ann.activity_sources.values_list("source", "last_at"))
        assert set(rows) == {"sso", "vpn"}
        assert abs(rows["sso"] - (now - timedelta(days=3))) < timedelta(seconds=1)
        bob = User.objects.get(username="bob")
        assert last_active(bob.last_login, bob.last_seen, bob.last_seen_source).source == "app"


@pytest.mark.django_db
def test_replaying_a_request_changes_nothing(admin_a: dict[str, str]) -> None:
    with schema_context("alpha"):
        for name in ("ann", "bob"):
            UserFactory.create(username=name, login_days_ago=200)
    body = [signal("ann", 2), signal("bob", 1, "app"), signal("ann", 3, "vpn")]
    assert send(admin_a, body).json()["accepted"] == 3
    before = snapshot()
    assert send(admin_a, body).json() == {"accepted": 3, "unknown": [], "rejected": []}
    assert snapshot() == before
    # An older time than the one kept changes nothing either.
    assert send(admin_a, [signal("ann", 9)]).json()["accepted"] == 1
    assert snapshot() == before


@pytest.mark.django_db
def test_unknown_users_are_named_not_created(admin_a: dict[str, str]) -> None:
    with schema_context("alpha"):
        UserFactory.create(username="ann")
        count = User.objects.count()
    response = send(admin_a, [signal("ghost"), signal("ann"), signal("ghost"), signal("x@y.z")])
    assert response.json() == {"accepted": 1, "unknown": ["ghost", "x@y.z"], "rejected": []}
    with schema_context("alpha"):
        assert User.objects.count() == count
        assert not UserActivitySource.objects.exclude(user__username__in=["ann", "admin"]).exists()


@pytest.mark.django_db
def test_future_and_malformed_entries_are_rejected_by_index_and_write_nothing(
    admin_a: dict[str, str],
) -> None:
    with schema_context("alpha"):
        UserFactory.create(username="ann", login_days_ago=200)
    now = timezone.now()
    before = snapshot()
    entries: list[Any] = [
        {"user": "ann", "at": iso(now + timedelta(minutes=6)), "source": "sso"},
        # Arabic-Indic digits
        {"user": "ann", "at": "\u0662\u0660\u0662\u0666-03-14T09:30:00Z", "source": "sso"},
        {"user": "ann", "at": "2026-03-14T09:30:00", "source": "sso"},  # no offset
        {"user": "ann", "at": "2026-02-30T09:30:00Z", "source": "sso"},
        {"user": "ann", "at": "1999-12-31T23:59:59Z", "source": "sso"},
        {"user": "ann\x00", "at": iso(now), "source": "sso"},
        {"user": "ann", "at": iso(now), "source": "login"},
        {"user": "ann", "at": iso(now), "source": "SSO"},
        {"user": "ann", "at": iso(now), "source": "sso\n"},
        {"user": "ann", "at": iso(now), "source": "sso", "extra": 1},
        {"user": "ann", "at": iso(now)},
        {"user": 7, "at": iso(now), "source": "sso"},
        "ann",
        None,
    ]
    response = send(admin_a, entries)
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 0 and body["unknown"] == []
    assert [item["index"] for item in body["rejected"]] == list(range(len(entries)))
    assert "future" in body["rejected"][0]["reason"]
    assert snapshot() == before
    # Up to 5 minutes ahead is a clock's skew, accepted.
    ahead = {"user": "ann", "at": iso(now + timedelta(minutes=4)), "source": "sso"}
    assert send(admin_a, [ahead]).json()["accepted"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        [],
        {"signals": "ann"},
        {"signals": {"user": "ann"}},
        {"signals": [], "more": 1},
        {"entries": []},
        {"signals": [signal("ann")] * (MAX_SIGNALS + 1)},
    ],
)
def test_a_body_that_is_not_a_list_of_at_most_10000_is_a_400(
    admin_a: dict[str, str], body: Any
) -> None:
    with schema_context("alpha"):
        UserFactory.create(username="ann", login_days_ago=200)
    before = snapshot()
    response = client(TENANT_A, admin_a["access"]).post(URL, body, format="json")
    assert response.status_code == 400
    assert "signals" in response.json()
    assert snapshot() == before


@pytest.mark.django_db
def test_an_email_several_users_share_is_rejected_not_guessed(admin_a: dict[str, str]) -> None:
    with schema_context("alpha"):
        UserFactory.create(username="ann", email="team@example.com")
        UserFactory.create(username="bob", email="TEAM@example.com")
    body = send(admin_a, [signal("team@example.com")]).json()
    assert body["accepted"] == 0 and body["rejected"][0]["index"] == 0
    assert "several users" in body["rejected"][0]["reason"]


@pytest.mark.django_db
def test_a_user_of_another_tenant_is_unknown_here(
    admin_a: dict[str, str], tenant_b: Tenant
) -> None:
    with schema_context("beta"):
        UserFactory.create(username="only_in_beta", login_days_ago=200)
    assert send(admin_a, [signal("only_in_beta")]).json()["unknown"] == ["only_in_beta"]
    with schema_context("beta"):
        assert User.objects.get(username="only_in_beta").last_seen is None


@pytest.mark.django_db
def test_members_and_auditors_may_not_send_signals(
    member_a: dict[str, str], auditor_a: dict[str, str]
) -> None:
    for caller in (member_a, auditor_a):
        assert send(caller, [signal("admin")]).status_code == 403
    assert client(TENANT_A).post(URL, {"signals": []}, format="json").status_code == 401


@pytest.mark.django_db
def test_api_use_is_recorded_as_source_api(admin_a: dict[str, str]) -> None:
    with schema_context("alpha"):
        admin = User.objects.get(username="admin")
        # The token was just obtained: a sign-in.
        assert last_active(admin.last_login, admin.last_seen, admin.last_seen_source)[1] in (
            LOGIN,
            API,
        )
        User.objects.filter(pk=admin.pk).update(last_seen=None)
    client(TENANT_A, admin_a["access"]).get("/api/me/")
    with schema_context("alpha"):
        admin.refresh_from_db()
        assert admin.last_seen_source == API
        assert admin.activity_sources.filter(source=API).exists()


# --- A signal keeps a user in every stage; a user without one, in the same run, goes.


@pytest.fixture
def two_inactive(in_tenant_a: Tenant) -> None:
    for name in ("signalled", "silent"):
        UserFactory.create(username=name, login_days_ago=D + 10)


def test_a_signal_keeps_a_user_from_being_warned(
    in_tenant_a: Tenant, two_inactive: None, admin_a: dict[str, str]
) -> None:
    set_policy(in_tenant_a, notice_days=14)
    assert send(admin_a, [signal("signalled", days_ago=2)]).json()["accepted"] == 1
    report = run(in_tenant_a)
    warned = set(
        User.objects.filter(
            pk__in=CleanupNotice.objects.filter(report=report).values("user_id")
        ).values_list("username", flat=True)
    )
    assert "silent" in warned and "signalled" not in warned


def test_a_signal_keeps_a_user_from_being_removed(
    in_tenant_a: Tenant, two_inactive: None, admin_a: dict[str, str]
) -> None:
    set_policy(in_tenant_a, action="delete")
    assert send(admin_a, [signal("signalled", days_ago=D - 1)]).json()["accepted"] == 1
    report = run(in_tenant_a)
    assert set(
        User.objects.filter(username__in=["signalled", "silent"]).values_list("username", flat=True)
    ) == {"signalled"}
    assert list(
        CleanupAuditEntry.objects.filter(report=report).values_list("username", flat=True)
    ) == ["silent"]


def test_a_signal_after_a_notice_voids_it_as_a_sign_in_does(
    in_tenant_a: Tenant, two_inactive: None, admin_a: dict[str, str]
) -> None:
    set_policy(in_tenant_a, notice_days=14)
    warning = run(in_tenant_a)
    notices_send(warning)
    days_pass(15)
    # Seen through single sign-on after the notice was sent (and long after the last login).
    assert send(admin_a, [signal("signalled", days_ago=1)]).json()["accepted"] == 1
    removal = run(in_tenant_a)
    assert active_names(["signalled", "silent"]) == {"signalled"}
    assert removal.users_deactivated == 1


def test_a_signal_keeps_a_deactivated_account_from_the_restore_windows_delete(
    in_tenant_a: Tenant, two_inactive: None, admin_a: dict[str, str]
) -> None:
    set_policy(in_tenant_a, action="deactivate", delete_after_days=30)
    run(in_tenant_a)
    assert active_names(["signalled", "silent"]) == set()
    days_pass(31)
    assert send(admin_a, [signal("signalled", days_ago=1)]).json()["accepted"] == 1
    expiry = run(in_tenant_a)
    assert set(
        User.objects.filter(username__in=["signalled", "silent"]).values_list("username", flat=True)
    ) == {"signalled"}
    deleted = CleanupAuditEntry.objects.filter(report=expiry, reason="deactivation_expired")
    assert list(deleted.values_list("username", flat=True)) == ["silent"]


@pytest.mark.django_db
def test_a_time_with_an_offset_beyond_postgresqls_range_is_recorded_in_utc(
    admin_a: dict[str, str],
) -> None:
    # RFC 3339 allows offsets up to ±23:59; PostgreSQL reads only ±15:59 (found by the fuzzer).
    with schema_context("alpha"):
        UserFactory.create(username="far", login_days_ago=200)
    answer = send(admin_a, [{"user": "far", "at": "2024-01-01T22:59:08-17:11", "source": "sso"}])
    assert answer.status_code == 200 and answer.json()["accepted"] == 1
    with schema_context("alpha"):
        seen = User.objects.get(username="far").last_seen
    assert seen is not None and seen.isoformat() == "2024-01-02T16:10:08+00:00"
