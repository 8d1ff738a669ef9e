"""Every verb this code writes is written — by the action, in the action's own transaction:
an action that fails, even after its event was written, leaves no event
(docs/architecture.md#oversight)."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.tests.factories import UserFactory
from activity.models import ActivityEvent
from cleanup.models import CleanupExemption, CleanupReport
from cleanup.services.exemptions import exemption_create, exemption_delete
from cleanup.services.start import cleanup_enqueue
from core.testing import ROOT, TENANT_A, client
from core.testing.broker import broker_at, free_port
from fleet.services.tenants import tenant_create
from policy.models import CleanupPolicy
from policy.services import policy_get, policy_update
from policy.tests.test_admin import form_data
from tenants.models import Domain, Tenant

pytestmark = pytest.mark.django_db


class Log:
    """The activity each schema gains from now on: the session's tenants were created (and
    logged) before any test ran."""

    def __init__(self) -> None:
        self.start = {schema: self._last(schema) for schema in ("public", "alpha", "beta")}

    @staticmethod
    def _last(schema: str) -> int:
        with schema_context(schema):
            return ActivityEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def new(self, schema: str, verb: str | None = None) -> list[ActivityEvent]:
        with schema_context(schema):
            found = ActivityEvent.objects.filter(id__gt=self.start.get(schema, 0)).order_by("id")
            return list(found.filter(verb=verb) if verb else found)


@pytest.fixture
def log(db: None) -> Log:
    return Log()


class AfterTheEvent(Exception):
    """A later step of the action failing once its event is written."""


@pytest.fixture
def fail_after_event(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any, str], None]:
    """Make `module.<name>` write its event and then fail, as a later step of the action
    would: the event must go with the rest of the action's transaction."""

    def patch(module: Any, name: str) -> None:
        real = getattr(module, name)

        def record_then_fail(**kwargs: Any) -> Any:
            real(**kwargs)
            assert ActivityEvent.objects.filter(verb=kwargs["verb"]).exists()  # written...
            raise AfterTheEvent()

        monkeypatch.setattr(module, name, record_then_fail)

    return patch


@pytest.fixture
def no_event_leaks(tenant_a: Tenant, log: Log) -> Iterator[None]:
    yield
    assert log.new("alpha") == [] and log.new("public") == []


# --- policy.updated


def test_a_policy_change_logs_each_changed_field_old_and_new(
    admin_a: dict[str, str], log: Log
) -> None:
    api = client(TENANT_A, admin_a["access"])

    response = api.patch(
        "/api/cleanup/policy/",
        {"inactive_days": 7, "exempt_groups": [], "action": "delete", "dry_run": True},
        format="json",
    )

    assert response.status_code == 200
    (event,) = log.new("alpha", "policy.updated")
    assert (event.actor, event.target) == ("admin", "cleanup policy")
    # Only what changed: exempt_groups and dry_run were sent with their current values.
    assert event.data == {
        "inactive_days": {"old": 90, "new": 7},
        "action": {"old": "deactivate", "new": "delete"},
    }
    assert log.new("public") == []


def test_saving_an_unchanged_policy_logs_nothing(admin_a: dict[str, str], log: Log) -> None:
    api = client(TENANT_A, admin_a["access"])
    policy = api.get("/api/cleanup/policy/").json()
    body = {k: v for k, v in policy.items() if k not in ("next_run_at", "schedule_description")}

    assert api.put("/api/cleanup/policy/", body, format="json").status_code == 200
    assert log.new("alpha") == []


def test_a_refused_policy_change_logs_nothing(
    admin_a: dict[str, str], no_event_leaks: None
) -> None:
    response = client(TENANT_A, admin_a["access"]).patch(
        "/api/cleanup/policy/", {"inactive_days": 7, "exempt_groups": ["nope"]}, format="json"
    )
    assert response.status_code == 400


def test_a_policy_change_that_fails_after_its_event_keeps_neither(
    tenant_a: Tenant, fail_after_event: Callable[[Any, str], None], no_event_leaks: None
) -> None:
    from policy import services as policy_services

    fail_after_event(policy_services, "activity_record")

    with pytest.raises(AfterTheEvent):
        policy_update(policy=policy_get("alpha"), data={"inactive_days": 7}, actor="admin")

    assert CleanupPolicy.objects.get(tenant=tenant_a).inactive_days == 90


def test_an_operator_editing_a_policy_in_django_admin_is_named_in_the_tenants_log(
    tenant_a: Tenant, log: Log
) -> None:
    UserFactory.create(schema="public", username="op", is_superuser=True, is_staff=True)
    site = Client(HTTP_HOST=ROOT)
    with schema_context("public"):
        site.force_login(User.objects.get(username="op"))
    url = f"/admin/policy/cleanuppolicy/{tenant_a.pk}/change/"
    data = {**form_data(site.get(url).context["adminform"].form), "inactive_days": 30}
    assert site.post(url, data).status_code == 302

    (event,) = log.new("alpha", "policy.updated")
    assert event.actor == "op (operator)"
    assert event.data == {"inactive_days": {"old": 90, "new": 30}}
    assert log.new("public") == [] and log.new("beta") == []


# --- cleanup.triggered


def test_a_tenant_admins_trigger_is_logged_with_its_report(
    admin_a: dict[str, str], log: Log
) -> None:
    response = client(TENANT_A, admin_a["access"]).post(
        "/api/cleanup/trigger/", {"dry_run": True}, format="json"
    )

    report_id = response.json()["report_id"]
    (event,) = log.new("alpha", "cleanup.triggered")
    assert (event.actor, event.target) == ("admin", f"report {report_id}")
    assert event.data == {"report_id": report_id, "dry_run": True}


def test_a_trigger_refused_as_busy_logs_nothing_more(admin_a: dict[str, str], log: Log) -> None:
    api = client(TENANT_A, admin_a["access"])
    assert api.post("/api/cleanup/trigger/", {}, format="json").status_code == 202
    assert api.post("/api/cleanup/trigger/", {}, format="json").status_code == 409
    assert len(log.new("alpha", "cleanup.triggered")) == 1


def test_a_trigger_whose_publish_fails_withdraws_its_event_with_its_report(
    admin_a: dict[str, str], no_event_leaks: None
) -> None:
    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        response = client(TENANT_A, admin_a["access"]).post(
            "/api/cleanup/trigger/", {"dry_run": True}, format="json"
        )
    assert response.status_code == 503
    with schema_context("alpha"):
        assert not CleanupReport.objects.exists()


def test_a_trigger_that_fails_after_its_event_keeps_neither(
    tenant_a: Tenant, fail_after_event: Callable[[Any, str], None], no_event_leaks: None
) -> None:
    from cleanup.services import start

    fail_after_event(start, "activity_record")

    with pytest.raises(AfterTheEvent):
        cleanup_enqueue(schema_name="alpha", trigger="manual", triggered_by="admin")

    with schema_context("alpha"):
        assert not CleanupReport.objects.exists()


@pytest.mark.parametrize(("trigger", "by"), [("schedule", None), ("platform", "operator")])
def test_runs_no_tenant_admin_started_are_not_in_the_tenants_log(
    tenant_a: Tenant, trigger: str, by: str | None, log: Log
) -> None:
    cleanup_enqueue(schema_name="alpha", trigger=trigger, triggered_by=by)
    assert log.new("alpha") == []


# --- exemption.created, exemption.deleted (their API tests: cleanup/tests/test_exemptions.py)


def test_an_exemption_that_fails_after_its_event_keeps_neither(
    in_tenant_a: Tenant, fail_after_event: Callable[[Any, str], None], no_event_leaks: None
) -> None:
    from cleanup.services import exemptions

    UserFactory.create(schema="alpha", username="ceo")
    fail_after_event(exemptions, "activity_record")

    with pytest.raises(AfterTheEvent):
        exemption_create(username="ceo", reason="Sabbatical", expires_at=None, actor="admin")

    assert not CleanupExemption.objects.exists()


def test_a_removal_that_fails_after_its_event_keeps_the_exemption(
    in_tenant_a: Tenant, fail_after_event: Callable[[Any, str], None], log: Log
) -> None:
    from cleanup.services import exemptions

    UserFactory.create(schema="alpha", username="ceo")
    exemption = exemption_create(username="ceo", reason="x", expires_at=None, actor="admin")
    fail_after_event(exemptions, "activity_record")

    with pytest.raises(AfterTheEvent):
        exemption_delete(exemption_id=exemption.pk, actor="admin")

    assert CleanupExemption.objects.filter(pk=exemption.pk).exists()
    assert [e.verb for e in log.new("alpha")] == ["exemption.created"]


# --- tenant.created


NEW_TENANT = {
    "name": "Initech",
    "schema_name": "initech",
    "admin": {"username": "bill", "email": "bill@initech.test", "password": "tps-reports-2026"},
}


def test_an_operator_creating_a_tenant_is_in_the_public_log(
    operator: dict[str, str], log: Log
) -> None:
    response = client(ROOT, operator["access"]).post(
        "/api/platform/tenants/", NEW_TENANT, format="json"
    )

    assert response.status_code == 201
    (event,) = log.new("public", "tenant.created")
    assert (event.actor, event.target) == ("operator", "initech")
    assert event.data == {"name": "Initech", "domain": "initech.localhost", "admin": "bill"}
    # ...and not in the new tenant's own log.
    assert log.new("initech") == []


def test_a_refused_tenant_creation_logs_nothing(operator: dict[str, str], log: Log) -> None:
    response = client(ROOT, operator["access"]).post(
        "/api/platform/tenants/", {**NEW_TENANT, "schema_name": "alpha"}, format="json"
    )
    assert response.status_code == 400 and log.new("public") == []


def test_a_tenant_creation_that_fails_after_its_event_leaves_nothing(
    db: None, fail_after_event: Callable[[Any, str], None], log: Log
) -> None:
    from fleet.services import tenants as tenant_services

    fail_after_event(tenant_services, "platform_activity_record")

    with pytest.raises(AfterTheEvent):
        tenant_create(
            schema_name="initech",
            name="Initech",
            admin_username="bill",
            admin_email="bill@initech.test",
            admin_password="tps-reports-2026",
        )

    assert not Tenant.objects.filter(schema_name="initech").exists()
    assert not Domain.objects.filter(domain="initech.localhost").exists()
    assert log.new("public") == []


# --- platform.triggered


def test_an_operators_trigger_is_logged_with_what_came_of_it(
    operator: dict[str, str], tenant_a: Tenant, log: Log
) -> None:
    api = client(ROOT, operator["access"])
    api.post("/api/platform/cleanup/trigger/", {"tenants": ["alpha"]}, format="json")

    response = api.post("/api/platform/cleanup/trigger/", {"dry_run": True}, format="json")

    assert response.status_code == 202
    first, everyone = log.new("public", "platform.triggered")
    assert (first.actor, first.target, first.data["queued"]) == ("operator", "alpha", 1)
    assert first.data["tenants"] == ["alpha"] and first.data["dry_run"] is None
    assert (everyone.target, everyone.data["tenants"], everyone.data["dry_run"]) == (
        "all tenants",
        None,
        True,
    )
    assert (everyone.data["queued"], everyone.data["skipped"]) == (1, 1)
    assert everyone.data["skipped_tenants"] == [
        {"tenant": "alpha", "reason": response.json()["skipped"][0]["reason"]}
    ]
    # The operator's action is the operators' record; the tenants' logs stay theirs.
    assert log.new("alpha") == [] and log.new("beta") == []


def test_a_trigger_the_broker_refused_entirely_logs_nothing(
    operator: dict[str, str], no_event_leaks: None
) -> None:
    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        response = client(ROOT, operator["access"]).post(
            "/api/platform/cleanup/trigger/", {"tenants": ["alpha"]}, format="json"
        )
    assert response.status_code == 503


def test_a_long_list_of_named_tenants_is_logged_by_count(db: None, log: Log) -> None:
    from fleet.services.platform import cleanup_platform_trigger

    names = [f"ghost_{i:03}" for i in range(120)]
    cleanup_platform_trigger(schema_names=names, dry_run=True, actor="operator")

    (event,) = log.new("public", "platform.triggered")
    assert event.target == "120 tenants"
    assert len(event.data["tenants"]) == 50 and len(event.data["skipped_tenants"]) == 50
    assert event.data["skipped"] == 120
