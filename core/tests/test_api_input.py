"""Hostile input the whole API shares: query parameters of every paginated endpoint, and
unknown /api/ paths. Each gets a clear 4xx in the API's JSON shape, never a 500."""

from typing import Any, NamedTuple
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from activity.models import ActivityEvent
from cleanup.models import CleanupReport
from cleanup.tests.factories import (
    CleanupAuditEntryFactory,
    CleanupExemptionFactory,
    CleanupReportFactory,
)
from core.testing import ROOT, TENANT_A, client

pytestmark = pytest.mark.django_db


class Endpoint(NamedTuple):
    host: str
    path: str
    caller: str  # the fixture whose token calls it


PAGINATED = [
    Endpoint(TENANT_A, "/api/reports/", "admin_a"),
    Endpoint(TENANT_A, "/api/reports/{report}/users/", "admin_a"),
    Endpoint(ROOT, "/api/platform/tenants/", "operator"),
    Endpoint(ROOT, "/api/platform/tenants/alpha/reports/", "operator"),
    Endpoint(TENANT_A, "/api/exemptions/", "admin_a"),
    Endpoint(TENANT_A, "/api/activity/", "admin_a"),
    Endpoint(ROOT, "/api/activity/", "operator"),  # the session's tenants' creation is on it
]

# Each is malformed: not one plain whole number in range, written in ASCII digits.
BAD_NUMBERS = [
    "²",  # superscript two: str.isdigit() says yes, int() says no
    "٣",  # Arabic-Indic three: int() reads it as 3
    "\uff11",  # fullwidth one
    "३",  # Devanagari three
    "-1",
    "0",
    "1e3",
    "0x10",
    "1.5",
    "1.0",
    "+5",
    " 5",
    "5 ",
    "5\n",
    "",
    "abc",
    "9" * 30,
    "9" * 5000,  # past Python's int() digit limit
    "NaN",
    "Infinity",
]


@pytest.fixture
def report(tenant_a: Any) -> CleanupReport:
    with schema_context("alpha"):
        report = CleanupReportFactory.create(action="delete")
        CleanupAuditEntryFactory.create(
            report=report,
            user_id=7,
            username="gone",
            email="gone@x.test",
            date_joined=timezone.now(),
        )
        # Something on the tenant's other lists too.
        exempt = get_user_model().objects.create(username="exempt")
        CleanupExemptionFactory.create(user=exempt, reason="x")
        ActivityEvent.objects.create(actor="admin", verb="exemption.created", target="exempt")
        return report


def get(
    request: pytest.FixtureRequest, endpoint: Endpoint, report: CleanupReport, query: dict
) -> Any:
    access = request.getfixturevalue(endpoint.caller)["access"]
    path = endpoint.path.format(report=report.pk)
    return client(endpoint.host, access).get(f"{path}?{urlencode(query, doseq=True)}")


def assert_field_error(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == [field] and body[field] and all(isinstance(m, str) for m in body[field])


@pytest.mark.parametrize("endpoint", PAGINATED, ids=lambda e: e.path)
@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize("name", ["page", "page_size"])
def test_a_malformed_page_or_page_size_is_a_400_naming_it(
    request: pytest.FixtureRequest, endpoint: Endpoint, report: CleanupReport, name: str, value: str
) -> None:
    assert_field_error(get(request, endpoint, report, {name: value}), name)


@pytest.mark.parametrize("endpoint", PAGINATED, ids=lambda e: e.path)
@pytest.mark.parametrize(
    "query", [{"page": ["1", "2"]}, {"page_size": ["5", "5"]}, {"page_size": "1001"}]
)
def test_repeated_or_out_of_range_parameters_are_a_400(
    request: pytest.FixtureRequest, endpoint: Endpoint, report: CleanupReport, query: dict
) -> None:
    assert_field_error(get(request, endpoint, report, query), next(iter(query)))


@pytest.mark.parametrize("endpoint", PAGINATED, ids=lambda e: e.path)
def test_a_page_past_the_last_is_a_404_with_a_detail(
    request: pytest.FixtureRequest, endpoint: Endpoint, report: CleanupReport
) -> None:
    response = get(request, endpoint, report, {"page": "999999999"})
    assert response.status_code == 404 and response.json() == {"detail": "Invalid page."}


@pytest.mark.parametrize("endpoint", PAGINATED, ids=lambda e: e.path)
@pytest.mark.parametrize(
    "query", [{"page": "1", "page_size": "1"}, {"page_size": "1000"}, {}, {"unknown": "²"}]
)
def test_well_formed_paging_still_works(
    request: pytest.FixtureRequest, endpoint: Endpoint, report: CleanupReport, query: dict
) -> None:
    response = get(request, endpoint, report, query)
    assert response.status_code == 200 and len(response.json()["results"]) >= 1


@pytest.mark.parametrize("value", ["xml", "CSV", "csv\x00", "json,csv", "²"])
def test_an_unknown_audit_format_is_a_json_404(
    admin_a: dict[str, str], report: CleanupReport, value: str
) -> None:
    response = client(TENANT_A, admin_a["access"]).get(
        f"/api/reports/{report.pk}/users/?{urlencode({'format': value})}"
    )
    assert response.status_code == 404 and set(response.json()) == {"detail"}


@pytest.mark.parametrize("host", [TENANT_A, ROOT])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unsafe_methods_on_unknown_api_paths_get_the_json_404_not_a_csrf_page(
    tenant_a: Any, host: str, method: str
) -> None:
    browser = Client(enforce_csrf_checks=True, HTTP_HOST=host)
    browser.cookies["sessionid"] = "a-session-the-browser-holds"
    browser.cookies["csrftoken"] = "x" * 32

    response = getattr(browser, method)("/api/nothing-here/", "{}", content_type="application/json")

    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/cleanup/preview/"])
@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_too_deep_to_parse_is_a_400_not_a_500(
    admin_a: dict[str, str], path: str, opening: str
) -> None:
    response = client(TENANT_A, admin_a["access"]).post(
        path, opening * 100_000, content_type="application/json"
    )
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/cleanup/preview/"])
def test_a_body_over_the_upload_limit_is_a_json_413(admin_a: dict[str, str], path: str) -> None:
    body = '{"username": "admin", "password": "%s"}' % ("x" * (3 * 2**20))
    response = client(TENANT_A, admin_a["access"]).post(path, body, content_type="application/json")
    assert response.status_code == 413 and set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/platform/tenants/alpha%00/reports/",  # PostgreSQL refuses NUL in a string
        "/api/platform/tenants/%C2%B2/reports/",
        "/api/platform/tenants/" + "a" * 3000 + "/reports/",
    ],
)
def test_odd_tenant_names_in_a_path_are_a_json_404(operator: dict[str, str], path: str) -> None:
    response = client(ROOT, operator["access"]).get(path)
    assert response.status_code == 404 and set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    ("host", "path"),
    [
        (ROOT, "/api/platform/tenants/alpha/users/x%0A/role/"),
        (ROOT, "/api/platform/tenants/alpha%0A/reports/"),
        (TENANT_A, "/api/reports/1/users/x%0A/reactivate/"),
        (TENANT_A, "/api/nothing%0D%0Ahere/"),
    ],
)
def test_a_line_break_in_an_api_path_is_a_json_404_not_an_html_page(
    admin_a: dict[str, str], operator: dict[str, str], host: str, path: str
) -> None:
    token = (operator if host == ROOT else admin_a)["access"]
    response = getattr(client(host, token), "put" if "role" in path else "post")(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}
