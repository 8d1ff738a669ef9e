"""Events are written to the outbox in the transaction of the change they report: what the
engine emits, in pages of at most 500 users, nothing when nobody subscribed, nothing when
the change rolled back."""

import math
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.tests.factories import UserFactory
from cleanup.models import CleanupAuditEntry
from cleanup.services.execution import cleanup_run
from cleanup.services.exemptions import exemption_create, exemption_delete
from cleanup.services.keep import keep_link_follow, keep_token_make
from cleanup.services.oversight import report_undo, user_reactivate
from cleanup.services.start import cleanup_report_create
from cleanup.tests.factories import CleanupNoticeFactory
from cleanup.tests.support import each_batch, run, set_policy
from policy.models import CleanupPolicy
from policy.services import policy_update
from tenants.models import Tenant
from webhooks.models import Delivery, Event
from webhooks.services.events import webhook_event_emit
from webhooks.tests.factories import EndpointFactory

LONG_AGO = timedelta(days=400)


def gone_users(count: int, prefix: str = "gone") -> list[int]:
    """Users every policy of the tests matches (never logged in, joined long ago)."""
    joined = timezone.now() - LONG_AGO
    users = User.objects.bulk_create(
        User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com", date_joined=joined)
        for i in range(count)
    )
    return [user.pk for user in users]


def events(type: str | None = None) -> list[Event]:
    found = Event.objects.order_by("created_at", "id")
    return list(found.filter(type=type) if type else found)


def users_in(found: list[Event]) -> list[int]:
    return [user["id"] for event in found for user in event.data["users"]]


@pytest.mark.parametrize(
    ("action", "type"), [("deactivate", "users.deactivated"), ("delete", "users.deleted")]
)
def test_a_run_emits_its_removed_users_in_pages_of_at_most_500_per_batch(
    in_tenant_a: Tenant, action: str, type: str
) -> None:
    set_policy(in_tenant_a, action=action)
    EndpointFactory.create()
    gone = gone_users(1300)
    kept = UserFactory.create(username="active", login_days_ago=1).pk

    report = run(in_tenant_a, batch_size=650)

    assert report.status == "succeeded" and report.users_removed == 1300
    pages = sorted(events(type), key=lambda e: e.data["users"][0]["id"])
    # Two batches of 650: each writes ceil(650 / 500) = 2 events.
    assert [len(e.data["users"]) for e in pages] == [500, 150, 500, 150]
    assert len(pages) == 2 * math.ceil(650 / 500)
    assert sorted(users_in(pages)) == sorted(gone)
    assert kept not in users_in(pages)
    first = pages[0].data["users"][0]
    assert set(first) == {"id", "username", "email", "reason"}
    assert first["reason"] == "never_logged_in" and first["email"].endswith("@example.com")
    assert {e.data["report_id"] for e in pages} == {report.pk}
    started, finished = events("run.started"), events("run.finished")
    assert len(started) == len(finished) == 1
    assert finished[0].data["status"] == "succeeded"
    assert finished[0].data["users_removed"] == 1300
    assert finished[0].data["link"].endswith(f"/reports/{report.pk}")
    # One delivery per event to the one endpoint.
    assert Delivery.objects.count() == Event.objects.count() == 6


def test_the_warn_stage_emits_the_warned_users(in_tenant_a: Tenant) -> None:
    set_policy(in_tenant_a, notice_days=14)
    EndpointFactory.create(events=["users.warned"])
    warned = gone_users(3)

    run(in_tenant_a)

    (page,) = events()
    assert page.type == "users.warned"
    assert sorted(users_in([page])) == sorted(warned)
    assert {u["reason"] for u in page.data["users"]} == {"never_logged_in"}


def test_with_no_endpoint_subscribed_a_run_writes_no_event(in_tenant_a: Tenant) -> None:
    set_policy(in_tenant_a)
    EndpointFactory.create(events=["policy.updated"])
    EndpointFactory.create(enabled=False)
    gone_users(5)

    report = run(in_tenant_a)

    assert report.users_removed == 5
    assert events() == [] and Delivery.objects.count() == 0


def test_a_batch_that_rolls_back_emits_nothing(
    in_tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policy(in_tenant_a)
    EndpointFactory.create()
    gone = gone_users(6)
    calls = 0

    def second_fails(batch: Callable[..., Any], after_pk: int, size: int) -> Any:
        nonlocal calls
        calls += 1
        result = batch(after_pk, size)  # the users are removed, their event written ...
        if calls == 2:
            raise RuntimeError("boom")  # ... and rolled back with the batch
        return result

    each_batch(monkeypatch, "remove", second_fails)

    report = run(in_tenant_a, batch_size=2)

    assert report.status == "failed" and report.users_removed == 2
    assert users_in(events("users.deactivated")) == gone[:2]
    assert set(CleanupAuditEntry.objects.values_list("user_id", flat=True)) == set(gone[:2])
    assert [e.data["status"] for e in events("run.finished")] == ["failed"]


def test_oversight_keep_exemptions_and_policy_emit_their_events(in_tenant_a: Tenant) -> None:
    set_policy(in_tenant_a)
    EndpointFactory.create()
    gone = gone_users(3)
    report = run(in_tenant_a)
    ann = UserFactory.create(username="ann")

    user_reactivate(report_id=report.pk, user_id=gone[0], actor="admin")
    report_undo(report_id=report.pk, actor="admin")
    exemption = exemption_create(username="ann", reason="on leave", expires_at=None, actor="admin")
    exemption_delete(exemption_id=exemption.pk, actor="admin")
    notice = CleanupNoticeFactory.create(user=ann, sent_at=timezone.now())
    token = keep_token_make(
        tenant_pk=in_tenant_a.pk,
        user_id=ann.pk,
        notice_id=notice.pk,
        expires_at=timezone.now() + timedelta(days=1),
    )
    keep_link_follow(tenant_pk=in_tenant_a.pk, token=token)
    policy = CleanupPolicy.objects.get(tenant=in_tenant_a)
    policy_update(policy=policy, data={"inactive_days": 120}, actor="admin")

    reactivated = events("user.reactivated")
    assert [u["reason"] for e in reactivated for u in e.data["users"]] == [
        "reactivated",
        "undo",
        "undo",
    ]
    assert sorted(users_in(reactivated)) == sorted(gone)
    (undone,) = events("run.undone")
    assert undone.data["reactivated"] == 2 and undone.data["undone_by"] == "admin"
    (created,) = events("exemption.created")
    assert created.data["username"] == "ann" and created.data["reason"] == "on leave"
    (deleted,) = events("exemption.deleted")
    assert deleted.data["exemption_id"] == exemption.pk
    (kept,) = events("user.kept")
    assert kept.data["users"] == [
        {"id": ann.pk, "username": "ann", "email": ann.email, "reason": "keep_link"}
    ]
    (updated,) = events("policy.updated")
    assert updated.data["changes"]["inactive_days"] == {"old": 90, "new": 120}


def test_an_approval_and_a_rejection_emit_their_events(in_tenant_a: Tenant) -> None:
    from cleanup.services.oversight import report_reject

    set_policy(in_tenant_a, max_removal_ratio=0.01, on_cap="ask")
    EndpointFactory.create()
    gone_users(3)
    report = run(in_tenant_a)
    assert report.status == "awaiting_approval"
    (waiting,) = events("run.awaiting_approval")
    assert waiting.data["users_removed"] == 3 and waiting.data["counts_are_would"]

    report_reject(report_id=report.pk, actor="admin")

    (rejected,) = events("run.rejected")
    assert rejected.data["rejected_by"] == "admin" and rejected.data["status"] == "aborted"
    assert [e.data["status"] for e in events("run.finished")] == ["aborted"]


def test_an_event_is_written_only_inside_the_change_s_transaction(
    make_live_tenant: Callable[..., Tenant],
) -> None:
    tenant = make_live_tenant()
    with schema_context(tenant.schema_name):
        EndpointFactory.create()
        with pytest.raises(RuntimeError, match="inside the change's transaction"):
            webhook_event_emit(type="policy.updated", data={})
        with transaction.atomic():
            webhook_event_emit(type="policy.updated", data={"changes": {}})
        assert len(events()) == 1


# --- The lock-timeout path, on committed data (a second session holds the lock)


def test_a_batch_failing_on_the_lock_timeout_emits_nothing_for_its_users(
    make_live_tenant: Callable[..., Tenant],
) -> None:
    from cleanup.tests.test_report_writes import other_connection

    tenant = make_live_tenant(
        action="deactivate", dry_run=False, max_removal_ratio=1.0, notice_days=0
    )
    schema = tenant.schema_name
    with schema_context(schema):
        EndpointFactory.create()
        gone = gone_users(6)
        report = cleanup_report_create(schema_name=schema, trigger="manual")
    holder = other_connection()
    holder.autocommit = False
    with holder.cursor() as cursor:
        cursor.execute(
            f'SELECT 1 FROM "{schema}".accounts_user WHERE id = %s FOR UPDATE', [gone[3]]
        )
    release = threading.Timer(20, holder.rollback)
    release.start()
    try:
        with schema_context(schema), override_settings(CLEANUP_LOCK_TIMEOUT_MS=200):
            report = cleanup_run(report_id=report.pk, batch_size=2)
            emitted = users_in(events("users.deactivated"))
            finished = [e.data["status"] for e in events("run.finished")]
            deliveries = Delivery.objects.count()
    finally:
        release.cancel()
        holder.rollback()
        holder.close()
    assert report.status == "failed" and "lock timeout" in report.error.lower()
    assert emitted == gone[:2]  # batch 1 only: batch 2 rolled back with its event
    assert finished == ["failed"]
    # run.started, batch 1's page, run.finished: one delivery each.
    assert deliveries == 3
