"""Schema-driven fuzzing (schemathesis) of the OpenAPI document, as a tenant admin and as an
operator: no input may produce a 5xx or a response that contradicts the document.

Schemathesis draws query values from each parameter's JSON Schema, and from that alone it
rarely sends what people and scripts do send: `?page_size=²` (a 500 found by hand: `"²".
isdigit()` is true, `int("²")` fails), digits of other scripts, signs, zero, floats, huge
numbers, repeated parameters, NUL. Hooks mix those into every operation's query and path
parameters, and each test checks that every query parameter the document declares was sent
them.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import CoveragePhaseConfig, OperationConfig, PhasesConfig
from schemathesis.filters import FilterSet
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from cleanup.models import CleanupExemption
from cleanup.tests.factories import CleanupReportFactory
from core.testing import ROOT, TENANT_A
from policy.models import CleanupPolicy
from policy.schedule import validate_cron
from tenants.models import Domain, Tenant
from tenants.services import tenant_default_domain

# Every check runs but two that judge the *request* side:
# - positive-data acceptance ("no schema-valid request gets a 400"): these tests send hostile
#   query values on purpose; the tests at the end of this module run it on valid data;
# - negative-data rejection: it also demands a 4xx for unknown query parameters, which HTTP
#   APIs (DRF included) ignore. Wrongly typed bodies are covered by test_cleanup_api.py.
# No 5xx and no response that contradicts the document are still enforced.
CHECKS = {"excluded_checks": [positive_data_acceptance, negative_data_rejection]}

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def app_for_host(host: str) -> Callable[..., Any]:
    """The real WSGI app, with every request addressed to `host` (tenant routing)."""
    django_app = get_wsgi_application()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ["HTTP_HOST"] = host
        return django_app(environ, start_response)

    return app


@pytest.fixture
def keep_test_transaction() -> Any:
    """Like Django's test client: requests must not close the connection holding the test's
    transaction (with CONN_MAX_AGE=0 the request_finished handler would)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Digits str.isdigit() accepts but int() refuses (superscripts, circled), and digits int()
# reads as numbers though no one types them (Arabic-Indic, fullwidth, Devanagari).
FULLWIDTH_DIGITS = "".join(map(chr, range(0xFF10, 0xFF1A)))
FOREIGN_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹①②" + "٠١٢٣٤٥٦٧٨٩" + FULLWIDTH_DIGITS + "०१२३४"
HOSTILE_SAMPLES = [
    "²",
    "٣",
    "\uff11\uff10",  # fullwidth 10
    "-1",
    "0",
    "-0",
    "00",
    "1e3",
    "1.5",
    "1.0",
    "0x10",
    "+5",
    " 5",
    "5\n",
    "",
    "NaN",
    "Infinity",
    "\x00",
    "1\x00",
    "9" * 30,
    "9" * 5000,  # past int()'s digit limit
]
HOSTILE_VALUE = st.one_of(
    st.sampled_from(HOSTILE_SAMPLES),
    st.text(alphabet=FOREIGN_DIGITS + "0123456789-+.ex ", min_size=1, max_size=12),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats().map(str),
)
# A list is sent as the parameter repeated: `?page=1&page=2`.
HOSTILE_QUERY_VALUE = st.one_of(HOSTILE_VALUE, st.lists(HOSTILE_VALUE, min_size=2, max_size=3))


# PostgreSQL refuses NUL in a string: "alpha\x00" once reached a query as a tenant name.
HOSTILE_PATH_VALUE = st.one_of(
    st.sampled_from(["\x00", "alpha\x00", "alpha", "a" * 300]), HOSTILE_VALUE
)


def with_hostile(
    values: dict[str, Any] | None, names: list[str], hostile: st.SearchStrategy
) -> st.SearchStrategy:
    """`values` as generated, or with some of the parameters `names` given hostile values."""
    replaced = st.fixed_dictionaries({}, optional=dict.fromkeys(names, hostile))
    return st.one_of(st.just(values), replaced.map(lambda new: {**(values or {}), **new}))


def flatmap_query(context: Any, query: dict[str, Any] | None) -> st.SearchStrategy:
    names = [parameter.name for parameter in context.operation.query]
    return with_hostile(query, names, HOSTILE_QUERY_VALUE)


def flatmap_path_parameters(context: Any, path: dict[str, Any] | None) -> st.SearchStrategy:
    names = [parameter.name for parameter in context.operation.path_parameters]
    return with_hostile(path, names, HOSTILE_PATH_VALUE)


# What a valid value looks like; anything else that reached a parameter counts as hostile.
PLAIN_VALUE = re.compile(r"[1-9][0-9]{0,2}|json|csv")
NUMBER_LIKE = re.compile(r"[-+]?[0-9]+([.eE][-+]?[0-9]*)?|0x[0-9a-f]+|[0-9]{4,}")


class HostileCoverage:
    """Which query parameters received which hostile values, by operation."""

    def __init__(self) -> None:
        self.documented: set[tuple[str, str, str]] = set()
        self.sent: dict[tuple[str, str, str], set[str]] = defaultdict(set)

    def record(self, case: Any, response: Any) -> None:
        if not self.documented:
            self.documented = documented_query_parameters(case.operation.schema.raw_schema)
        sent = parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)
        for name, values in sent.items():
            key = (case.operation.method.upper(), case.operation.path, name)
            if len(values) > 1:
                self.sent[key].add("repeated")
            for value in values:
                if not PLAIN_VALUE.fullmatch(value):
                    self.sent[key].add(kind_of(value))

    def missing(self) -> dict[tuple[str, str, str], set[str]]:
        wanted = {"non-ASCII digits", "number-like", "repeated"}
        return {key: wanted - self.sent[key] for key in self.documented if wanted - self.sent[key]}


def kind_of(value: str) -> str:
    """The family a value sent to a query parameter belongs to."""
    if any(c.isdigit() and not c.isascii() for c in value):
        return "non-ASCII digits"
    if NUMBER_LIKE.fullmatch(value.strip()):
        return "number-like"  # negative, zero, float, hex, huge
    return "other"


def documented_query_parameters(raw_schema: dict[str, Any]) -> set[tuple[str, str, str]]:
    found = set()
    for path, item in raw_schema["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
                if parameter["in"] == "query":
                    found.add((method.upper(), path, parameter["name"]))
    return found


@pytest.fixture
def hostile_coverage() -> Iterator[HostileCoverage]:
    coverage = HostileCoverage()
    yield coverage
    assert coverage.documented, "no query parameter documented? the schema was not read"
    assert coverage.missing() == {}, "documented query parameters the fuzz never attacked"


# Sent to every documented query parameter as explicit cases, whatever the random draws do.
ALWAYS_SENT: list[Any] = [
    "²",
    "٣",
    "\uff11\uff10",
    "-1",
    "0",
    "1e3",
    "1.5",
    "0x10",
    "9" * 30,
    "\x00",
    ["1", "2"],
]


POLICY_BODIES = [
    ("PUT", "/api/cleanup/policy/"),
    ("PATCH", "/api/cleanup/policy/"),
    ("POST", "/api/cleanup/preview/"),
]


def only(operations: list[tuple[str, str]]) -> Callable[[Any], bool]:
    return lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in operations


def without_timezone_coverage(schema: Any) -> Any:
    """`schema` without the coverage phase on the policy's bodies, where it sends one body
    per timezone the document lists (598 of them, a minute of requests); random bodies still
    name timezones, and test_openapi_rules.py checks each of them directly."""
    policy_bodies = FilterSet()
    policy_bodies.include(only(POLICY_BODIES))
    schema.config.operations.operations.append(
        OperationConfig(
            filter_set=policy_bodies,
            phases=PhasesConfig(coverage=CoveragePhaseConfig(enabled=False)),
        )
    )
    return schema


def fuzzed_schema(host: str, path_values: dict[str, str]) -> Any:
    """The host's document with the hostile hooks. `path_values` name objects that exist (a
    tenant, a report), so the explicit hostile queries reach the pagination behind the 404
    a random id gets."""
    schema = without_timezone_coverage(
        schemathesis.openapi.from_wsgi("/api/schema/", app_for_host(host))
    )
    schema.hook(flatmap_query)
    schema.hook(flatmap_path_parameters)

    @schema.hook
    def before_add_examples(context: Any, examples: list[Any]) -> None:
        operation = context.operation
        path = {p.name: path_values.get(p.name, "1") for p in operation.path_parameters}
        for parameter in operation.query:
            for value in ALWAYS_SENT:
                examples.append(operation.Case(path_parameters=path, query={parameter.name: value}))

    return schema


@pytest.fixture
def report_id(tenant_a: Any) -> str:
    with schema_context("alpha"):
        report = CleanupReportFactory.create(dry_run=True)
    return str(report.pk)


@pytest.fixture
def tenant_schema(admin_a: dict[str, str], report_id: str, keep_test_transaction: None) -> Any:
    return fuzzed_schema(TENANT_A, {"report_id": report_id})


@pytest.fixture
def root_schema(operator: dict[str, str], report_id: str, keep_test_transaction: None) -> Any:
    return fuzzed_schema(ROOT, {"schema_name": "alpha"})


tenant_api = schemathesis.pytest.from_fixture("tenant_schema")
root_api = schemathesis.pytest.from_fixture("root_schema")


@pytest.mark.django_db
@tenant_api.parametrize()
@FUZZ
def test_the_tenant_api_never_fails_on_any_input(
    case: Any, admin_a: dict[str, str], hostile_coverage: HostileCoverage
) -> None:
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_a['access']}"}, **CHECKS
    )
    hostile_coverage.record(case, response)


@pytest.mark.django_db
@root_api.parametrize()
@FUZZ
def test_the_platform_api_never_fails_on_any_input(
    case: Any, operator: dict[str, str], hostile_coverage: HostileCoverage
) -> None:
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {operator['access']}"}, **CHECKS
    )
    hostile_coverage.record(case, response)


# --- The document as the judge: every body it allows is accepted (never a 400)
#
# Only data the document allows (positive mode), on every operation that takes a body. What
# no schema can know is the server's state and the clock: before each request the tenant
# gets the groups and the user a body names, its saved policy is reset (a partial body is
# checked together with it), and bodies whose names are taken, whose expiry has passed, whose
# password is a common one or whose schedule names a date that never comes (each documented
# in its field's description) are discarded (`assume`) rather than sent.

ACCEPTANCE = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
JUDGED = {"checks": [positive_data_acceptance, not_a_server_error]}


def acceptance_schema(host: str) -> Any:
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app_for_host(host))
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])
    return without_timezone_coverage(schema)


TENANT_BODIES = [
    *POLICY_BODIES,
    ("POST", "/api/cleanup/trigger/"),
    ("POST", "/api/exemptions/"),
    ("POST", "/api/signals/"),
    ("POST", "/api/auth/token/"),
    ("POST", "/api/auth/token/refresh/"),
    ("POST", "/api/auth/logout/"),
]
PLATFORM_BODIES = [("POST", "/api/platform/tenants/"), ("POST", "/api/platform/cleanup/trigger/")]


@pytest.fixture
def tenant_bodies(admin_a: dict[str, str], keep_test_transaction: None) -> Any:
    return acceptance_schema(TENANT_A)


@pytest.fixture
def platform_bodies(operator: dict[str, str], keep_test_transaction: None) -> Any:
    return acceptance_schema(ROOT)


# Filters go on the fixture's stand-in: the schema the fixture returns keeps none of its own.
tenant_bodies_api = schemathesis.pytest.from_fixture("tenant_bodies").include(only(TENANT_BODIES))
platform_bodies_api = schemathesis.pytest.from_fixture("platform_bodies").include(
    only(PLATFORM_BODIES)
)


def body_of(case: Any) -> dict[str, Any]:
    return case.body if isinstance(case.body, dict) else {}


def fires(schedule: Any) -> bool:
    try:
        validate_cron(schedule)
    except ValidationError:
        return False
    return True


def tenant_state_for(case: Any) -> None:
    """Alpha as a body assumes it: the groups and user it names, a saved policy as created,
    no exemption in force; a body naming a date past or never to come is discarded."""
    body = body_of(case)
    if "schedule" in body:
        assume(fires(body["schedule"]))
    CleanupPolicy.objects.filter(tenant__schema_name="alpha").update(
        action=CleanupPolicy.Action.DEACTIVATE, delete_after_days=None
    )
    with schema_context("alpha"):
        for name in body.get("exempt_groups") or []:
            Group.objects.get_or_create(name=name.strip())
        if case.operation.path == "/api/exemptions/":
            expires_at = body.get("expires_at")
            when = parse_datetime(expires_at) if expires_at is not None else None
            assume(when is None or when > timezone.now())
            get_user_model().objects.get_or_create(username=body["username"].strip())
            CleanupExemption.objects.all().delete()


def platform_state_for(case: Any) -> None:
    """A body naming a taken schema name or domain, or a common password, is discarded."""
    body = body_of(case)
    if case.operation.path != "/api/platform/tenants/":
        return
    schema_name = body["schema_name"].strip()
    domain = (body.get("domain") or "").strip().lower() or tenant_default_domain(schema_name)
    assume(not Tenant.objects.filter(schema_name=schema_name).exists())
    assume(not Domain.objects.filter(domain=domain).exists())
    try:
        CommonPasswordValidator().validate(body["admin"]["password"])
    except ValidationError:
        assume(False)


@pytest.mark.django_db
@tenant_bodies_api.parametrize()
@ACCEPTANCE
def test_every_body_the_tenant_document_allows_is_accepted(
    case: Any, admin_a: dict[str, str]
) -> None:
    tenant_state_for(case)
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_a['access']}"}, **JUDGED)


@pytest.mark.django_db
@platform_bodies_api.parametrize()
@settings(ACCEPTANCE, max_examples=30)
def test_every_body_the_platform_document_allows_is_accepted(
    case: Any, operator: dict[str, str]
) -> None:
    platform_state_for(case)
    case.call_and_validate(headers={"Authorization": f"Bearer {operator['access']}"}, **JUDGED)
