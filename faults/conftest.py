"""One stack for every drill: its own database and Redis, a gunicorn, started once."""

import shutil
from collections.abc import Iterator

import pytest

from faults.stack import Stack


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    stack = Stack()
    try:
        stack.redis_start()
        stack.database_create()
        stack.python(
            "from tenants.models import Tenant, Domain\n"
            "public = Tenant.objects.create(schema_name='public', name='Platform')\n"
            "Domain.objects.create(domain='localhost', tenant=public)\n"
        )
        stack.web_start()
        yield stack
    finally:
        stack.teardown()
        if request.session.testsfailed:
            print(f"\nfault drills: process logs kept in {stack.logs}")
        else:
            shutil.rmtree(stack.logs, ignore_errors=True)
