"""Reactivating one account and undoing a whole run (docs/architecture.md#oversight): who comes
back, who is
left as they are — and why — and that a refusal writes nothing."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.tests.factories import UserFactory
from activity.models import ActivityEvent
from cleanup.models import CleanupAuditEntry, CleanupReport
from cleanup.services.execution import cleanup_run
from cleanup.services.start import cleanup_report_create
from core.testing import TENANT_A, TENANT_B, client, tokens
from policy.models import CleanupPolicy
from tenants.models import Tenant

LONG_AGO = timedelta(days=400)


@pytest.fixture
def deactivating(in_tenant_a: Tenant) -> Tenant:
    """alpha's policy removes for real, at once, however many match."""
    CleanupPolicy.objects.filter(tenant=in_tenant_a).update(
        action="deactivate",
        dry_run=False,
        notice_days=0,
        max_removal_ratio=1.0,
        on_cap="abort",
    )
    return in_tenant_a


def sleepers(prefix: str, count: int) -> list[int]:
    """Users every policy above matches (never logged in, joined long ago), by pk."""
    joined = timezone.now() - LONG_AGO
    users = User.objects.bulk_create(
        User(username=f"{prefix}{i}", email=f"{prefix}{i}@x.test", date_joined=joined)
        for i in range(count)
    )
    return [u.pk for u in users]


def real_run(**fields: Any) -> CleanupReport:
    report = cleanup_report_create(schema_name="alpha", trigger="manual", triggered_by="admin")
    if fields:
        CleanupReport.objects.filter(pk=report.pk).update(**fields)
    report = cleanup_run(report_id=report.pk)
    assert report.status == "succeeded", report.error
    return report


def active_ids() -> set[int]:
    return set(User.objects.filter(is_active=True).values_list("pk", flat=True))


def user_rows() -> list[tuple[Any, ...]]:
    """Every user but the admin, whose own requests touch their last_seen."""
    users = User.objects.exclude(is_staff=True).order_by("pk")
    return list(users.values_list("pk", "is_active", "last_seen"))


def audit_rows(report: CleanupReport) -> list[tuple[Any, ...]]:
    return list(
        CleanupAuditEntry.objects.filter(report=report)
        .order_by("pk")
        .values_list("user_id", "restored_at", "restored_by")
    )


def restored(report: CleanupReport) -> set[int]:
    return set(
        CleanupAuditEntry.objects.filter(report=report, restored_at__isnull=False).values_list(
            "user_id", flat=True
        )
    )


def verbs() -> list[str]:
    return list(ActivityEvent.objects.order_by("id").values_list("verb", flat=True))


def by_hand(pks: list[int], **fields: Any) -> None:
    User.objects.filter(pk__in=pks).update(**fields)


def api(admin_a: dict[str, str]) -> Any:
    return client(TENANT_A, admin_a["access"])


# --- undo after a 1,000-user run


def test_undo_reactivates_exactly_the_runs_users_still_inactive_because_of_it(
    deactivating: Tenant, admin_a: dict[str, str]
) -> None:
    now = timezone.now()
    for i in range(5):
        User.objects.create(username=f"busy{i}", last_login=now - timedelta(days=1))
    keepers = active_ids()  # the admin too
    earlier_run_users = sleepers("earlier", 20)
    earlier = real_run()
    run_users = sleepers("sleepy", 1000)
    report = real_run()
    assert set(audit_user_ids(report)) == set(run_users)
    assert active_ids().isdisjoint(run_users + earlier_run_users)

    # Since the run, each in its own way:
    deleted = run_users[:10]  # deleted by hand
    User.objects.filter(pk__in=deleted).delete()
    already_active = run_users[10:20]  # reactivated by hand
    restored_then_deactivated = run_users[20:25]  # Reactivate, then deactivated by hand
    for pk in restored_then_deactivated:
        assert (
            api(admin_a).post(f"/api/reports/{report.pk}/users/{pk}/reactivate/").status_code == 200
        )
    by_hand(restored_then_deactivated, is_active=False)
    signed_in_then_deactivated = run_users[25:30]  # reactivated, used, deactivated by hand
    by_hand(signed_in_then_deactivated, last_login=now)
    later_run_deactivated = run_users[30:35]  # reactivated by hand, then a later run again
    by_hand(later_run_deactivated, is_active=True)
    later = real_run()
    assert set(audit_user_ids(later)) == set(later_run_deactivated)
    by_hand(already_active, is_active=True)  # after the later run, so it did not match them
    # Reactivated and deactivated again by hand (as the admin site saves a user), with no
    # sign-in between: only the token_version the deactivation bumped shows it.
    saved_inactive_again = run_users[35:40]
    for user in User.objects.filter(pk__in=saved_inactive_again):
        user.is_active = True
        user.save()
        user.is_active = False
        user.save()
    left_alone = (
        restored_then_deactivated
        + signed_in_then_deactivated
        + later_run_deactivated
        + saved_inactive_again
    )
    expected = set(run_users[40:])
    ActivityEvent.objects.all().delete()
    before_users = {pk: row for pk, *row in user_rows()}

    preview = api(admin_a).get(f"/api/reports/{report.pk}/undo/")
    response = api(admin_a).post(f"/api/reports/{report.pk}/undo/")

    counts = {"already_active": 10, "deleted": 10, "deactivated_again": 20}
    assert preview.status_code == 200
    assert preview.json() == {"reactivate": 960, **counts, "tokens_restore": 0}
    assert response.status_code == 200
    assert response.json() == {"reactivated": 960, **counts, "tokens_restored": 0}
    # Exactly the run's users still inactive because of it came back...
    assert active_ids() == keepers | expected | set(already_active)
    reactivated = User.objects.filter(pk__in=expected)
    assert all(u.last_seen and u.last_seen >= now for u in reactivated)
    # ...nobody else changed: the deleted stay deleted, the ones deactivated again stay so,
    # the earlier run's users stay inactive, the active ones are as they were.
    assert not User.objects.filter(pk__in=deleted).exists()
    assert not User.objects.filter(pk__in=left_alone + earlier_run_users, is_active=True).exists()
    after_users = {pk: row for pk, *row in user_rows()}
    assert {pk for pk in after_users if after_users[pk] != before_users[pk]} == expected
    # The audit says who was restored, when and by whom; other runs' audits are untouched.
    assert restored(report) == expected | set(restored_then_deactivated)
    assert (
        CleanupAuditEntry.objects.filter(report=report, user_id__in=expected)
        .exclude(restored_by="admin")
        .count()
        == 0
    )
    assert restored(earlier) == restored(later) == set()
    (event,) = ActivityEvent.objects.all()
    assert (event.actor, event.verb, event.target) == ("admin", "run.undone", f"report {report.pk}")
    assert event.data == {
        "report_id": report.pk,
        "reactivated": 960,
        **counts,
        "tokens_restored": 0,
    }

    # A second undo changes nothing.
    audit_before = audit_rows(report)
    users_before = user_rows()

    again = api(admin_a).post(f"/api/reports/{report.pk}/undo/")

    assert again.status_code == 200
    assert again.json() == {
        "reactivated": 0,
        "already_active": 970,
        "deleted": 10,
        "deactivated_again": 20,
        "tokens_restored": 0,
    }
    assert user_rows() == users_before and audit_rows(report) == audit_before


def audit_user_ids(report: CleanupReport) -> list[int]:
    return list(CleanupAuditEntry.objects.filter(report=report).values_list("user_id", flat=True))


def test_undoing_a_delete_run_counts_the_deleted_and_restores_nobody(
    deactivating: Tenant, admin_a: dict[str, str]
) -> None:
    CleanupPolicy.objects.filter(tenant=deactivating).update(action="delete")
    gone = sleepers("gone", 4)
    report = real_run()
    before = user_rows()

    response = api(admin_a).post(f"/api/reports/{report.pk}/undo/")

    assert response.json() == {
        "reactivated": 0,
        "already_active": 0,
        "deleted": 4,
        "deactivated_again": 0,
        "tokens_restored": 0,
    }
    assert not User.objects.filter(pk__in=gone).exists() and user_rows() == before
    assert restored(report) == set()


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"dry_run": True}, "was a dry run: it changed nobody, there is nothing to undo."),
        ({"status": "running"}, "is running; undo it once it has finished."),
        ({"status": "queued"}, "is queued; undo it once it has finished."),
        ({"status": "awaiting_approval"}, "is awaiting approval; undo it once it has finished."),
    ],
)
def test_only_a_finished_real_run_can_be_undone(
    deactivating: Tenant, admin_a: dict[str, str], fields: dict[str, Any], detail: str
) -> None:
    sleepers("sleepy", 3)
    report = real_run()
    CleanupReport.objects.filter(pk=report.pk).update(**fields)
    before = user_rows()

    for method in ("get", "post"):
        response = getattr(api(admin_a), method)(f"/api/reports/{report.pk}/undo/")
        assert response.status_code == 409
        assert response.json()["detail"] == f"Run #{report.pk} {detail}"
    assert user_rows() == before and restored(report) == set() and verbs() == []


@pytest.mark.parametrize("status", ["failed", "aborted"])
def test_a_run_that_ended_early_can_be_undone(
    deactivating: Tenant, admin_a: dict[str, str], status: str
) -> None:
    users = sleepers("sleepy", 3)
    report = real_run()
    CleanupReport.objects.filter(pk=report.pk).update(status=status)

    response = api(admin_a).post(f"/api/reports/{report.pk}/undo/")

    assert response.status_code == 200 and response.json()["reactivated"] == 3
    assert set(users) <= active_ids()


def test_another_tenants_admin_cannot_undo_or_reactivate(
    deactivating: Tenant, tenant_b: Tenant
) -> None:
    users = sleepers("sleepy", 2)
    report = real_run()
    UserFactory.create(schema="beta", username="boss", role="admin")
    beta = client(TENANT_B, tokens(TENANT_B, "boss")["access"])
    with schema_context("beta"):
        assert not CleanupReport.objects.filter(pk=report.pk).exists()

    assert beta.post(f"/api/reports/{report.pk}/undo/").status_code == 404
    assert beta.post(f"/api/reports/{report.pk}/users/{users[0]}/reactivate/").status_code == 404
    assert active_ids().isdisjoint(users) and restored(report) == set()
    assert verbs() == []


# --- reactivate one


def test_reactivate_brings_back_one_account_and_records_who_and_when(
    deactivating: Tenant, admin_a: dict[str, str]
) -> None:
    target, other = sleepers("sleepy", 2)
    report = real_run()
    started = timezone.now()

    response = api(admin_a).post(f"/api/reports/{report.pk}/users/{target}/reactivate/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["user_id"], body["username"]) == (target, "sleepy0")
    user = User.objects.get(pk=target)
    assert user.is_active and user.last_seen is not None and user.last_seen >= started
    entry = CleanupAuditEntry.objects.get(report=report, user_id=target)
    assert entry.restored_by == "admin" and entry.restored_at == user.last_seen
    assert datetime.fromisoformat(body["restored_at"]) == entry.restored_at
    assert not User.objects.get(pk=other).is_active  # only the one named
    (event,) = ActivityEvent.objects.all()
    assert (event.actor, event.verb, event.target, event.data) == (
        "admin",
        "user.reactivated",
        "sleepy0",
        {"report_id": report.pk, "user_id": target},
    )
    # The next run does not match the account again at once.
    assert real_run().users_matched == 0


def test_reactivate_refuses_an_active_or_deleted_account_or_one_the_run_did_not_remove(
    deactivating: Tenant, admin_a: dict[str, str]
) -> None:
    CleanupPolicy.objects.filter(tenant=deactivating).update(action="delete")
    (deleted_by_run,) = sleepers("doomed", 1)
    delete_run = real_run()
    CleanupPolicy.objects.filter(tenant=deactivating).update(action="deactivate")
    reactivated_by_hand, deleted_since, untouched = sleepers("sleepy", 3)
    report = real_run()
    assert audit_user_ids(delete_run) == [deleted_by_run]
    by_hand([reactivated_by_hand], is_active=True)
    User.objects.filter(pk=deleted_since).delete()
    bystander = User.objects.create(username="bystander", is_active=False).pk
    before, audit_before = user_rows(), audit_rows(report)

    def reactivate(report_id: int, user_id: int) -> Any:
        return api(admin_a).post(f"/api/reports/{report_id}/users/{user_id}/reactivate/")

    cases = [
        (report.pk, reactivated_by_hand, 409, "sleepy0's account is already active."),
        (report.pk, deleted_since, 409, "sleepy1's account was deleted since this run."),
        (delete_run.pk, deleted_by_run, 409, "doomed0's account was deleted by this run."),
        (report.pk, bystander, 404, "This run did not remove that user."),
        (delete_run.pk, untouched, 404, "This run did not remove that user."),
        (999999, untouched, 404, "No such report."),
        (report.pk, 10**25, 404, "This run did not remove that user."),
    ]
    for report_id, user_id, status, detail in cases:
        response = reactivate(report_id, user_id)
        assert (response.status_code, response.json()) == (status, {"detail": detail})
    assert user_rows() == before and audit_rows(report) == audit_before
    assert verbs() == []
