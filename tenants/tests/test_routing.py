import pytest
from django.test import Client, override_settings

from tenants.models import Tenant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["nowhere.localhost", "alpha.localhost.evil.com", "127.0.0.1"])
def test_an_unknown_host_gets_404_never_the_public_site(host: str) -> None:
    response = Client().get("/admin/login/", HTTP_HOST=host)
    assert response.status_code == 404


def test_a_tenant_host_gets_the_tenant_admin_and_the_root_host_the_operators_admin(
    tenant_a: Tenant,
) -> None:
    tenant_page = Client().get("/admin/login/", HTTP_HOST="alpha.localhost")
    root_page = Client().get("/admin/login/", HTTP_HOST="localhost")

    assert tenant_page.status_code == 200 and root_page.status_code == 200
    assert b"Tenant administration" in tenant_page.content
    assert b"Tenant administration" not in root_page.content


def test_a_tenant_admin_logs_into_the_tenant_admin_and_sees_users_not_tenants(
    tenant_a: Tenant,
) -> None:
    client = Client(HTTP_HOST="alpha.localhost")
    response = client.post(
        "/admin/login/", {"username": "admin", "password": "admin-pass-123", "next": "/admin/"}
    )
    assert response.status_code == 302
    index = client.get("/admin/")
    assert b"/admin/accounts/user/" in index.content
    assert b"/admin/tenants/" not in index.content
    assert b"/admin/policy/" not in index.content


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost", "anything.example"])
def test_healthz_answers_on_any_host(host: str) -> None:
    assert Client().get("/healthz", HTTP_HOST=host).status_code == 200


def test_readyz_is_ready_when_postgresql_and_redis_answer() -> None:
    response = Client().get("/readyz", HTTP_HOST="localhost")
    assert response.status_code == 200
    assert response.json()["checks"] == {"postgresql": True, "redis": True}


def test_readyz_names_a_dead_redis_with_503() -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = Client().get("/readyz", HTTP_HOST="localhost")
    assert response.status_code == 503
    assert response.json()["checks"] == {"postgresql": True, "redis": False}
    assert "redis" in response.json()["detail"]


def test_operators_cannot_add_a_bare_tenant_row_in_django_admin(tenant_a: Tenant) -> None:
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    with schema_context("public"):
        get_user_model().objects.create_superuser("op", "op@x.test", "op-pass-123456")
    client = Client(HTTP_HOST="localhost")
    client.post(
        "/admin/login/", {"username": "op", "password": "op-pass-123456", "next": "/admin/"}
    )

    assert client.get("/admin/tenants/tenant/").status_code == 200
    assert client.get("/admin/tenants/tenant/add/").status_code == 403
