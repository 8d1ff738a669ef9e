"""The restore window, and the safety cap across stages: waiting for approval, an approved
run's limit (docs/architecture.md#notices-and-the-keep-link, #oversight)."""

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from cleanup.models import CleanupAuditEntry, CleanupNotice, CleanupReport
from cleanup.services.execution import cleanup_run
from cleanup.services.start import CleanupAlreadyActive, cleanup_report_create
from cleanup.tests.support import (
    D,
    active_names,
    days_pass,
    run,
    set_policy,
    usernames,
)
from tenants.models import Tenant

R = 30  # delete_after_days


def present(names: Any) -> set[str]:
    return usernames(User.objects.filter(username__in=names))


@pytest.fixture
def deactivated_at_day_0(in_tenant_a: Tenant) -> CleanupReport:
    """A cleanup run deactivates four inactive users at day 0; a fifth was deactivated by
    hand; four are active (the safety cap weighs the restore window's deletions against
    them). Nobody has touched any of them since — yet."""
    set_policy(in_tenant_a, action="deactivate", delete_after_days=R)
    now = timezone.now()
    for name in ("untouched", "reactivated", "reactivated_then_deactivated", "signed_in"):
        UserFactory.create(username=name, now=now, login_days_ago=D + 1)
    UserFactory.create(
        username="deactivated_by_hand", now=now, login_days_ago=D + 1, is_active=False
    )
    for name in ("active", "active1", "active2", "active3"):
        UserFactory.create(username=name, now=now, login_days_ago=1)
    report = run(in_tenant_a)
    assert active_names(["active"]) == {"active"} and report.users_deactivated == 4
    return report


def test_the_restore_window_deletes_only_what_a_run_deactivated_and_nobody_touched(
    in_tenant_a: Tenant, deactivated_at_day_0: CleanupReport
) -> None:
    everyone = [
        "untouched",
        "reactivated",
        "reactivated_then_deactivated",
        "signed_in",
        "deactivated_by_hand",
        "active",
    ]
    # Reactivated from the console (§10): active again, seen now, the entry restored.
    User.objects.filter(username="reactivated").update(is_active=True, last_seen=timezone.now())
    CleanupAuditEntry.objects.filter(username="reactivated").update(
        restored_at=timezone.now(), restored_by="admin"
    )
    # Reactivated in Django's admin, then deactivated there again: by hand now.
    again = User.objects.get(username="reactivated_then_deactivated")
    again.is_active = True
    again.save()
    again.is_active = False
    again.save()
    # An inactive account whose owner's activity shows up (an API token refresh): not
    # what the run left.
    User.objects.filter(username="signed_in").update(last_seen=timezone.now())

    days_pass(R - 1)
    before_the_window = run(in_tenant_a)

    assert present(everyone) == set(everyone)
    assert before_the_window.users_deleted == 0

    days_pass(1)
    after_the_window = run(in_tenant_a)

    assert present(everyone) == set(everyone) - {"untouched"}
    entry = CleanupAuditEntry.objects.get(report=after_the_window)
    assert (entry.username, entry.reason, entry.action) == (
        "untouched",
        "deactivation_expired",
        "deleted",
    )
    assert (
        after_the_window.users_deactivated,
        after_the_window.users_deleted,
        after_the_window.users_removed,
    ) == (0, 1, 1)
    assert active_names(everyone) == {"reactivated", "active"}


def test_the_restore_window_keeps_staff_and_exempt_accounts(
    in_tenant_a: Tenant, deactivated_at_day_0: CleanupReport
) -> None:
    User.objects.filter(username="untouched").update(is_staff=True)
    vip = Group.objects.create(name="vip")  # the policy's exempt group
    User.objects.get(username="reactivated").groups.add(vip)
    days_pass(R + 1)

    report = run(in_tenant_a)

    assert present(["untouched", "reactivated", "signed_in"]) == {"untouched", "reactivated"}
    assert usernames(CleanupAuditEntry.objects.filter(report=report)) == {
        "reactivated_then_deactivated",
        "signed_in",
    }


def test_a_dry_run_counts_the_restore_windows_deletions_and_deletes_nobody(
    in_tenant_a: Tenant, deactivated_at_day_0: CleanupReport
) -> None:
    set_policy(in_tenant_a, action="deactivate", delete_after_days=R, dry_run=True)
    days_pass(R + 1)
    users = User.objects.count()

    report = run(in_tenant_a)

    assert (report.users_deleted, report.users_removed) == (4, 4)
    assert User.objects.count() == users
    assert not CleanupAuditEntry.objects.filter(report=report).exists()


# --- The safety cap


def inactive(count: int, prefix: str = "gone") -> list[str]:
    now = timezone.now()
    return [
        UserFactory.create(username=f"{prefix}{i}", now=now, login_days_ago=D + 1).username
        for i in range(count)
    ]


def fresh(count: int) -> list[str]:
    now = timezone.now()
    return [
        UserFactory.create(username=f"fresh{i}", now=now, login_days_ago=1).username
        for i in range(count)
    ]


def test_over_the_cap_a_run_waits_for_approval_and_changes_nothing(in_tenant_a: Tenant) -> None:
    set_policy(in_tenant_a, action="delete", max_removal_ratio=0.5, on_cap="ask", notice_days=14)
    gone = inactive(5, "noaddr")
    User.objects.filter(username__in=gone).update(email="")
    due = inactive(2)  # they would be warned, had the run gone ahead
    kept = fresh(2)

    report = run(in_tenant_a)

    assert report.status == "awaiting_approval"
    assert "approval" in report.error and "max_removal_ratio" in report.error
    assert (
        report.users_eligible,
        report.users_matched,
        report.users_warned,
        report.users_deleted,
        report.users_removed,
    ) == (9, 7, 2, 5, 5)
    assert present(gone + due + kept) == set(gone + due + kept)
    assert not CleanupNotice.objects.exists() and not CleanupAuditEntry.objects.exists()
    # It keeps the tenant's single active slot.
    with pytest.raises(CleanupAlreadyActive):
        cleanup_report_create(schema_name="alpha", trigger="manual")


def test_over_the_cap_with_on_cap_abort_the_run_ends_aborted(in_tenant_a: Tenant) -> None:
    set_policy(in_tenant_a, action="deactivate", max_removal_ratio=0.5, on_cap="abort")
    gone, kept = inactive(3), fresh(2)

    report = run(in_tenant_a)

    assert report.status == "aborted" and "Nothing was removed" in report.error
    assert active_names(gone + kept) == set(gone + kept)
    assert not CleanupAuditEntry.objects.exists()
    # The counters say what it would have done, labelled so; it removed nobody.
    assert (report.users_deactivated, report.users_removed, report.counts_are_would) == (3, 3, True)
    assert report.users_really_removed == 0


def test_a_dry_run_over_the_cap_ends_aborted_even_when_a_real_one_would_ask(
    in_tenant_a: Tenant,
) -> None:
    set_policy(in_tenant_a, action="deactivate", max_removal_ratio=0.5, on_cap="ask", dry_run=True)
    inactive(3)
    fresh(2)

    report = run(in_tenant_a)

    assert report.status == "aborted"
    assert "would wait for a tenant admin's approval" in report.error


def approve(report: CleanupReport, limit: int) -> None:
    """What the approve endpoint does (§10), by hand: back to `queued` with a limit."""
    CleanupReport.objects.filter(pk=report.pk).update(
        status="queued", removal_limit=limit, approved_by="admin", approved_at=timezone.now()
    )


def test_an_approved_run_skips_the_cap_and_removes_at_most_its_limit(
    in_tenant_a: Tenant,
) -> None:
    set_policy(in_tenant_a, action="deactivate", max_removal_ratio=0.5, on_cap="ask")
    gone, kept = inactive(4), fresh(2)
    report = run(in_tenant_a)
    assert report.status == "awaiting_approval" and report.users_removed == 4
    # Meanwhile one more account went inactive: the approval covered four.
    late = inactive(1, "late")
    approve(report, limit=4)

    report = cleanup_run(report_id=report.pk, batch_size=3)

    assert report.status == "succeeded" and report.error == ""
    assert (report.users_deactivated, report.users_removed) == (4, 4)
    assert active_names(gone + late + kept) == set(kept) | {late[0]}  # lowest ids first
    audited = usernames(CleanupAuditEntry.objects.filter(report=report))
    assert audited == set(gone)


def test_an_approved_run_with_fewer_users_left_than_its_limit_removes_only_those(
    in_tenant_a: Tenant,
) -> None:
    set_policy(in_tenant_a, action="delete", max_removal_ratio=0.5, on_cap="ask")
    gone, kept = inactive(3), fresh(2)
    report = run(in_tenant_a)
    User.objects.filter(username=gone[0]).update(last_login=timezone.now())  # came back
    approve(report, limit=3)

    report = cleanup_run(report_id=report.pk)

    assert report.status == "succeeded" and report.users_deleted == 2
    assert present(gone + kept) == set(kept) | {gone[0]}


def test_warnings_do_not_count_against_the_cap(in_tenant_a: Tenant) -> None:
    set_policy(in_tenant_a, action="deactivate", max_removal_ratio=0.5, notice_days=14)
    due, kept = inactive(4), fresh(1)

    report = run(in_tenant_a)

    assert report.status == "succeeded" and report.users_warned == 4
    assert active_names(due + kept) == set(due + kept)


def test_the_cap_counts_the_restore_windows_deletions(
    in_tenant_a: Tenant, deactivated_at_day_0: CleanupReport
) -> None:
    set_policy(
        in_tenant_a, action="deactivate", delete_after_days=R, max_removal_ratio=0.5, on_cap="ask"
    )
    days_pass(R + 1)

    report = run(in_tenant_a)

    # Four deletions against four eligible (active) users.
    assert report.status == "awaiting_approval"
    assert (report.users_eligible, report.users_deleted) == (4, 4)
    assert User.objects.filter(is_active=False).count() == 5
