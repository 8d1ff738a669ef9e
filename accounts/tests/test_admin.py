"""Refresh tokens are credentials: no admin site shows them."""

import pytest
from django.test import Client
from django_tenants.utils import schema_context
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.tests.factories import UserFactory
from core.testing import PASSWORD, ROOT, TENANT_A, client, tokens

PAGES = [
    "/admin/token_blacklist/outstandingtoken/",
    "/admin/token_blacklist/outstandingtoken/{outstanding}/change/",
    "/admin/token_blacklist/blacklistedtoken/",
    "/admin/token_blacklist/blacklistedtoken/{blacklisted}/change/",
]


@pytest.mark.parametrize(
    ("host", "schema"), [(ROOT, "public"), (TENANT_A, "alpha")], ids=["operators", "tenant"]
)
def test_no_admin_site_shows_refresh_tokens(db: None, host: str, schema: str) -> None:
    UserFactory.create(schema=schema, username="boss", is_staff=True, is_superuser=True)
    api = client(host)
    first = tokens(host, "boss")["refresh"]
    # A rotated refresh token is stored whole, and works.
    kept = api.post("/api/auth/token/refresh/", {"refresh": first}, format="json").json()
    with schema_context(schema):
        outstanding = OutstandingToken.objects.get(token=kept["refresh"])
        blacklisted = BlacklistedToken.objects.get()
        stored = list(OutstandingToken.objects.values_list("token", flat=True))
    ids = {"outstanding": outstanding.pk, "blacklisted": blacklisted.pk}
    browser = Client(HTTP_HOST=host)
    login = browser.post("/admin/login/", {"username": "boss", "password": PASSWORD})
    assert login.status_code == 302

    index = browser.get("/admin/")
    assert index.status_code == 200
    assert b"token_blacklist" not in index.content
    for page in PAGES:
        response = browser.get(page.format(**ids))
        assert response.status_code == 404, page
        assert not any(token.encode() in response.content for token in stored), page
