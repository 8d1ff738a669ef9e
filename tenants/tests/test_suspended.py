"""A suspended tenant's host refuses its API and its admin login (docs/architecture.md#security)."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import schema_context
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.tests.factories import UserFactory
from core.testing import PASSWORD, ROOT, TENANT_A, TENANT_B, client, tokens
from tenants.models import Tenant

pytestmark = pytest.mark.django_db

SUSPENDED = {"detail": "This tenant is suspended."}


def alpha_state() -> dict[str, Any]:
    with schema_context("alpha"):
        users = get_user_model().objects.order_by("pk")
        return {
            "users": list(users.values("username", "last_login", "last_seen", "token_version")),
            "outstanding": OutstandingToken.objects.count(),
            "blacklisted": BlacklistedToken.objects.count(),
        }


def test_a_suspended_tenant_refuses_its_api_and_admin_login_and_changes_nothing(
    tenant_a: Tenant, admin_a: dict[str, str]
) -> None:
    UserFactory.create(schema="alpha", username="staffer", is_staff=True)
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=False)
    before = alpha_state()
    api = client(TENANT_A)
    authed = client(TENANT_A, admin_a["access"])

    responses = {
        "obtain": api.post(
            "/api/auth/token/", {"username": "admin", "password": "admin-pass-123"}, format="json"
        ),
        "me": authed.get("/api/me/"),
        "reports": authed.get("/api/reports/"),
        "trigger": authed.post("/api/cleanup/trigger/", {"dry_run": True}, format="json"),
        "refresh": api.post(
            "/api/auth/token/refresh/", {"refresh": admin_a["refresh"]}, format="json"
        ),
        "logout": api.post(
            "/api/auth/logout/", {"refresh": admin_a["refresh"], "everywhere": True}, format="json"
        ),
        "unknown": api.get("/api/nothing-here/"),
    }
    for name, response in responses.items():
        assert (name, response.status_code, response.json()) == (name, 403, SUSPENDED)

    browser = Client(HTTP_HOST=TENANT_A)
    login = browser.post("/admin/login/", {"username": "staffer", "password": PASSWORD})
    assert login.status_code == 403 and "_auth_user_id" not in browser.session
    assert browser.get("/admin/").status_code == 403

    assert alpha_state() == before
    with schema_context("alpha"):
        from cleanup.models import CleanupReport

        assert not CleanupReport.objects.exists()


def test_health_checks_and_other_tenants_keep_working_while_one_is_suspended(
    tenant_a: Tenant, tenant_b: Tenant, operator: dict[str, str]
) -> None:
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=False)

    assert client(TENANT_A).get("/healthz").status_code == 200
    assert client(TENANT_A).get("/readyz").status_code == 200
    assert (
        client(TENANT_B, tokens(TENANT_B, "admin", "admin-pass-123")["access"])
        .get("/api/reports/")
        .status_code
        == 200
    )
    assert client(ROOT, operator["access"]).get("/api/platform/tenants/").status_code == 200


def test_a_reinstated_tenant_works_again_with_its_old_tokens(
    tenant_a: Tenant, admin_a: dict[str, str]
) -> None:
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=False)
    assert client(TENANT_A, admin_a["access"]).get("/api/me/").status_code == 403
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=True)
    assert client(TENANT_A, admin_a["access"]).get("/api/me/").status_code == 200


def test_the_public_tenant_cannot_lock_the_operators_out(operator: dict[str, str]) -> None:
    # Its is_active box is in the root admin like any tenant's; unticking it must not turn
    # the operators' own API and admin into 403s that only a shell could undo.
    Tenant.objects.filter(schema_name="public").update(is_active=False)

    assert client(ROOT, operator["access"]).get("/api/me/").status_code == 200
    assert Client(HTTP_HOST=ROOT).get("/admin/login/").status_code == 200
