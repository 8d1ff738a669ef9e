"""Shared fixtures: the real PostgreSQL, with tenants created once per test session."""

from collections.abc import Iterator

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from tenants.models import Domain, Tenant
from tenants.services import tenant_create

SESSION_TENANTS = ("alpha", "beta")
ADMIN_PASSWORD = "admin-pass-123"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Create the public tenant and two tenants whose first admins share user id 1."""
    with django_db_blocker.unblock():
        public, _ = Tenant.objects.get_or_create(
            schema_name="public", defaults={"name": "Platform"}
        )
        Domain.objects.get_or_create(domain=settings.BASE_DOMAIN, defaults={"tenant": public})
        for schema in SESSION_TENANTS:
            if not Tenant.objects.filter(schema_name=schema).exists():
                tenant_create(
                    schema_name=schema,
                    name=schema.title(),
                    admin_username="admin",
                    admin_email=f"admin@{schema}.test",
                    admin_password=ADMIN_PASSWORD,
                )


@pytest.fixture(autouse=True)
def _fresh_redis() -> None:
    """Tests share Redis database 15: start each with no throttle counters or queued tasks."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def tenant_a(db: None) -> Tenant:
    return Tenant.objects.get(schema_name="alpha")


@pytest.fixture
def tenant_b(db: None) -> Tenant:
    return Tenant.objects.get(schema_name="beta")


@pytest.fixture
def in_tenant_a(tenant_a: Tenant) -> Iterator[Tenant]:
    with schema_context(tenant_a.schema_name):
        yield tenant_a
