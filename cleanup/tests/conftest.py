import uuid
from collections.abc import Callable, Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from config.celery import app as celery_app
from tenants.models import Tenant
from tenants.services import tenant_create, tenant_delete


@pytest.fixture
def live_db(django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
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
