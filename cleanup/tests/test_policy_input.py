"""Policy input the shape checks cannot catch: crons that never fire, groups that do not exist."""

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.test import Client
from django_tenants.utils import schema_context

from accounts.tests.factories import UserFactory
from core.testing import FULL_POLICY, TENANT_A, TENANT_B, client, tokens
from policy.models import CleanupPolicy

pytestmark = pytest.mark.django_db

NEVER_FIRES = ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *"]


def policy_row(schema: str = "alpha") -> dict[str, Any]:
    return dict(CleanupPolicy.objects.filter(tenant__schema_name=schema).values().get())


def send(admin: dict[str, str], method: str, body: dict[str, Any]) -> Any:
    api = client(TENANT_A, admin["access"])
    if method == "preview":
        return api.post("/api/cleanup/preview/", body, format="json")
    return getattr(api, method)("/api/cleanup/policy/", body, format="json")


@pytest.fixture
def groups(tenant_a: Any) -> None:
    with schema_context("alpha"):
        Group.objects.create(name="vip")
        Group.objects.create(name="Staff")
    with schema_context("beta"):
        Group.objects.create(name="beta-only")


@pytest.mark.parametrize("expression", NEVER_FIRES)
@pytest.mark.parametrize("method", ["patch", "put", "preview"])
def test_a_schedule_that_never_fires_is_a_400_and_changes_nothing(
    admin_a: dict[str, str], method: str, expression: str
) -> None:
    before = policy_row()

    response = send(admin_a, method, {**FULL_POLICY, "schedule": expression})

    assert response.status_code == 400, response.content
    assert "never" in response.json()["schedule"][0]
    assert policy_row() == before


def test_a_schedule_that_fires_once_in_four_years_is_accepted(admin_a: dict[str, str]) -> None:
    response = send(admin_a, "patch", {"schedule": "0 0 29 2 *"})
    assert response.status_code == 200 and response.json()["next_run_at"][5:10] == "02-29"


@pytest.mark.parametrize("expression", NEVER_FIRES)
def test_the_operators_policy_form_refuses_a_schedule_that_never_fires(
    tenant_a: Any, expression: str
) -> None:
    UserFactory.create(schema="public", username="op", is_superuser=True, is_staff=True)
    browser = Client(HTTP_HOST="localhost")
    browser.post("/admin/login/", {"username": "op", "password": "a-long-enough-password"})
    before = policy_row()

    response = browser.post(
        f"/admin/policy/cleanuppolicy/{tenant_a.pk}/change/",
        {
            **FULL_POLICY,
            "tenant": tenant_a.pk,
            "exempt_groups": "",
            "delete_after_days": "",
            "schedule": expression,
        },
    )

    assert response.status_code == 200  # the form again, with the error
    assert "never" in response.context["adminform"].form.errors["schedule"][0]
    assert policy_row() == before


@pytest.mark.parametrize(
    ("exempt_groups", "unknown"),
    [
        (["vip", "vpi"], "vpi"),
        (["staff"], "staff"),  # names are exact: the group is "Staff"
        (["beta-only"], "beta-only"),  # another tenant's group
        (["vip", "nope", "also-nope"], "also-nope, nope"),
    ],
)
@pytest.mark.parametrize("method", ["patch", "put", "preview"])
def test_unknown_exempt_groups_are_a_400_naming_them_and_change_nothing(
    admin_a: dict[str, str], groups: None, method: str, exempt_groups: list[str], unknown: str
) -> None:
    before = policy_row()

    response = send(admin_a, method, {**FULL_POLICY, "exempt_groups": exempt_groups})

    assert response.status_code == 400, response.content
    assert response.json() == {"exempt_groups": [f"No such group in this tenant: {unknown}."]}
    assert policy_row() == before


@pytest.mark.parametrize("method", ["patch", "put", "preview"])
def test_existing_exempt_groups_are_accepted(
    admin_a: dict[str, str], groups: None, method: str
) -> None:
    response = send(admin_a, method, {**FULL_POLICY, "exempt_groups": ["vip", "Staff"]})

    assert response.status_code == 200, response.content
    if method != "preview":
        assert policy_row()["exempt_groups"] == ["vip", "Staff"]


def test_a_group_deleted_later_does_not_block_unrelated_changes(
    admin_a: dict[str, str], groups: None
) -> None:
    assert send(admin_a, "patch", {"exempt_groups": ["vip"]}).status_code == 200
    with schema_context("alpha"):
        Group.objects.filter(name="vip").delete()

    response = send(admin_a, "patch", {"inactive_days": 120})

    assert response.status_code == 200 and response.json()["exempt_groups"] == ["vip"]


def test_beta_keeps_its_own_groups(groups: None, tenant_b: Any) -> None:
    admin_b = tokens(TENANT_B, "admin", "admin-pass-123")
    response = client(TENANT_B, admin_b["access"]).patch(
        "/api/cleanup/policy/", {"exempt_groups": ["beta-only"]}, format="json"
    )
    assert response.status_code == 200 and policy_row("beta")["exempt_groups"] == ["beta-only"]


LIFECYCLE = {"on_cap": "abort", "notice_days": 7, "delete_after_days": 30, "notify_admins": False}


def test_a_put_without_the_lifecycle_fields_keeps_them(admin_a: dict[str, str]) -> None:
    assert send(admin_a, "patch", LIFECYCLE).status_code == 200
    # A script written before the lifecycle fields existed PUTs the policy as it knew it.
    older_body = {k: v for k, v in FULL_POLICY.items() if k not in LIFECYCLE}

    response = send(admin_a, "put", {**older_body, "inactive_days": 120})

    assert response.status_code == 200, response.content
    row = policy_row()
    assert row["inactive_days"] == 120
    assert {name: row[name] for name in LIFECYCLE} == LIFECYCLE


@pytest.mark.parametrize("method", ["patch", "put", "preview"])
def test_a_restore_window_with_action_delete_is_a_400_naming_it(
    admin_a: dict[str, str], method: str
) -> None:
    before = policy_row()

    response = send(admin_a, method, {**FULL_POLICY, "action": "delete", "delete_after_days": 30})

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["delete_after_days"]
    assert "deactivate" in response.json()["delete_after_days"][0]
    assert policy_row() == before


def test_switching_to_delete_while_a_restore_window_is_saved_is_a_400(
    admin_a: dict[str, str],
) -> None:
    assert send(admin_a, "patch", {"delete_after_days": 30}).status_code == 200
    before = policy_row()

    refused = send(admin_a, "patch", {"action": "delete"})
    accepted = send(admin_a, "patch", {"action": "delete", "delete_after_days": None})

    assert refused.status_code == 400 and list(refused.json()) == ["delete_after_days"]
    assert accepted.status_code == 200, accepted.content
    assert (policy_row()["action"], policy_row()["delete_after_days"]) == ("delete", None)
    assert before["action"] == "deactivate"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("notice_days", -1),
        ("notice_days", 366),
        ("notice_days", 1.5),
        ("notice_days", "14"),
        ("delete_after_days", 0),
        ("delete_after_days", 3651),
        ("on_cap", "maybe"),
        ("on_cap", None),
        ("notify_admins", "yes"),
        ("notify_admins", None),
    ],
)
@pytest.mark.parametrize("method", ["patch", "put", "preview"])
def test_out_of_range_lifecycle_fields_are_a_400_naming_them(
    admin_a: dict[str, str], method: str, field: str, value: Any
) -> None:
    before = policy_row()

    response = send(admin_a, method, {**FULL_POLICY, field: value})

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert policy_row() == before


def test_the_lifecycle_fields_at_their_bounds_are_accepted(admin_a: dict[str, str]) -> None:
    for body in (
        {"notice_days": 0},
        {"notice_days": 365},
        {"delete_after_days": 1},
        {"delete_after_days": 3650},
    ):
        response = send(admin_a, "patch", body)
        assert response.status_code == 200, (body, response.content)
        assert {k: response.json()[k] for k in body} == body


def test_the_operators_policy_form_refuses_a_restore_window_with_action_delete(
    tenant_a: Any,
) -> None:
    UserFactory.create(schema="public", username="op", is_superuser=True, is_staff=True)
    browser = Client(HTTP_HOST="localhost")
    browser.post("/admin/login/", {"username": "op", "password": "a-long-enough-password"})
    before = policy_row()

    response = browser.post(
        f"/admin/policy/cleanuppolicy/{tenant_a.pk}/change/",
        {
            **FULL_POLICY,
            "tenant": tenant_a.pk,
            "exempt_groups": "",
            "action": "delete",
            "delete_after_days": "30",
        },
    )

    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.errors
    assert "deactivate" in errors["delete_after_days"][0]
    assert policy_row() == before


# The safety cap is a share from 1% to 100%: the dashboard shows and edits it as a whole
# percentage, and 5e-324 (accepted once) read as "0%".
TOO_SMALL_OR_LARGE_RATIOS = [5e-324, 0.0099, 0, -0.5, 1.0001]


@pytest.mark.parametrize("ratio", TOO_SMALL_OR_LARGE_RATIOS)
@pytest.mark.parametrize("method", ["patch", "put", "preview"])
def test_a_safety_cap_outside_one_to_a_hundred_percent_is_a_400_and_saves_nothing(
    admin_a: dict[str, str], method: str, ratio: float
) -> None:
    before = policy_row()

    response = send(admin_a, method, {**FULL_POLICY, "max_removal_ratio": ratio})

    assert response.status_code == 400, response.content
    assert response.json() == {
        "max_removal_ratio": ["Must be from 0.01 to 1 (1% to 100% of eligible users)."]
    }
    assert policy_row() == before


@pytest.mark.parametrize("ratio", [0.01, 0.125, 1])
def test_a_safety_cap_from_one_to_a_hundred_percent_is_saved(
    admin_a: dict[str, str], ratio: float
) -> None:
    response = send(admin_a, "patch", {"max_removal_ratio": ratio})

    assert response.status_code == 200, response.content
    assert response.json()["max_removal_ratio"] == ratio == policy_row()["max_removal_ratio"]


def test_the_database_refuses_a_safety_cap_below_one_percent(tenant_a: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        CleanupPolicy.objects.filter(tenant=tenant_a).update(max_removal_ratio=5e-324)
    assert policy_row()["max_removal_ratio"] == 0.5


def test_the_operators_policy_form_refuses_a_safety_cap_below_one_percent(tenant_a: Any) -> None:
    UserFactory.create(schema="public", username="op", is_superuser=True, is_staff=True)
    browser = Client(HTTP_HOST="localhost")
    browser.post("/admin/login/", {"username": "op", "password": "a-long-enough-password"})
    before = policy_row()

    response = browser.post(
        f"/admin/policy/cleanuppolicy/{tenant_a.pk}/change/",
        {
            **FULL_POLICY,
            "tenant": tenant_a.pk,
            "exempt_groups": "",
            "delete_after_days": "",
            "max_removal_ratio": "5e-324",
        },
    )

    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.errors
    assert errors["max_removal_ratio"] == ["Must be from 0.01 to 1 (1% to 100% of eligible users)."]
    assert policy_row() == before


@pytest.mark.parametrize("method", ["patch", "put", "preview"])
def test_malformed_and_refused_fields_are_named_at_once_and_nothing_saved(
    admin_a: dict[str, str], groups: None, method: str
) -> None:
    """Malformed fields (a day count out of range, a cron of four fields) and fields only the
    rules beyond the shapes refuse (an unknown group, a restore window with action delete),
    in one request: one 400 names them all, so the editor shows them all at once."""
    before = policy_row()

    response = send(
        admin_a,
        method,
        {
            **FULL_POLICY,
            "inactive_days": 0,
            "schedule": "0 3 * *",
            "exempt_groups": ["vip", "vpi"],
            "action": "delete",
            "delete_after_days": 30,
        },
    )

    assert response.status_code == 400, response.content
    errors = response.json()
    assert set(errors) == {"inactive_days", "schedule", "exempt_groups", "delete_after_days"}
    assert errors["exempt_groups"] == ["No such group in this tenant: vpi."]
    assert "deactivate" in errors["delete_after_days"][0]
    assert policy_row() == before


@pytest.mark.parametrize("method", ["patch", "put", "preview"])
def test_a_name_that_is_no_policy_field_is_a_400_naming_it_and_changes_nothing(
    admin_a: dict[str, str], method: str
) -> None:
    """A misspelled `dry_run` must not be a 200 that leaves the policy removing people."""
    send(admin_a, "patch", {"dry_run": False})
    before = policy_row()

    response = send(admin_a, method, {**FULL_POLICY, "dryrun": True, "max_removal_percent": 5})

    assert response.status_code == 400, response.content
    assert response.json() == {
        "dryrun": ["Not a policy field."],
        "max_removal_percent": ["Not a policy field."],
    }
    assert policy_row() == before and before["dry_run"] is False


def test_a_policy_read_and_sent_back_whole_saves(admin_a: dict[str, str]) -> None:
    api = client(TENANT_A, admin_a["access"])
    read = api.get("/api/cleanup/policy/").json()
    assert {"next_run_at", "schedule_description"} <= set(read)

    response = api.put("/api/cleanup/policy/", {**read, "inactive_days": 400}, format="json")

    assert response.status_code == 200, response.content
    assert policy_row()["inactive_days"] == 400
