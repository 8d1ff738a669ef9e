"""Schema-driven fuzzing (schemathesis) of the OpenAPI document, as a tenant admin and as an
operator: no input may produce a 5xx or a response that contradicts the document."""

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

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
    max_examples=30,
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


@pytest.fixture
def tenant_schema(admin_a: dict[str, str], keep_test_transaction: None) -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/", app_for_host(TENANT_A))


@pytest.fixture
def root_schema(operator: dict[str, str], keep_test_transaction: None) -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/", app_for_host(ROOT))


tenant_api = schemathesis.pytest.from_fixture("tenant_schema")
root_api = schemathesis.pytest.from_fixture("root_schema")


@pytest.mark.django_db
@tenant_api.parametrize()
@FUZZ
def test_the_tenant_api_never_fails_on_any_input(case: Any, admin_a: dict[str, str]) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_a['access']}"}, **CHECKS)


@pytest.mark.django_db
@root_api.parametrize()
@FUZZ
def test_the_platform_api_never_fails_on_any_input(case: Any, operator: dict[str, str]) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {operator['access']}"}, **CHECKS)
