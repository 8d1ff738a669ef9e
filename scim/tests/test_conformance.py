"""An independent SCIM 2.0 conformance check (scim2-tester, by the makers of scim2-models)
against the running stack: its own database and Redis, a real gunicorn, over HTTP with
scim2-client's httpx2 engine (docs/testing.md#scim-conformance).

Every check must end SUCCESS, COMPLIANT or ACCEPTABLE (or SKIPPED, for what this service does
not announce: bulk, sorting, ETags, password change): no deviation is accepted.
"""

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from faults.stack import Stack

PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.SKIPPED}


@pytest.fixture(scope="module")
def scim_stack() -> Iterator[tuple[Stack, str, str]]:
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
        host = stack.tenant_create("conformance")
        yield stack, host, stack.token(host)
    finally:
        stack.teardown()


def summary(results: list[Any]) -> str:
    counts = Counter(result.status.name for result in results)
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))


def test_scim2_tester_finds_no_deviation(
    scim_stack: tuple[Stack, str, str],
) -> None:
    stack, host, token = scim_stack
    http = httpx2.Client(
        base_url=f"http://127.0.0.1:{stack.web_port}/scim/v2/",
        headers={"Host": host, "Authorization": f"Bearer {token}"},
        timeout=30,
    )
    with http:
        results = check_server(SyncSCIMClient(http))
    print(f"\nscim2-tester: {len(results)} checks: {summary(results)}")
    failures = [result for result in results if result.status not in PASSING]
    for failure in failures:
        print(f"  {failure.status.name} {failure.resource_type} {failure.title}: {failure.reason}")
        print(f"    data: {str(failure.data)[:600]}")
    assert results and not failures
