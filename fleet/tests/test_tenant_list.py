"""The operators' tenants list: search, status filter, ordering and pagination
(docs/architecture.md#the-fleet)."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.testing import ROOT, client
from policy.models import CleanupPolicy
from tenants.models import Domain, Tenant

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def hours(n: float) -> datetime:
    return NOW + timedelta(hours=n)


# schema, name, primary domain, created (hours), next run, last status, last finished.
# alpha and beta are the session's tenants: their rows are rewritten to known values here.
FLEET: list[tuple[str, str, str, float, float | None, str, float | None]] = [
    ("alpha", "Alpha", "alpha.localhost", -50, None, "", None),
    ("beta", "Beta", "beta.localhost", -40, 2, "succeeded", -5),
    ("acme", "Acme", "shop.example.com", -30, 5, "succeeded", -2),
    ("globex", "Globex", "globex.localhost", -20, 1, "failed", -1),
    ("initech", "Initech", "tps.localhost", -10, 3, "", None),
    ("zorg", "Acme", "zorg.localhost", -1, None, "aborted", -3),
]


@pytest.fixture
def fleet(operator: dict[str, str]) -> Any:
    new = [row for row in FLEET if row[0] not in ("alpha", "beta")]
    tenants = Tenant.objects.bulk_create([Tenant(schema_name=s, name=n) for s, n, *_ in new])
    CleanupPolicy.objects.bulk_create([CleanupPolicy(tenant=t) for t in tenants])
    Domain.objects.bulk_create(
        [Domain(tenant=t, domain=row[2]) for t, row in zip(tenants, new, strict=True)]
    )
    # A secondary domain is not searched: only the primary one is shown.
    Domain.objects.create(tenant=tenants[0], domain="secondary-acme.localhost", is_primary=False)
    for schema, _, _, created, next_run, status, finished in FLEET:
        Tenant.objects.filter(schema_name=schema).update(created_at=hours(created))
        CleanupPolicy.objects.filter(tenant__schema_name=schema).update(
            next_run_at=None if next_run is None else hours(next_run),
            last_report_id=None if not status else 1,
            last_report_status=status,
            last_report_finished_at=None if finished is None else hours(finished),
        )
    return client(ROOT, operator["access"])


def schemas(api: Any, query: str) -> list[str]:
    response = api.get(f"/api/platform/tenants/?{query}")
    assert response.status_code == 200, response.content
    return [t["schema_name"] for t in response.json()["results"]]


def test_the_list_defaults_to_schema_order(fleet: Any) -> None:
    assert schemas(fleet, "") == ["acme", "alpha", "beta", "globex", "initech", "zorg"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ACME", ["acme", "zorg"]),  # name, any case
        ("lobe", ["globex"]),  # substring of name and schema
        ("ORG", ["zorg"]),  # schema (and domain)
        ("example.COM", ["acme"]),  # primary domain
        ("tps", ["initech"]),
        ("secondary", []),  # a secondary domain is not searched
        ("%", []),  # LIKE wildcards are literal
        ("_", []),
        ("", ["acme", "alpha", "beta", "globex", "initech", "zorg"]),
    ],
)
def test_search_matches_name_schema_or_primary_domain(
    fleet: Any, search: str, expected: list[str]
) -> None:
    assert schemas(fleet, f"search={search.replace('%', '%25')}") == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("succeeded", ["acme", "beta"]),
        ("failed", ["globex"]),
        ("aborted", ["zorg"]),
        ("never", ["alpha", "initech"]),
    ],
)
def test_status_filters_on_the_last_run(fleet: Any, status: str, expected: list[str]) -> None:
    assert schemas(fleet, f"status={status}") == expected


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["acme", "zorg", "alpha", "beta", "globex", "initech"]),
        ("-name", ["initech", "globex", "beta", "alpha", "acme", "zorg"]),
        ("created_at", ["alpha", "beta", "acme", "globex", "initech", "zorg"]),
        ("-created_at", ["zorg", "initech", "globex", "acme", "beta", "alpha"]),
        # Nulls last in both directions; ties by schema name.
        ("next_run_at", ["globex", "beta", "initech", "acme", "alpha", "zorg"]),
        ("-next_run_at", ["acme", "initech", "beta", "globex", "alpha", "zorg"]),
        ("last_run", ["beta", "zorg", "acme", "globex", "alpha", "initech"]),
        ("-last_run", ["globex", "acme", "zorg", "beta", "alpha", "initech"]),
    ],
)
def test_ordering_sorts_both_ways_with_nulls_last(
    fleet: Any, ordering: str, expected: list[str]
) -> None:
    assert schemas(fleet, f"ordering={ordering}") == expected


def test_filters_orderings_and_pages_combine(fleet: Any) -> None:
    query = "search=.localhost&ordering=-created_at&page_size=2"
    assert schemas(fleet, query) == ["zorg", "initech"]
    assert schemas(fleet, f"{query}&page=2") == ["globex", "beta"]
    assert schemas(fleet, f"{query}&page=3") == ["alpha"]
    body = fleet.get(f"/api/platform/tenants/?{query}&page=2").json()
    assert body["count"] == 5 and body["next"] and body["previous"]
    assert schemas(fleet, "status=never&ordering=-name&search=a") == ["initech", "alpha"]


def test_a_search_that_matches_nothing_is_an_empty_page(fleet: Any) -> None:
    body = fleet.get("/api/platform/tenants/?search=nothing-like-this").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("status=done", "status"),
        ("status=FAILED", "status"),
        ("status=failed&status=never", "status"),
        ("ordering=schema_name", "ordering"),
        ("ordering=--name", "ordering"),
        ("ordering=name,created_at", "ordering"),
        ("ordering=name&ordering=-name", "ordering"),
        ("search=" + "a" * 254, "search"),
        ("search=a%00b", "search"),
        ("search=%00", "search"),
        ("search=a%01", "search"),
        ("search=a%0Ab", "search"),
        ("search=a%7F", "search"),
        ("search=a&search=b", "search"),
        # The summary is of finished runs: an active status is no filter.
        ("status=running", "status"),
        ("status=queued", "status"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(
    fleet: Any, query: str, parameter: str
) -> None:
    response = fleet.get(f"/api/platform/tenants/?{query}")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [parameter]


def test_a_search_of_the_longest_allowed_length_is_accepted(fleet: Any) -> None:
    # A domain name can be 253 characters long.
    assert schemas(fleet, "search=" + "a" * 253) == []


def test_empty_parameters_count_as_absent(fleet: Any) -> None:
    assert schemas(fleet, "search=&status=&ordering=") == schemas(fleet, "")


def list_queries(api: Any, query: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(f"/api/platform/tenants/?page_size=1000&{query}").status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "query",
    ["", "search=row", "status=never", "ordering=-last_run", "search=o&status=never&ordering=name"],
)
def test_the_list_costs_the_same_queries_for_3_and_30_tenants(
    operator: dict[str, str], query: str
) -> None:
    def add(n: int, start: int) -> None:
        tenants = Tenant.objects.bulk_create(
            [Tenant(schema_name=f"row{i}", name=f"Row {i}") for i in range(start, start + n)]
        )
        CleanupPolicy.objects.bulk_create([CleanupPolicy(tenant=t) for t in tenants])
        Domain.objects.bulk_create(
            [Domain(tenant=t, domain=f"{t.schema_name}.localhost") for t in tenants]
        )

    api = client(ROOT, operator["access"])
    api.get("/api/me/")  # the first request also records last_seen: keep it out of the count
    add(1, 0)  # with alpha and beta: 3 tenants
    small = list_queries(api, query)
    add(27, 1)
    assert list_queries(api, query) == small
