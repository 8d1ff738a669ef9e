"""Shared fixtures: the real PostgreSQL, with tenants created once per test session."""

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from django.test.utils import setup_databases, teardown_databases
from django_tenants.utils import schema_context

from accounts.tests.factories import UserFactory
from config.celery import app as celery_app
from core.testing import ROOT, TENANT_A, TENANT_B, tokens
from core.testing.smtp import SmtpServer
from fleet.services.tenants import tenant_create
from tenants.models import Domain, Tenant
from tenants.services import tenant_delete

SESSION_TENANTS = ("alpha", "beta")
ADMIN_PASSWORD = "admin-pass-123"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Create the public tenant and two tenants whose first admins share user id 1."""
    made_here = None
    with django_db_blocker.unblock():
        if not connection.settings_dict["NAME"].startswith("test_"):
            # pytest-django creates only the databases its collected tests ask for through
            # `db` or a marker. Tests on committed data (`live_db`) ask for none, so a run of
            # them alone would otherwise write to the development database.
            made_here = setup_databases(verbosity=0, interactive=False, aliases={"default"})
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
    yield
    if made_here is not None:
        with django_db_blocker.unblock():
            teardown_databases(made_here, verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_redis() -> None:
    """Tests share Redis database 15: start each with no throttle counters or queued tasks."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _public_schema() -> None:
    """Each test starts in the public schema: a request to a tenant's host leaves the
    connection in that tenant's schema (the middleware switches it, nothing switches back),
    and a later test that creates a tenant there fails, in whatever order the tests run."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]


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


# --- Committed data and a real worker


@pytest.fixture
def live_db(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """Committed data, for tests where other threads or a worker must see it.

    Tests using it clean up after themselves (their tenants are dropped), because
    pytest-django's transactional flush would wipe the session's tenants too.
    """
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        yield
        connection.set_schema_to_public()  # type: ignore[attr-defined]


@pytest.fixture
def make_live_tenant(live_db: None) -> Iterator[Callable[..., Tenant]]:
    created: list[Tenant] = []

    def make(**policy: object) -> Tenant:
        schema = f"live_{uuid.uuid4().hex[:10]}"
        tenant = tenant_create(
            schema_name=schema,
            name=schema,
            admin_username="admin",
            admin_email="admin@live.test",
            admin_password="a-long-enough-password",
        )
        if policy:
            type(tenant.policy).objects.filter(pk=tenant.pk).update(**policy)
        created.append(tenant)
        return tenant

    yield make
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    for tenant in created:
        tenant_delete(tenant=tenant)


@pytest.fixture
def celery_worker(live_db: None) -> Iterator[None]:
    """A real Celery worker (in a thread of this process) on the test Redis database."""
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        yield
    celery_app.control.purge()


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) that this process's mail goes to, a worker's included:
    pytest-django's locmem backend is replaced by Django's SMTP backend pointed at it."""
    server = SmtpServer()
    server.start()
    for name, value in server.email_settings().items():
        setattr(settings, name, value)
    yield server
    server.stop()


# --- API callers


@pytest.fixture
def admin_a(tenant_a: Any) -> dict[str, str]:
    """Tokens of alpha's first admin (created with the session's tenants)."""
    return tokens(TENANT_A, "admin", ADMIN_PASSWORD)


@pytest.fixture
def admin_b(tenant_b: Any) -> dict[str, str]:
    """Tokens of beta's first admin."""
    return tokens(TENANT_B, "admin", ADMIN_PASSWORD)


@pytest.fixture
def member_a(tenant_a: Any) -> dict[str, str]:
    UserFactory.create(schema="alpha", username="member")
    return tokens(TENANT_A, "member")


@pytest.fixture
def auditor_a(tenant_a: Any) -> dict[str, str]:
    UserFactory.create(schema="alpha", username="auditor", role="auditor")
    return tokens(TENANT_A, "auditor")


@pytest.fixture
def operator(db: None) -> dict[str, str]:
    UserFactory.create(schema="public", username="operator", is_superuser=True, is_staff=True)
    return tokens(ROOT, "operator")
