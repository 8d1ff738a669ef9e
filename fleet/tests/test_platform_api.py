"""Platform endpoints: operators only, on the root host only."""

from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from accounts.tests.factories import UserFactory
from cleanup.tests.factories import CleanupReportFactory
from core.testing import ROOT, TENANT_A, client
from policy.models import CleanupPolicy
from tenants.models import Domain, Tenant

pytestmark = pytest.mark.django_db

NEW_ADMIN = {"username": "bill", "email": "bill@initech.test", "password": "tps-reports-2026"}
NEW_TENANT: dict[str, Any] = {"name": "Initech", "schema_name": "initech", "admin": NEW_ADMIN}
ENDPOINTS = [
    ("get", "/api/platform/tenants/", None),
    ("post", "/api/platform/tenants/", NEW_TENANT),
    ("get", "/api/platform/tenants/alpha/reports/", None),
    ("post", "/api/platform/cleanup/trigger/", {"tenants": ["alpha"], "dry_run": True}),
    ("get", "/api/platform/summary/", None),
    ("get", "/api/platform/triggers/1/", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_platform_endpoints_need_an_operator_token(
    method: str, path: str, body: Any, tenant_a: Any
) -> None:
    assert getattr(client(ROOT), method)(path, body, format="json").status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_platform_endpoints_refuse_a_non_operator(
    method: str, path: str, body: Any, tenant_a: Any
) -> None:
    from core.testing import tokens

    UserFactory.create(schema="public", username="viewer", is_staff=True)
    viewer = tokens(ROOT, "viewer")
    assert (
        getattr(client(ROOT, viewer["access"]), method)(path, body, format="json").status_code
        == 403
    )


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_platform_endpoints_do_not_exist_on_tenant_hosts(
    method: str, path: str, body: Any, admin_a: dict[str, str]
) -> None:
    assert (
        getattr(client(TENANT_A, admin_a["access"]), method)(path, body, format="json").status_code
        == 404
    )


def test_the_tenant_list_shows_schedule_and_last_run(operator: dict[str, str]) -> None:
    CleanupPolicy.objects.filter(tenant__schema_name="alpha").update(
        last_report_id=7, last_report_status="succeeded", last_report_users_removed=3
    )
    body = client(ROOT, operator["access"]).get("/api/platform/tenants/").json()
    alpha = next(t for t in body["results"] if t["schema_name"] == "alpha")
    beta = next(t for t in body["results"] if t["schema_name"] == "beta")
    assert alpha["domain"] == "alpha.localhost" and alpha["is_active"] is True
    assert alpha["schedule"]["schedule"] == "0 3 * * *" and alpha["schedule"]["next_run_at"]
    assert alpha["last_report"] == {
        "id": 7,
        "status": "succeeded",
        "finished_at": None,
        "users_removed": 3,
    }
    assert beta["last_report"] is None
    assert "public" not in {t["schema_name"] for t in body["results"]}


def test_an_operator_creates_a_tenant_whose_admin_can_log_in(operator: dict[str, str]) -> None:
    response = client(ROOT, operator["access"]).post(
        "/api/platform/tenants/", NEW_TENANT, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["domain"] == "initech.localhost"
    login = client("initech.localhost").post(
        "/api/auth/token/", {"username": "bill", "password": "tps-reports-2026"}, format="json"
    )
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"schema_name": "public"}, "schema_name"),
        ({"schema_name": "Bad-Name"}, "schema_name"),
        ({"schema_name": "alpha"}, "schema_name"),
        ({"domain": "alpha.localhost"}, "domain"),
        ({"domain": "not a host"}, "domain"),
        ({"admin": {"username": "x", "email": "x@y.test", "password": "1"}}, "admin"),
        ({"admin": {"username": "x", "email": "nope", "password": "long-enough-pass"}}, "admin"),
        ({"name": ""}, "name"),
        # What the OpenAPI document says is refused is refused, naming the field.
        ({"name": "Acme\tInc"}, "name"),
        ({"name": "Acme\u0085Inc"}, "name"),
        ({"schema_name": "acme_"}, "schema_name"),  # its default host would end with "-"
        ({"schema_name": "acme_", "domain": "acme.example.test"}, "schema_name"),
        ({"admin": {**NEW_ADMIN, "username": "bill lumbergh"}}, "admin"),
        ({"admin": {**NEW_ADMIN, "password": "١٢٣٤٥٦٧٨٩"}}, "admin"),  # all digits
        # Longer than the user table's column: a clear 400, not a database error.
        (
            {"admin": {**NEW_ADMIN, "email": f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 60}.test"}},
            "admin",
        ),
    ],
)
def test_tenant_creation_rejects_bad_input_and_leaves_nothing(
    operator: dict[str, str], change: dict, field: str
) -> None:
    before = Tenant.objects.count(), Domain.objects.count()
    response = client(ROOT, operator["access"]).post(
        "/api/platform/tenants/", {**NEW_TENANT, **change}, format="json"
    )
    assert response.status_code == 400 and field in response.json()
    assert (Tenant.objects.count(), Domain.objects.count()) == before


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"admin": {**NEW_TENANT["admin"], "username": "bill lumbergh"}}, ("admin", "username")),
        ({"admin": {**NEW_TENANT["admin"], "username": "bill\r\nX: 1"}}, ("admin", "username")),
        ({"admin": {**NEW_TENANT["admin"], "username": "bill\u200b"}}, ("admin", "username")),
        ({"name": "Initech\r\nBcc: all@example.com"}, ("name",)),
        ({"name": "Ini\ttech"}, ("name",)),
        ({"name": "Ini\u202etech"}, ("name",)),
    ],
    ids=["username-space", "username-crlf", "username-zwsp", "name-crlf", "name-tab", "name-rlo"],
)
def test_a_bad_username_or_tenant_name_is_a_400_naming_the_field_and_creates_nothing(
    operator: dict[str, str], change: dict, errors: tuple[str, ...]
) -> None:
    before = Tenant.objects.count(), Domain.objects.count()

    response = client(ROOT, operator["access"]).post(
        "/api/platform/tenants/", {**NEW_TENANT, **change}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert list(body) == [errors[0]]
    for key in errors:
        body = body[key]
    assert isinstance(body, list) and body
    assert (Tenant.objects.count(), Domain.objects.count()) == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'initech'")
        assert cursor.fetchone() is None


def test_tenant_creation_names_every_fields_problem_at_once_and_leaves_nothing(
    operator: dict[str, str],
) -> None:
    """Malformed fields (a blank name, an email that is none) and fields only the service
    refuses (a reserved schema name, a weak password, a taken domain) in one request: one
    400 names them all, so the form shows them all after one submit."""
    before = Tenant.objects.count(), Domain.objects.count()

    response = client(ROOT, operator["access"]).post(
        "/api/platform/tenants/",
        {
            "name": "",
            "schema_name": "public",
            "domain": "alpha.localhost",
            "admin": {"username": "bill", "email": "not-an-email", "password": "1"},
        },
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"name", "schema_name", "domain", "admin"}
    assert set(errors["admin"]) == {"email", "password"}
    assert "reserved" in errors["schema_name"][0]
    assert "taken" in errors["domain"][0]
    assert (Tenant.objects.count(), Domain.objects.count()) == before


def test_a_tenants_reports_are_listed_for_operators(operator: dict[str, str]) -> None:
    with schema_context("alpha"):
        CleanupReportFactory.create(trigger="schedule", dry_run=True)
    api = client(ROOT, operator["access"])
    assert api.get("/api/platform/tenants/alpha/reports/").json()["count"] == 1
    assert api.get("/api/platform/tenants/nope/reports/").status_code == 404
