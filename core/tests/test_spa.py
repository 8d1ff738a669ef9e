"""The dashboard's shell: index.html carries, in a meta tag, which console this host serves,
so the dashboard never guesses it from the host name (docs/architecture.md#security)."""

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from core.spa import HOST_META
from core.testing import ROOT, TENANT_A, client
from tenants.models import Domain, Tenant

INDEX = "<!doctype html><html><head><title>x</title></head><body></body></html>"


class MetaParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.metas: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self.metas.append(dict(attrs))


def host_meta(html: str) -> Any:
    """The injected config, read the way a browser reads it: attribute unescaped, then JSON."""
    parser = MetaParser()
    parser.feed(html)
    contents = [m["content"] for m in parser.metas if m.get("name") == HOST_META]
    assert len(contents) == 1, html
    return json.loads(contents[0] or "")


@pytest.fixture
def built_spa(settings: Settings, tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text(INDEX)
    settings.SPA_DIST_DIR = tmp_path
    return tmp_path


def test_a_tenant_host_is_told_it_is_that_tenants_console(
    built_spa: Path, tenant_a: Tenant
) -> None:
    response = client(TENANT_A).get("/login")

    assert response.status_code == 200
    assert host_meta(response.content.decode()) == {
        "console": "tenant",
        "tenant": {"schema_name": "alpha", "name": tenant_a.name},
        "base_domain": "localhost",
    }


def test_the_root_host_is_told_it_is_the_platform_console(built_spa: Path, db: None) -> None:
    response = client(ROOT).get("/tenants")

    assert host_meta(response.content.decode()) == {
        "console": "platform",
        "tenant": None,
        "base_domain": "localhost",
    }


def test_a_multi_label_base_domain_is_the_platform_console(
    built_spa: Path, settings: Settings, db: None
) -> None:
    Domain.objects.filter(domain=ROOT).update(domain="console.example.com")
    settings.BASE_DOMAIN = "console.example.com"
    settings.ALLOWED_HOSTS = ["console.example.com", ".console.example.com"]

    response = client("console.example.com").get("/")

    assert host_meta(response.content.decode())["console"] == "platform"


def test_a_custom_two_label_domain_is_its_tenants_console(
    built_spa: Path, settings: Settings, tenant_a: Tenant
) -> None:
    Domain.objects.create(domain="alpha-corp.test", tenant=tenant_a, is_primary=False)
    settings.ALLOWED_HOSTS = ["alpha-corp.test"]

    response = client("alpha-corp.test").get("/")

    assert host_meta(response.content.decode())["tenant"]["schema_name"] == "alpha"


def test_a_tenant_name_cannot_break_out_of_the_meta_tag(built_spa: Path, tenant_a: Tenant) -> None:
    name = "\"><script>alert(1)</script> & 'x'"
    Tenant.objects.filter(pk=tenant_a.pk).update(name=name)

    html = client(TENANT_A).get("/").content.decode()

    assert "<script>" not in html
    assert host_meta(html)["tenant"]["name"] == name


def test_the_config_is_a_meta_tag_not_an_inline_script(built_spa: Path, db: None) -> None:
    html = client(ROOT).get("/").content.decode()

    # A strict Content-Security-Policy (script-src 'self') blocks inline scripts.
    assert "<script" not in html
    assert html.index(HOST_META) < html.index("</head>")


@pytest.mark.parametrize(
    ("host", "expected"),
    [(TENANT_A, {"console": "tenant", "schema_name": "alpha"}), (ROOT, {"console": "platform"})],
)
def test_the_dev_server_reads_the_same_config_from_the_api(
    host: str, expected: dict[str, str], db: None
) -> None:
    response = client(host).get("/api/host/")

    assert response.status_code == 200
    body = response.json()
    assert body["console"] == expected["console"]
    assert (body["tenant"] or {}).get("schema_name") == expected.get("schema_name")
