"""Every API endpoint declares what an API token needs to call it, and enforces it — generated
from the URL confs, so a new endpoint without a declaration fails here
(docs/architecture.md#api-tokens).

For each endpoint and method: a token holding every scope but the one required gets a 403
naming it; a token holding just that scope gets past authentication and permissions (any
answer but 401 and 403). Endpoints that take no token say SESSION_ONLY and refuse every
token; ANY_TOKEN endpoints take any.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context
from rest_framework.views import APIView

from accounts.tests.factories import UserFactory, api_token_make
from core.api import ScopedApi, scope_declared
from core.scopes import ALL_SCOPES, ANY_TOKEN, PLATFORM_SCOPES, SESSION_ONLY, TENANT_SCOPES
from core.testing import ROOT, TENANT_A, client
from tenants.models import Tenant

METHODS = ("get", "post", "put", "patch", "delete")
HOSTS = {"config.urls_tenant": TENANT_A, "config.urls_public": ROOT}


def _patterns(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def endpoints() -> list[tuple[str, str, str, type[APIView]]]:
    """(urlconf, route, method, view class) of every authenticated DRF endpoint."""
    found = []
    for urlconf in HOSTS:
        for route, callback in _patterns(get_resolver(urlconf).url_patterns):
            view = getattr(callback, "cls", None)
            if view is None or not route.startswith(("api/", "^api/")):
                continue
            if not view.authentication_classes:  # login, refresh, ping: no token taken
                continue
            for method in METHODS:
                if hasattr(view, method):
                    found.append((urlconf, route, method.upper(), view))
    return found


ENDPOINTS = endpoints()


def test_the_generated_list_covers_the_api() -> None:
    routes = {route for _, route, _, _ in ENDPOINTS}
    assert len(ENDPOINTS) > 30
    assert "api/reports/latest/" in routes and "api/platform/summary/" in routes
    assert "api/tokens/" in routes


@pytest.mark.parametrize(
    ("urlconf", "route", "method", "view"),
    ENDPOINTS,
    ids=[f"{m} {r} ({u[12:]})" for u, r, m, _ in ENDPOINTS],
)
def test_every_endpoint_declares_what_a_token_needs(
    urlconf: str, route: str, method: str, view: type[APIView]
) -> None:
    assert issubclass(view, ScopedApi), f"{view.__name__} is no ScopedApi"
    declared = view.scopes.get(method)
    assert declared in (*ALL_SCOPES, ANY_TOKEN, SESSION_ONLY), (
        f"{view.__name__}.scopes declares nothing for {method}"
    )
    if urlconf == "config.urls_public" and declared in ALL_SCOPES:
        assert declared in PLATFORM_SCOPES
    if urlconf == "config.urls_tenant" and declared in ALL_SCOPES:
        assert declared in TENANT_SCOPES


def _path(route: str) -> str:
    """A concrete path for `route`: ids of nothing (a 404 is past the permission checks)."""
    path = re.sub(r"<int:\w+>", "999999", route)
    path = re.sub(r"<slug:\w+>", "alpha", path)
    path = re.sub(r"\(\?P<username>[^)]*\)", "nobody", path)
    path = re.sub(r"\(\?P<schema_name>[^)]*\)", "alpha", path)
    return "/" + path.replace("^", "").replace("$", "")


@pytest.fixture
def holders(tenant_a: Tenant) -> dict[str, Any]:
    """Who holds the tokens: alpha's first admin, and an operator."""
    with schema_context("alpha"):
        from accounts.models import User

        admin = User.objects.get(username="admin")
    operator = UserFactory.create(schema="public", username="op", is_superuser=True)
    return {"config.urls_tenant": ("alpha", admin), "config.urls_public": ("public", operator)}


@pytest.mark.parametrize(
    ("urlconf", "route", "method", "view"),
    ENDPOINTS,
    ids=[f"{m} {r} ({u[12:]})" for u, r, m, _ in ENDPOINTS],
)
def test_a_token_without_the_scope_gets_403_naming_it_and_one_with_it_gets_through(
    holders: dict[str, Any], urlconf: str, route: str, method: str, view: type[APIView]
) -> None:
    schema, user = holders[urlconf]
    host, path = HOSTS[urlconf], _path(route)
    required = scope_declared(view, method)
    everything = PLATFORM_SCOPES if urlconf == "config.urls_public" else TENANT_SCOPES

    def call(scopes: tuple[str, ...]) -> Any:
        _, text = api_token_make(schema=schema, user=user, scopes=scopes)
        # A body no endpoint accepts: a call that gets through changes nothing.
        return client(host, text).generic(method, path, "[]", content_type="application/json")

    if required == SESSION_ONLY:
        refused = call(everything)
        assert refused.status_code == 403, refused.content
        assert "API tokens cannot do this" in refused.json()["detail"]
        return
    if required == ANY_TOKEN:
        assert call(everything[:1]).status_code not in (401, 403)
        return
    lacking = call(tuple(scope for scope in everything if scope != required))
    assert lacking.status_code == 403, lacking.content
    assert lacking.json()["scope"] == required and required in lacking.json()["detail"]
    holding = call((required,))  # type: ignore[arg-type]
    assert holding.status_code not in (401, 403), holding.content


def test_a_view_that_is_no_scoped_api_refuses_tokens(tenant_a: Tenant) -> None:
    """Defence in depth: a DRF view added without the base class is no way around scopes."""
    from rest_framework.test import APIRequestFactory

    class Bare(APIView):
        def get(self, request: Any) -> Any:
            raise AssertionError("reached")

    with schema_context("alpha"):
        from accounts.models import User

        admin = User.objects.get(username="admin")
    _, text = api_token_make(schema="alpha", user=admin, scopes=TENANT_SCOPES)
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {text}")

    assert Bare.as_view()(request).status_code == 403


def test_the_openapi_document_states_each_operations_scope(tenant_a: Tenant) -> None:
    document = client(TENANT_A).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = document["paths"]

    assert operations["/api/reports/latest/"]["get"]["x-scope"] == "reports:read"
    assert operations["/api/cleanup/policy/"]["patch"]["x-scope"] == "policy:write"
    assert operations["/api/me/"]["get"]["x-scope"] is None
    create = operations["/api/tokens/"]["post"]
    assert "x-scope" not in create
    assert all("apiToken" not in entry for entry in create["security"])
    assert document["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    assert import_string("core.schema.API_TOKEN_SCHEME") == "apiToken"
