"""The Content-Security-Policy allows scripts from this origin only: no page may carry an
inline script, and the API docs load nothing from a CDN."""

import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.tests.factories import UserFactory
from cleanup.services.keep import keep_token_make
from cleanup.tests.factories import CleanupNoticeFactory, CleanupReportFactory
from core.testing import PASSWORD, ROOT, TENANT_A
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _back_to_public() -> Iterator[None]:
    """Requests to a tenant host leave the connection on its schema: don't pass it on."""
    yield
    connection.set_schema_to_public()  # type: ignore[attr-defined]


class Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str | None] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("type") != "application/json":
            self.sources.append(found.get("src"))
        if tag == "link" and found.get("href"):
            self.links.append(found["href"] or "")


def signed_in(host: str, schema: str) -> Client:
    UserFactory.create(schema=schema, username="staffer", is_staff=True, is_superuser=True)
    client = Client(HTTP_HOST=host)
    response = client.post("/admin/login/", {"username": "staffer", "password": PASSWORD})
    assert response.status_code == 302
    return client


def page(client: Client, path: str) -> tuple[str, Scripts]:
    response = client.get(path)
    assert response.status_code == 200, path
    scripts = Scripts()
    scripts.feed(response.content.decode())
    return response["Content-Security-Policy"], scripts


def script_src(policy: str) -> str:
    match = re.search(r"script-src ([^;]*)", policy)
    assert match, policy
    return match.group(1)


@pytest.mark.parametrize(
    ("host", "schema", "path"),
    [
        (ROOT, None, "/"),
        (TENANT_A, None, "/"),
        (ROOT, None, "/admin/login/"),
        (TENANT_A, None, "/admin/login/"),
        (ROOT, None, "/api/docs/"),
        (TENANT_A, None, "/api/docs/"),
        (ROOT, "public", "/admin/django_celery_beat/periodictask/add/"),
        (ROOT, "public", "/admin/policy/cleanuppolicy/"),
        (TENANT_A, "alpha", "/admin/accounts/user/add/"),
    ],
)
def test_pages_run_no_inline_script_under_a_self_only_policy(
    tenant_a: Tenant, host: str, schema: str | None, path: str
) -> None:
    client = signed_in(host, schema) if schema else Client(HTTP_HOST=host)

    policy, scripts = page(client, path)

    assert script_src(policy) == "'self'"
    assert None not in scripts.sources
    assert all(src.startswith("/") for src in scripts.sources if src)


def test_the_api_docs_load_swagger_ui_from_this_site(tenant_a: Tenant) -> None:
    _, scripts = page(Client(HTTP_HOST=TENANT_A), "/api/docs/")

    assert any("swagger-ui-bundle.js" in (src or "") for src in scripts.sources)
    assert all(href.startswith("/static/") for href in scripts.links)
    assert "/api/docs/?script=" in scripts.sources


def test_the_api_docs_init_script_is_served_as_javascript(tenant_a: Tenant) -> None:
    response = Client(HTTP_HOST=TENANT_A).get("/api/docs/?script=")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in response.content


def test_the_keep_link_pages_run_no_inline_script(tenant_a: Tenant) -> None:
    """A notice's keep link (docs/architecture.md#notices-and-the-keep-link): the "kept" page and
    the 400 page of a bad link."""
    user = UserFactory.create(schema="alpha", username="warned", email="warned@alpha.test")
    with schema_context("alpha"):
        report = CleanupReportFactory.create()
        notice = CleanupNoticeFactory.create(user=user, report=report, due_at=timezone.now())
    token = keep_token_make(
        tenant_pk=tenant_a.pk,
        user_id=user.pk,
        notice_id=notice.pk,
        expires_at=timezone.now() + timedelta(days=7),
    )

    for path, status in ((f"/keep/{token}/", 200), ("/keep/not-a-token/", 400)):
        response = Client(HTTP_HOST=TENANT_A).get(path)
        assert response.status_code == status
        scripts = Scripts()
        scripts.feed(response.content.decode())
        assert script_src(response["Content-Security-Policy"]) == "'self'"
        assert scripts.sources == []
