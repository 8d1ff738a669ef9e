"""Who a run keeps and who it removes — for both actions, at the exact boundaries."""

from datetime import timedelta
from typing import Any, NamedTuple

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from cleanup.models import CleanupAuditEntry, CleanupNotice, CleanupReport
from cleanup.selectors import matched_users, users_to_warn
from cleanup.services.execution import cleanup_run
from cleanup.services.stages import Batch
from cleanup.services.start import CleanupAlreadyActive, cleanup_report_create
from cleanup.tests.support import (
    DAY,
    BatchFn,
    D,
    G,
    active_names,
    days_pass,
    each_batch,
    notices_send,
    run,
    set_policy,
    user_from_case,
    usernames,
)
from fleet.services.reaper import cleanup_reap_stale
from policy.models import CleanupPolicy
from policy.rules import PolicySpec
from tenants.models import Tenant


class Case(NamedTuple):
    """A user of the boundary table: attributes relative to now (days), and what happens."""

    attrs: dict[str, Any]
    deactivated: bool  # removed when the action is deactivate
    deleted: bool  # removed when the action is delete
    reason: str | None


CASES: dict[str, Case] = {
    "active_within_window": Case({"last_login": -(D - 1)}, False, False, None),
    "inactive_past_window": Case({"last_login": -(D + 1)}, True, True, "inactive"),
    "seen_recently_logged_in_long_ago": Case(
        {"last_login": -(D + 100), "last_seen": -(D - 1)}, False, False, None
    ),
    "logged_in_recently_seen_long_ago": Case(
        {"last_login": -(D - 1), "last_seen": -(D + 10)}, False, False, None
    ),
    "only_seen_past_window": Case({"last_seen": -(D + 1)}, True, True, "inactive"),
    "never_active_joined_within_grace": Case({"date_joined": -(G - 1)}, False, False, None),
    "never_active_joined_past_grace": Case(
        {"date_joined": -(G + 1)}, True, True, "never_logged_in"
    ),
    "staff_inactive": Case({"last_login": -(D + 1), "is_staff": True}, False, False, None),
    "superuser_inactive": Case({"last_login": -(D + 1), "is_superuser": True}, False, False, None),
    # Role holders are never removed, however long they are away.
    "admin_role_inactive": Case({"last_login": -(D + 1), "role": "admin"}, False, False, None),
    "auditor_role_never_active": Case(
        {"date_joined": -(G + 1), "role": "auditor"}, False, False, None
    ),
    "exempt_group_inactive": Case({"last_login": -(D + 1), "group": "vip"}, False, False, None),
    "other_group_inactive": Case(
        {"last_login": -(D + 1), "group": "staffers"}, True, True, "inactive"
    ),
    "already_deactivated_inactive": Case(
        {"last_login": -(D + 1), "is_active": False}, False, True, "inactive"
    ),
}


@pytest.fixture
def population(in_tenant_a: Tenant) -> dict[str, User]:
    now = timezone.now()
    return {name: user_from_case(name, now, case.attrs) for name, case in CASES.items()}


@pytest.mark.parametrize("batch_size", [1000, 2])
def test_deactivate_removes_exactly_the_matched_users_and_audits_each_with_its_reason(
    in_tenant_a: Tenant, population: dict[str, User], batch_size: int
) -> None:
    set_policy(in_tenant_a, action="deactivate")

    report = run(in_tenant_a, batch_size=batch_size)

    expected = {name for name, case in CASES.items() if case.deactivated}
    now_inactive = set(
        User.objects.filter(username__in=CASES, is_active=False).values_list("username", flat=True)
    )
    assert now_inactive - {"already_deactivated_inactive"} == expected
    assert User.objects.filter(username__in=CASES).count() == len(CASES)  # nobody deleted
    audit = dict(CleanupAuditEntry.objects.filter(report=report).values_list("username", "reason"))
    assert audit == {name: CASES[name].reason for name in expected}
    assert set(CleanupAuditEntry.objects.values_list("action", flat=True)) == {"deactivated"}
    assert report.status == "succeeded"
    assert (
        report.users_matched,
        report.users_deactivated,
        report.users_deleted,
        report.users_removed,
        report.progress,
    ) == (len(expected), len(expected), 0, len(expected), 1.0)


@pytest.mark.parametrize("batch_size", [1000, 2])
def test_delete_removes_exactly_the_matched_users_and_audits_each_with_its_reason(
    in_tenant_a: Tenant, population: dict[str, User], batch_size: int
) -> None:
    set_policy(in_tenant_a, action="delete")

    report = run(in_tenant_a, batch_size=batch_size)

    expected = {name for name, case in CASES.items() if case.deleted}
    remaining = set(User.objects.filter(username__in=CASES).values_list("username", flat=True))
    assert remaining == set(CASES) - expected
    audit = list(CleanupAuditEntry.objects.filter(report=report).values())
    assert {row["username"]: row["reason"] for row in audit} == {
        name: CASES[name].reason for name in expected
    }
    assert {row["action"] for row in audit} == {"deleted"}
    assert {row["noticed_at"] for row in audit} == {None}
    removed_user = population["inactive_past_window"]
    row = next(r for r in audit if r["username"] == "inactive_past_window")
    assert (row["user_id"], row["email"], row["last_login"], row["date_joined"]) == (
        removed_user.pk,
        removed_user.email,
        removed_user.last_login,
        removed_user.date_joined,
    )
    assert report.status == "succeeded"
    assert (report.users_deactivated, report.users_deleted, report.users_removed) == (
        0,
        len(expected),
        len(expected),
    )


def test_delete_also_removes_what_cascades_from_a_user(in_tenant_a: Tenant) -> None:
    set_policy(in_tenant_a, action="delete")
    now = timezone.now()
    gone = UserFactory.create(username="gone", now=now, login_days_ago=D + 1, groups=["staffers"])
    kept = UserFactory.create(username="kept", now=now, login_days_ago=1, groups=["staffers"])
    for user in (gone, kept):
        LogEntry.objects.create(
            user=user,
            content_type=ContentType.objects.get_for_model(User),
            object_id=str(user.pk),
            object_repr="x",
            action_flag=ADDITION,
        )

    run(in_tenant_a)

    assert not User.objects.filter(pk=gone.pk).exists()
    assert not LogEntry.objects.filter(user_id=gone.pk).exists()
    assert not User.groups.through.objects.filter(user_id=gone.pk).exists()
    assert LogEntry.objects.filter(user=kept).count() == 1
    assert list(kept.groups.values_list("name", flat=True)) == ["staffers"]


def test_exactly_on_a_boundary_is_kept(in_tenant_a: Tenant) -> None:
    now = timezone.now()
    User.objects.create(username="edge_login", last_login=now - timedelta(days=D))
    User.objects.create(username="edge_joined", date_joined=now - timedelta(days=G))
    User.objects.create(username="past_login", last_login=now - timedelta(days=D, microseconds=1))
    User.objects.create(username="past_joined", date_joined=now - timedelta(days=G, microseconds=1))
    spec = PolicySpec(inactive_days=D, never_logged_in_days=G)

    matched = set(matched_users(spec, now).values_list("username", flat=True))

    assert matched == {"past_login", "past_joined"}


@pytest.mark.parametrize("action", ["deactivate", "delete"])
def test_a_dry_run_removes_nothing_and_records_the_would_be_count(
    in_tenant_a: Tenant, population: dict[str, User], action: str
) -> None:
    set_policy(in_tenant_a, action=action, dry_run=True)
    before = list(User.objects.order_by("pk").values_list("pk", "is_active"))

    report = run(in_tenant_a)

    expected = sum(
        1 for c in CASES.values() if (c.deactivated if action == "deactivate" else c.deleted)
    )
    assert report.status == "succeeded" and report.dry_run
    # A dry run's counters say what it would have done.
    would_deactivate, would_delete = (expected, 0) if action == "deactivate" else (0, expected)
    assert (
        report.users_matched,
        report.users_deactivated,
        report.users_deleted,
        report.users_removed,
    ) == (expected, would_deactivate, would_delete, expected)
    assert list(User.objects.order_by("pk").values_list("pk", "is_active")) == before
    assert not CleanupAuditEntry.objects.filter(report=report).exists()


def test_a_manual_run_may_override_the_policys_dry_run(
    in_tenant_a: Tenant, population: dict[str, User]
) -> None:
    set_policy(in_tenant_a, action="deactivate", dry_run=True)

    report = run(in_tenant_a, dry_run=False)

    assert not report.dry_run and report.users_removed > 0


def test_the_safety_cap_aborts_and_removes_nothing(
    in_tenant_a: Tenant, population: dict[str, User]
) -> None:
    set_policy(in_tenant_a, action="delete", max_removal_ratio=0.1, on_cap="abort")
    before = User.objects.count()

    report = run(in_tenant_a)

    assert report.status == "aborted"
    assert "max_removal_ratio" in report.error and "Nothing was removed" in report.error
    assert User.objects.count() == before and not CleanupAuditEntry.objects.exists()
    # Its counters say what it would have done, and are labelled so.
    assert report.counts_are_would and report.users_really_removed == 0
    assert report.users_deleted == report.users_removed == report.users_matched


def test_a_second_run_cannot_start_while_one_is_queued(in_tenant_a: Tenant) -> None:
    first = cleanup_report_create(schema_name="alpha", trigger="manual")

    with pytest.raises(CleanupAlreadyActive) as exc:
        cleanup_report_create(schema_name="alpha", trigger="manual")

    assert exc.value.report_id == first.pk
    assert CleanupReport.objects.count() == 1


def test_running_a_finished_report_again_changes_nothing(
    in_tenant_a: Tenant, population: dict[str, User]
) -> None:
    set_policy(in_tenant_a, action="delete")
    report = run(in_tenant_a)
    users = User.objects.count()

    again = cleanup_run(report_id=report.pk)

    assert again.status == "succeeded" and User.objects.count() == users
    assert CleanupAuditEntry.objects.count() == report.users_removed


def test_a_failing_run_ends_failed_with_the_error_and_keeps_its_batch(
    in_tenant_a: Tenant, population: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policy(in_tenant_a, action="delete")
    from cleanup.services import stages

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(stages, "removal_statement", boom)
    before = User.objects.count()

    report = run(in_tenant_a)

    assert report.status == "failed" and "disk on fire" in report.error
    assert User.objects.count() == before
    assert CleanupReport.objects.filter(status__in=["queued", "running"]).count() == 0


class WorkerKilled(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing in the run catches it."""


def test_a_run_killed_mid_way_loses_only_its_batch_and_the_reaper_frees_the_tenant(
    in_tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policy(in_tenant_a, action="delete")
    now = timezone.now()
    stale = {
        UserFactory.create(username=f"stale{i}", now=now, login_days_ago=D + 1).pk
        for i in range(10)
    }
    keep = {
        UserFactory.create(username=f"fresh{i}", now=now, login_days_ago=1).pk for i in range(10)
    }
    calls: list[Batch] = []

    def remove_then_die(batch: BatchFn, after_pk: int, size: int) -> Batch:
        removed = batch(after_pk, size)
        calls.append(removed)
        if len(calls) == 3:
            raise WorkerKilled()
        return removed

    each_batch(monkeypatch, "remove", remove_then_die)
    report = cleanup_report_create(schema_name="alpha", trigger="manual")
    with pytest.raises(WorkerKilled):
        cleanup_run(report_id=report.pk, batch_size=3)

    # Two batches committed, the third rolled back whole.
    present = set(User.objects.values_list("pk", flat=True))
    audited = set(CleanupAuditEntry.objects.values_list("user_id", flat=True))
    assert len(audited) == 6 and not audited & present
    assert stale - audited <= present and keep <= present
    report.refresh_from_db()
    assert report.status == "running" and report.users_removed == 6

    # The tenant is locked until the reaper notices the silent worker.
    with pytest.raises(CleanupAlreadyActive):
        cleanup_report_create(schema_name="alpha", trigger="manual")
    assert cleanup_reap_stale(now=now + timedelta(minutes=1)) == []
    reaped = cleanup_reap_stale(now=timezone.now() + timedelta(minutes=10))
    report.refresh_from_db()
    assert reaped == [("alpha", report.pk)]
    assert report.status == "failed" and "Worker lost" in report.error

    monkeypatch.undo()
    second = run(in_tenant_a)
    assert second.status == "succeeded" and second.users_removed == 4
    assert set(User.objects.values_list("pk", flat=True)) & stale == set()
    assert keep <= set(User.objects.values_list("pk", flat=True))
    assert CleanupAuditEntry.objects.count() == len(stale)  # nobody removed twice


def test_a_dry_runs_summary_for_the_operators_removed_nobody(
    in_tenant_a: Tenant, population: dict[str, User]
) -> None:
    set_policy(in_tenant_a, action="deactivate", dry_run=True)

    report = run(in_tenant_a)

    assert report.users_removed > 0  # what it would have removed
    policy = CleanupPolicy.objects.get(tenant=in_tenant_a)
    assert (policy.last_report_id, policy.last_report_users_removed) == (report.pk, 0)


def test_a_finished_run_is_summarised_for_the_operators(
    in_tenant_a: Tenant, population: dict[str, User]
) -> None:
    set_policy(in_tenant_a, action="deactivate")

    report = run(in_tenant_a)

    policy = CleanupPolicy.objects.get(tenant=in_tenant_a)
    assert (policy.last_report_id, policy.last_report_status, policy.last_report_users_removed) == (
        report.pk,
        "succeeded",
        report.users_removed,
    )


# --- The account lifecycle (docs/architecture.md#notices-and-the-keep-link): warned first, removed

N = 14  # notice_days


class Warn(NamedTuple):
    """A user of the warn stage's table: attributes relative to now (days), and whether a
    run with notice_days=N writes them a notice."""

    attrs: dict[str, Any]
    warned: bool


HOUR = 1 / 24
MICROSECOND = timedelta(microseconds=1)
WARN_CASES: dict[str, Warn] = {
    "due_soon": Warn({"last_login": -(D - N + 1)}, True),
    "an_hour_past_due_soon": Warn({"last_login": -(D - N) - HOUR}, True),
    "an_hour_short_of_due_soon": Warn({"last_login": -(D - N) + HOUR}, False),
    "a_day_short_of_due_soon": Warn({"last_login": -(D - N - 1)}, False),
    "matched_already": Warn({"last_login": -(D + 1)}, True),
    "seen_due_soon": Warn({"last_seen": -(D - N + 1)}, True),
    "never_active_due_soon": Warn({"date_joined": -(G - N + 1)}, True),
    "never_active_not_due": Warn({"date_joined": -(G - N - 1)}, False),
    "no_email_due_soon": Warn({"last_login": -(D - N + 1), "email": ""}, False),
    "staff_due_soon": Warn({"last_login": -(D - N + 1), "is_staff": True}, False),
    "admin_role_due_soon": Warn({"last_login": -(D - N + 1), "role": "admin"}, False),
    "auditor_role_due_soon": Warn({"last_login": -(D - N + 1), "role": "auditor"}, False),
    "exempt_group_due_soon": Warn({"last_login": -(D - N + 1), "group": "vip"}, False),
    "already_deactivated": Warn({"last_login": -(D + 1), "is_active": False}, False),
    "already_warned_unsent": Warn({"last_login": -(D - N + 1), "notice": "pending"}, False),
    "already_warned_sent": Warn({"last_login": -(D - N + 1), "notice": -3}, False),
    # Warned in an earlier episode, active after that notice was sent: it is void, and they
    # are due soon again.
    "warned_then_active": Warn({"last_login": -(D - N + 1), "notice": -(D - N + 5)}, True),
    "active": Warn({"last_login": -1}, False),
}


@pytest.fixture
def due_population(in_tenant_a: Tenant) -> dict[str, User]:
    now = timezone.now()
    set_policy(in_tenant_a, action="deactivate", notice_days=N)
    return {name: user_from_case(name, now, case.attrs) for name, case in WARN_CASES.items()}


def notices_of(report: CleanupReport) -> dict[str, CleanupNotice]:
    names = dict(User.objects.values_list("pk", "username"))
    return {names[n.user_id]: n for n in CleanupNotice.objects.filter(report=report)}


@pytest.mark.parametrize("batch_size", [1000, 2])
def test_a_run_with_notice_days_warns_exactly_the_due_soon_users_with_email_and_removes_nobody(
    in_tenant_a: Tenant, due_population: dict[str, User], batch_size: int
) -> None:
    before = dict(User.objects.values_list("username", "is_active"))

    report = run(in_tenant_a, batch_size)

    expected = {name for name, case in WARN_CASES.items() if case.warned}
    notices = notices_of(report)
    assert set(notices) == expected
    for name, notice in notices.items():
        assert notice.email == f"{name}@example.com" and notice.sent_at is None
    assert report.started_at is not None
    assert {n.due_at for n in notices.values()} == {report.started_at + N * DAY}
    # Nobody removed, nobody audited: every user as before.
    assert dict(User.objects.values_list("username", "is_active")) == before
    assert not CleanupAuditEntry.objects.exists()
    assert report.status == "succeeded"
    assert (report.users_warned, report.users_deactivated, report.users_removed) == (
        len(expected),
        0,
        0,
    )
    for name in ("already_warned_unsent", "already_warned_sent"):
        assert CleanupNotice.objects.filter(user_id=due_population[name].pk).count() == 1


def test_due_soon_exactly_on_the_boundary_is_not_warned_yet(in_tenant_a: Tenant) -> None:
    now = timezone.now()
    soon = now + timedelta(days=N)
    joined = now - 2 * D * DAY  # before their last sign-in
    User.objects.create(
        username="edge_login", email="e@x.test", last_login=soon - D * DAY, date_joined=joined
    )
    User.objects.create(username="edge_joined", email="j@x.test", date_joined=soon - G * DAY)
    User.objects.create(
        username="past_login",
        email="p@x.test",
        last_login=soon - D * DAY - MICROSECOND,
        date_joined=joined,
    )
    User.objects.create(
        username="past_joined", email="q@x.test", date_joined=soon - G * DAY - MICROSECOND
    )
    spec = PolicySpec(inactive_days=D, never_logged_in_days=G, notice_days=N)

    assert usernames(users_to_warn(spec, now)) == {"past_login", "past_joined"}


# Days that pass between the first run and the second: more than notice_days, and clear of
# every boundary of the table.
LATER = N + 2


def test_a_later_run_removes_exactly_the_warned_users_still_inactive(
    in_tenant_a: Tenant, due_population: dict[str, User]
) -> None:
    first = run(in_tenant_a)
    notices_send(first)
    sent = {name: n.sent_at for name, n in notices_of(first).items() if n.sent_at}
    # Signs in after their notice was sent: it is void.
    User.objects.filter(username="matched_already").update(last_seen=timezone.now())
    days_pass(LATER)

    second = run(in_tenant_a)

    removed = {
        # Warned by the first run (or an earlier one) and inactive since.
        "due_soon",
        "an_hour_past_due_soon",
        "seen_due_soon",
        "never_active_due_soon",
        "already_warned_sent",
        "warned_then_active",
        # No address to warn: removed without a notice.
        "no_email_due_soon",
    }
    audit = {e.username: e for e in CleanupAuditEntry.objects.filter(report=second)}
    assert set(audit) == removed
    assert active_names(WARN_CASES) == set(WARN_CASES) - removed - {"already_deactivated"}
    for name in removed - {"no_email_due_soon", "already_warned_sent"}:
        assert audit[name].noticed_at == sent[name] - LATER * DAY
        assert audit[name].action == "deactivated"
    assert audit["already_warned_sent"].noticed_at is not None
    assert audit["no_email_due_soon"].noticed_at is None
    # Kept: active after their notice (voids it), a notice never sent (protects them), and
    # those matched now but never warned — they are warned now.
    assert {"matched_already", "already_warned_unsent", "a_day_short_of_due_soon"} <= (
        active_names(WARN_CASES)
    )
    assert set(notices_of(second)) == {
        "an_hour_short_of_due_soon",
        "a_day_short_of_due_soon",
        "never_active_not_due",
    }
    assert (second.users_warned, second.users_deactivated, second.users_removed) == (
        3,
        len(removed),
        len(removed),
    )


def test_a_user_active_after_the_notice_is_kept_and_warned_again_in_a_later_episode(
    in_tenant_a: Tenant,
) -> None:
    set_policy(in_tenant_a, action="deactivate", notice_days=N)
    now = timezone.now()
    comes_back = UserFactory.create(username="comes_back", now=now, login_days_ago=D - N + 1)
    UserFactory.create(username="gone", now=now, login_days_ago=D - N + 1)
    notices_send(run(in_tenant_a))
    User.objects.filter(pk=comes_back.pk).update(last_login=timezone.now())
    days_pass(LATER)

    run(in_tenant_a)  # `gone` goes; `comes_back` is not even due soon
    assert active_names(["comes_back", "gone"]) == {"comes_back"}
    days_pass(D - N)  # inactive again long enough to be due soon again

    third = run(in_tenant_a)

    assert active_names(["comes_back"]) == {"comes_back"}  # its old notice is void
    assert set(notices_of(third)) == {"comes_back"}  # a new episode, a new notice
    notices_send(third)
    new_notice = CleanupNotice.objects.get(report=third)
    assert new_notice.sent_at is not None
    days_pass(LATER)

    fourth = run(in_tenant_a)

    assert active_names(["comes_back"]) == set()
    entry = CleanupAuditEntry.objects.get(report=fourth)
    assert (entry.username, entry.noticed_at) == ("comes_back", new_notice.sent_at - LATER * DAY)


def test_a_user_active_before_the_notice_was_sent_is_warned_again_in_a_later_episode(
    in_tenant_a: Tenant,
) -> None:
    """A notice still in the outbox when its user signs in is never sent (the outbox skips
    it): it must not stand in for the next episode's notice."""
    set_policy(in_tenant_a, action="deactivate", notice_days=N)
    now = timezone.now()
    comes_back = UserFactory.create(username="comes_back", now=now, login_days_ago=D - N + 1)
    waiting = UserFactory.create(username="waiting", now=now, login_days_ago=D - N + 1)
    first = run(in_tenant_a)
    assert set(notices_of(first)) == {"comes_back", "waiting"}
    # Signs in before the outbox sent the notice: it stays pending, void.
    User.objects.filter(pk=comes_back.pk).update(last_login=timezone.now())
    days_pass(D - N + 1)  # inactive again long enough to be due soon again

    second = run(in_tenant_a)

    # A new notice for the new episode; `waiting`'s unsent one still stands (no second).
    assert set(notices_of(second)) == {"comes_back"}
    assert CleanupNotice.objects.filter(user_id=waiting.pk).count() == 1
    # Neither is removed: a notice must have been sent, and stayed unvoided, first.
    assert active_names(["comes_back", "waiting"]) == {"comes_back", "waiting"}
    notices_send(second)
    days_pass(LATER)

    third = run(in_tenant_a)

    assert active_names(["comes_back", "waiting"]) == {"waiting"}
    entry = CleanupAuditEntry.objects.get(report=third)
    assert entry.username == "comes_back" and entry.noticed_at is not None


def test_users_without_an_email_address_are_removed_without_a_notice(in_tenant_a: Tenant) -> None:
    set_policy(in_tenant_a, action="delete", notice_days=N)
    now = timezone.now()
    UserFactory.create(username="no_address", now=now, login_days_ago=D + 1, email="")
    UserFactory.create(username="with_address", now=now, login_days_ago=D + 1)
    UserFactory.create(username="no_address_active", now=now, login_days_ago=1, email="")

    report = run(in_tenant_a)

    assert usernames(User.objects.all()) >= {"with_address", "no_address_active"}
    assert not User.objects.filter(username="no_address").exists()
    entry = CleanupAuditEntry.objects.get(report=report)
    assert (entry.username, entry.action, entry.noticed_at) == ("no_address", "deleted", None)
    assert set(notices_of(report)) == {"with_address"}
    assert (report.users_warned, report.users_deleted, report.users_removed) == (1, 1, 1)


def test_a_dry_run_counts_every_stage_and_writes_no_notice(
    in_tenant_a: Tenant, due_population: dict[str, User]
) -> None:
    UserFactory.create(
        username="no_address_matched", now=timezone.now(), login_days_ago=D + 1, email=""
    )
    set_policy(in_tenant_a, action="deactivate", notice_days=N, dry_run=True)
    before = dict(User.objects.values_list("username", "is_active"))
    notices_before = CleanupNotice.objects.count()

    report = run(in_tenant_a)

    assert report.status == "succeeded" and report.dry_run
    warned = sum(1 for case in WARN_CASES.values() if case.warned)
    assert (report.users_warned, report.users_deactivated, report.users_removed) == (warned, 1, 1)
    assert CleanupNotice.objects.count() == notices_before
    assert dict(User.objects.values_list("username", "is_active")) == before
    assert not CleanupAuditEntry.objects.exists()
