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
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from cleanup.models import CleanupReport
from core.testing import ROOT, TENANT_A

# Every check runs but two that judge the *request* side:
# - positive-data acceptance ("every schema-valid request gets 2xx"): a cron expression's
#   grammar and the IANA timezone list are not expressible in JSON Schema, so some
#   schema-valid bodies rightly get the documented 400 with field messages;
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


def fuzzed_schema(host: str, path_values: dict[str, str]) -> Any:
    """The host's document with the hostile hooks. `path_values` name objects that exist (a
    tenant, a report), so the explicit hostile queries reach the pagination behind the 404
    a random id gets."""
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app_for_host(host))
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
        report = CleanupReport.objects.create(
            status="succeeded", trigger="manual", dry_run=True, action="deactivate", policy={}
        )
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
