"""Names a tenant may not take: its host would be unreachable (`www` is stripped by
django-tenants) or would pass for part of the platform (`api`, `admin`, ...)."""

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.testing import ROOT, client
from tenants.models import Domain, Tenant

pytestmark = pytest.mark.django_db

RESERVED = ["www", "api", "admin", "static", "media", "mail", "app", "root", "public"]
ADMIN = {"username": "boss", "email": "boss@x.test", "password": "a-long-enough-password"}


def everything() -> tuple[set[str], set[str], set[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT schema_name FROM information_schema.schemata")
        schemas = {row[0] for row in cursor.fetchall()}
    tenants = set(Tenant.objects.values_list("schema_name", flat=True))
    return schemas, tenants, set(Domain.objects.values_list("domain", flat=True))


@pytest.mark.parametrize("name", RESERVED)
@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("schema_name", lambda name: {"schema_name": name}),
        ("domain", lambda name: {"schema_name": "newco", "domain": f"{name}.localhost"}),
        ("domain", lambda name: {"schema_name": "newco", "domain": f"{name}.example.com"}),
    ],
    ids=["schema_name", "domain", "custom-domain"],
)
def test_the_api_refuses_a_reserved_name_and_creates_nothing(
    operator: dict[str, str], name: str, field: str, body: Any
) -> None:
    before = everything()

    response = client(ROOT, operator["access"]).post(
        "/api/platform/tenants/", {"name": "New Co", "admin": ADMIN, **body(name)}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert f"'{name}' is reserved" in response.json()[field][0]
    assert everything() == before


@pytest.mark.parametrize("name", RESERVED)
@pytest.mark.parametrize("option", ["--schema", "--domain"])
def test_the_command_refuses_a_reserved_name_and_creates_nothing(
    tenant_a: Any, name: str, option: str
) -> None:
    names = {"--schema": "newco", "--domain": None, option: name}
    if option == "--domain":
        names["--domain"] = f"{name}.localhost"
    before = everything()

    with pytest.raises(CommandError) as exc:
        call_command(
            "tenant_create",
            *[arg for pair in names.items() if pair[1] for arg in pair],
            "--name=New Co",
            "--admin-username=boss",
            "--admin-email=boss@x.test",
            "--admin-password=a-long-enough-password",
        )

    field = "schema_name" if option == "--schema" else "domain"
    assert f"{field}: '{name}' is reserved" in str(exc.value)
    assert everything() == before


@pytest.mark.parametrize("name", ["wwwx", "apis", "my_app", "administration"])
def test_names_that_merely_contain_a_reserved_word_are_fine(
    operator: dict[str, str], name: str
) -> None:
    response = client(ROOT, operator["access"]).post(
        "/api/platform/tenants/",
        {"name": "New Co", "schema_name": name, "admin": ADMIN},
        format="json",
    )
    assert response.status_code == 201, response.content
