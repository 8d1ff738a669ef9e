"""Runs retire stale API tokens (docs/architecture.md#api-tokens): warned, revoked, audited,
restored by an undo; the boundaries; who is told; dry runs and the preview."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.tests.factories import UserFactory, api_token_make
from cleanup.models import CleanupNotice, CleanupReport, CleanupTokenAuditEntry
from cleanup.selectors import cleanup_preview
from cleanup.services.notices import notices_send as outbox_send
from cleanup.services.oversight import report_can_undo, report_undo
from cleanup.tests.support import DAY, D, days_pass, notices_send, run, set_policy
from cleanup.token_selectors import tokens_expiring, tokens_to_revoke, tokens_to_warn
from core.testing import TENANT_A, client
from policy.rules import PolicySpec
from tenants.models import Tenant
from webhooks.models import Event
from webhooks.tests.factories import EndpointFactory

T = 60  # token_inactive_days in these tests
MICROSECOND = timedelta(microseconds=1)


def token(
    user: User,
    *,
    used_days_ago: float | None = None,
    made_days_ago: float = 400,
    name: str = "script",
    **fields: Any,
) -> ApiToken:
    """A token of `user` made and last used that many days ago, expiring in a year."""
    now = timezone.now()
    values: dict[str, Any] = {
        "created_at": now - made_days_ago * DAY,
        "last_used_at": None if used_days_ago is None else now - used_days_ago * DAY,
        **fields,
    }
    made, _ = api_token_make(
        schema="alpha", user=user, scopes=["reports:read"], name=name, days=365, **values
    )
    return made


def revoked(*tokens: ApiToken) -> set[str]:
    return set(
        ApiToken.objects.filter(
            pk__in=[t.pk for t in tokens], revoked_at__isnull=False
        ).values_list("name", flat=True)
    )


@pytest.fixture
def people(in_tenant_a: Tenant) -> dict[str, User]:
    return {
        "dev": UserFactory.create(username="dev", role="admin", login_days_ago=1),
        "quiet": UserFactory.create(username="quiet", role="auditor", email=""),
        "robot": UserFactory.create(username="robot", kind="service", role="admin", email=""),
    }


def test_exactly_on_the_boundary_is_kept(in_tenant_a: Tenant, people: dict[str, User]) -> None:
    now = timezone.now()
    dev = people["dev"]
    spec = PolicySpec(token_inactive_days=T, notice_days=0)
    edge_used = token(dev, name="edge_used", last_used_at=now - T * DAY)
    edge_made = token(dev, name="edge_made", created_at=now - T * DAY)
    past_used = token(dev, name="past_used", last_used_at=now - T * DAY - MICROSECOND)
    past_made = token(dev, name="past_made", created_at=now - T * DAY - MICROSECOND)
    restored = token(
        dev,
        name="restored",
        last_used_at=now - 2 * T * DAY,
        restored_at=now - T * DAY,
    )
    assert {edge_used, edge_made, past_used, past_made, restored}

    stale = set(tokens_to_revoke(spec, now).values_list("name", flat=True))

    assert stale == {"past_used", "past_made"}


def test_a_run_revokes_stale_tokens_and_keeps_the_rest(
    in_tenant_a: Tenant, people: dict[str, User]
) -> None:
    set_policy(in_tenant_a, token_inactive_days=T, notice_days=0)
    dev, robot = people["dev"], people["robot"]
    stale = token(dev, name="stale", used_days_ago=T + 1)
    yesterday = token(dev, name="yesterday", used_days_ago=1)
    fresh = token(dev, name="fresh", made_days_ago=T - 1)
    robots = token(robot, name="robots", used_days_ago=T + 5)
    already = token(dev, name="already", used_days_ago=T + 9, revoked_at=timezone.now())
    expired = token(dev, name="expired", used_days_ago=T + 9, expires_at=timezone.now() - DAY)
    EndpointFactory.create()

    report = run(in_tenant_a)

    assert report.status == "succeeded" and report.tokens_revoked == 2
    assert revoked(stale, yesterday, fresh, robots) == {"stale", "robots"}
    assert ApiToken.objects.get(pk=already.pk).revoked_reason == ""  # untouched
    assert ApiToken.objects.get(pk=expired.pk).revoked_at is None
    row = ApiToken.objects.get(pk=stale.pk)
    assert (row.revoked_reason, row.revoked_report_id) == ("token_inactive", report.pk)
    audit = {a.name: a for a in CleanupTokenAuditEntry.objects.filter(report=report)}
    assert set(audit) == {"stale", "robots"}
    assert audit["stale"].prefix == stale.prefix and audit["stale"].owner_username == "dev"
    assert audit["stale"].last_used_at == stale.last_used_at
    assert audit["robots"].owner_kind == "service" and audit["robots"].reason == "token_inactive"
    # The people stay: their tokens are credentials, not accounts.
    assert User.objects.filter(username__in=["dev", "robot"], is_active=True).count() == 2
    # The tenant's webhooks hear of each revoked token, and of no other.
    events = Event.objects.filter(type="token.revoked")
    assert {(e.data["prefix"], e.data["reason"]) for e in events} == {
        (f"cc_{stale.prefix}", "token_inactive"),
        (f"cc_{robots.prefix}", "token_inactive"),
    }


def test_a_person_is_kept_while_their_stale_token_is_revoked(in_tenant_a: Tenant) -> None:
    set_policy(in_tenant_a, token_inactive_days=T, inactive_days=D, notice_days=0)
    person = UserFactory.create(username="member", login_days_ago=D - 10)
    stale = token(person, name="stale", used_days_ago=T + 1)

    report = run(in_tenant_a)

    assert (report.users_deactivated, report.tokens_revoked) == (0, 1)
    assert User.objects.get(pk=person.pk).is_active
    assert revoked(stale) == {"stale"}


def test_service_accounts_are_never_matched_by_the_people_rule(in_tenant_a: Tenant) -> None:
    set_policy(in_tenant_a, inactive_days=D, notice_days=0, token_inactive_days=None)
    robot = UserFactory.create(username="robot2", kind="service", joined_days_ago=1000)
    robots = token(robot, name="robots", used_days_ago=T + 1)

    report = run(in_tenant_a)

    assert report.users_matched == 0 and report.tokens_revoked == 0
    assert User.objects.get(pk=robot.pk).is_active and not revoked(robots)


def test_a_run_that_deactivates_a_user_revokes_their_tokens_in_the_same_statement(
    in_tenant_a: Tenant,
) -> None:
    set_policy(in_tenant_a, inactive_days=D, notice_days=0, token_inactive_days=None)
    gone = UserFactory.create(username="gone", login_days_ago=D + 1)
    kept = UserFactory.create(username="kept", login_days_ago=1)
    gones, keeps = token(gone, name="gones", used_days_ago=1), token(kept, name="keeps")

    report = run(in_tenant_a)

    assert report.users_deactivated == 1
    assert revoked(gones, keeps) == {"gones"}
    assert ApiToken.objects.get(pk=gones.pk).revoked_reason == "owner_deactivated"
    # Not a stale-token revocation: neither counted nor restored by an undo.
    assert report.tokens_revoked == 0
    report_undo(report_id=report.pk, actor="admin")
    assert User.objects.get(pk=gone.pk).is_active and revoked(gones) == {"gones"}


def test_a_broken_batch_revokes_no_token(
    in_tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The revocation and the audit are one statement: a failure writes neither."""
    from cleanup.services import tokens as token_stage

    set_policy(in_tenant_a, token_inactive_days=T, notice_days=0)
    dev = UserFactory.create(username="dev2", role="admin")
    stale = token(dev, name="stale", used_days_ago=T + 1)

    def broken(*args: Any) -> int:
        token_stage.tokens_revoke(*args)
        raise RuntimeError("disk full")

    monkeypatch.setattr(token_stage, "tokens_revoke", broken)
    report = run(in_tenant_a)

    assert report.status == "failed"
    assert not revoked(stale) and not CleanupTokenAuditEntry.objects.exists()


def test_the_owner_is_warned_notice_days_before_and_only_then_is_the_token_revoked(
    in_tenant_a: Tenant, people: dict[str, User]
) -> None:
    N = 14
    set_policy(in_tenant_a, token_inactive_days=T, notice_days=N)
    dev, robot, quiet = people["dev"], people["robot"], people["quiet"]
    admin = User.objects.get(username="admin")
    soon = token(dev, name="soon", used_days_ago=T - N + 1)
    robots = token(robot, name="robots", used_days_ago=T + 1)
    nobody = token(quiet, name="nobody", used_days_ago=T + 1)  # an owner without an address

    first = run(in_tenant_a)

    assert first.tokens_revoked == 1 and revoked(soon, robots, nobody) == {"nobody"}
    notices = CleanupNotice.objects.filter(kind="token_inactive").order_by("user_id")
    assert {(n.token_id, n.user_id) for n in notices} == {
        (soon.pk, dev.pk),
        (robots.pk, admin.pk),  # a service account's: its admins with an address
        (robots.pk, dev.pk),
    }
    notices_send(first)
    days_pass(N)

    second = run(in_tenant_a)

    assert second.tokens_revoked == 2 and revoked(soon, robots) == {"soon", "robots"}
    noticed = CleanupTokenAuditEntry.objects.get(report=second, token_id=soon.pk).noticed_at
    assert noticed is not None


def test_using_a_warned_token_voids_its_notice(
    in_tenant_a: Tenant, people: dict[str, User]
) -> None:
    N = 14
    set_policy(in_tenant_a, token_inactive_days=T, notice_days=N)
    soon = token(people["dev"], name="soon", used_days_ago=T - N + 1)
    first = run(in_tenant_a)
    notices_send(first)
    days_pass(N)
    ApiToken.objects.filter(pk=soon.pk).update(last_used_at=timezone.now() - DAY)

    second = run(in_tenant_a)

    assert second.tokens_revoked == 0 and not revoked(soon)


def test_a_token_used_before_its_notice_was_sent_is_warned_again_when_stale_again(
    in_tenant_a: Tenant, people: dict[str, User]
) -> None:
    N = 14
    set_policy(in_tenant_a, token_inactive_days=T, notice_days=N)
    back = token(people["dev"], name="back", used_days_ago=T - N + 1)
    idle = token(people["dev"], name="idle", used_days_ago=T - N + 1)
    run(in_tenant_a)  # warns both; nothing is sent yet
    # `back` is used before its notice goes out: the outbox will skip that notice for good.
    ApiToken.objects.filter(pk=back.pk).update(last_used_at=timezone.now())
    days_pass(T - N + 1)  # stale soon again

    assert set(
        tokens_to_warn(
            PolicySpec(token_inactive_days=T, notice_days=N), timezone.now()
        ).values_list("name", flat=True)
    ) == {"back"}
    second = run(in_tenant_a)

    assert CleanupNotice.objects.filter(token_id=back.pk).count() == 2
    assert CleanupNotice.objects.filter(token_id=idle.pk).count() == 1
    assert second.tokens_revoked == 0 and not revoked(back, idle)


def test_a_notice_about_a_token_is_no_notice_that_the_account_goes(
    in_tenant_a: Tenant, people: dict[str, User]
) -> None:
    """An admin warned about their stale token, then demoted and inactive: the token's notice
    must neither let a run remove the account nor stop the account's own notice."""
    N = 14
    set_policy(in_tenant_a, token_inactive_days=T, notice_days=N)
    lee = UserFactory.create(username="lee", role="admin", login_days_ago=D + 30)
    stale = token(lee, name="stale", used_days_ago=T + 30)
    notices_send(run(in_tenant_a))  # the token's notice, sent to lee
    days_pass(N + 1)
    User.objects.filter(pk=lee.pk).update(role="")  # now a member: the people rule applies

    second = run(in_tenant_a)

    lee.refresh_from_db()
    assert lee.is_active and second.users_deactivated == 0
    assert revoked(stale) == {"stale"}  # the token's own notice was enough for the token
    account = CleanupNotice.objects.filter(user_id=lee.pk, kind="account")
    assert list(account.values_list("report_id", flat=True)) == [second.pk]
    # The people alongside are untouched: the admin and auditor hold roles.
    assert User.objects.filter(pk__in=[p.pk for p in people.values()], is_active=True).count() == 3


def test_an_unsent_token_notice_protects_the_token(
    in_tenant_a: Tenant, people: dict[str, User]
) -> None:
    set_policy(in_tenant_a, token_inactive_days=T, notice_days=14)
    stale = token(people["dev"], name="stale", used_days_ago=T + 30)
    run(in_tenant_a)  # warns; the mail server is down, nothing is sent
    days_pass(15)

    report = run(in_tenant_a)

    assert report.tokens_revoked == 0 and not revoked(stale)


def test_token_notices_are_mailed_through_the_outbox(
    in_tenant_a: Tenant, people: dict[str, User], mailoutbox: list[Any]
) -> None:
    set_policy(in_tenant_a, token_inactive_days=T, notice_days=14)
    soon = token(people["dev"], name="nightly", used_days_ago=T - 5)
    expiring = token(
        people["dev"], name="weekly", used_days_ago=1, expires_at=timezone.now() + 3 * DAY
    )
    run(in_tenant_a)
    connection.set_schema_to_public()  # type: ignore[attr-defined]

    outcome = outbox_send(schema_name="alpha")

    assert outcome.sent == 2
    subjects = sorted(message.subject for message in mailoutbox)
    assert "unused API token 'nightly' will be revoked" in subjects[1]
    assert "API token 'weekly' expires on" in subjects[0]
    bodies = " ".join(message.body for message in mailoutbox)
    assert f"cc_{soon.prefix}_..." in bodies and f"cc_{expiring.prefix}_..." in bodies
    assert all(message.to == [people["dev"].email] for message in mailoutbox)


def test_an_expiry_notice_goes_once_seven_days_before(
    in_tenant_a: Tenant, people: dict[str, User]
) -> None:
    set_policy(in_tenant_a, token_inactive_days=None, notice_days=14)
    now = timezone.now()
    dev = people["dev"]
    in_six = token(dev, name="in_six", used_days_ago=1, expires_at=now + 6 * DAY)
    in_eight = token(dev, name="in_eight", used_days_ago=1, expires_at=now + 8 * DAY)
    assert in_eight

    run(in_tenant_a)
    run(in_tenant_a)

    notices = CleanupNotice.objects.filter(kind="token_expiry")
    assert [(n.token_id, n.due_at) for n in notices] == [(in_six.pk, in_six.expires_at)]
    assert not tokens_expiring(now).exists()


def test_a_dry_run_and_the_preview_count_tokens_and_change_nothing(
    in_tenant_a: Tenant, people: dict[str, User]
) -> None:
    set_policy(in_tenant_a, token_inactive_days=T, notice_days=0, dry_run=True)
    stale = token(people["robot"], name="stale", used_days_ago=T + 1)
    spec = PolicySpec(token_inactive_days=T, notice_days=14)
    soon = token(people["dev"], name="soon", used_days_ago=T - 13)

    report = run(in_tenant_a)
    now = timezone.now()
    preview = cleanup_preview(spec, now)
    unwarned = cleanup_preview(PolicySpec(token_inactive_days=T, notice_days=0), now)

    assert report.tokens_revoked == 1 and report.counts_are_would
    assert not revoked(stale, soon) and not CleanupNotice.objects.exists()
    assert not CleanupTokenAuditEntry.objects.exists()
    # With notices on, both are warned first and nothing is revoked yet.
    assert (preview["tokens_to_revoke"], preview["tokens_to_warn"]) == (0, 2)
    assert set(tokens_to_warn(spec, now)) == {stale, soon}
    assert (unwarned["tokens_to_revoke"], unwarned["tokens_to_warn"]) == (1, 0)


def test_undo_restores_the_tokens_the_run_revoked(
    in_tenant_a: Tenant, people: dict[str, User]
) -> None:
    set_policy(in_tenant_a, token_inactive_days=T, notice_days=0)
    dev, quiet = people["dev"], people["quiet"]
    stale = token(dev, name="stale", used_days_ago=T + 1)
    orphan = token(quiet, name="orphan", used_days_ago=T + 1)
    report = run(in_tenant_a)
    assert report_can_undo(report)
    User.objects.filter(pk=quiet.pk).update(is_active=False)  # its owner left since

    result = report_undo(report_id=report.pk, actor="admin")

    assert result.tokens_restored == 1
    assert revoked(stale, orphan) == {"orphan"}
    row = ApiToken.objects.get(pk=stale.pk)
    assert row.restored_at is not None and row.revoked_report_id is None
    audit = CleanupTokenAuditEntry.objects.get(report=report, token_id=stale.pk)
    assert audit.restored_by == "admin"
    # Its clock starts again: the next run keeps it.
    assert run(in_tenant_a).tokens_revoked == 0
    assert report_undo(report_id=report.pk, actor="admin").tokens_restored == 0


def test_the_token_audit_list_and_its_csv(
    in_tenant_a: Tenant, people: dict[str, User], admin_a: dict[str, str]
) -> None:
    set_policy(in_tenant_a, token_inactive_days=T, notice_days=0)
    token(people["dev"], name="=cmd()", used_days_ago=T + 1)
    report = run(in_tenant_a)
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    api = client(TENANT_A, admin_a["access"])

    listed = api.get(f"/api/reports/{report.pk}/tokens/").json()["results"]
    csv = b"".join(api.get(f"/api/reports/{report.pk}/tokens/?format=csv").streaming_content)

    assert [(t["name"], t["owner_username"], t["reason"]) for t in listed] == [
        ("=cmd()", "dev", "token_inactive")
    ]
    assert b"'=cmd()" in csv and csv.startswith(b"token_id,prefix,name,")
    report_body = api.get(f"/api/reports/{report.pk}/").json()
    assert report_body["tokens_revoked"] == 1 and report_body["can_undo"] is True


def test_reports_of_runs_that_revoked_nothing_cannot_be_undone(in_tenant_a: Tenant) -> None:
    report = CleanupReport(status="succeeded", dry_run=False, users_deactivated=0)
    assert not report_can_undo(report)
    report.tokens_revoked = 1
    assert report_can_undo(report)
