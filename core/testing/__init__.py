"""Helpers for API tests: clients bound to a host, tokens, users."""

from typing import Any

from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

TENANT_A, TENANT_B, ROOT = "alpha.localhost", "beta.localhost", "localhost"
PASSWORD = "a-long-enough-password"


def client(host: str, access: str | None = None) -> APIClient:
    api = APIClient(HTTP_HOST=host)
    if access:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api


def tokens(host: str, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client(host).post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def make_user(schema: str, username: str, **fields: Any) -> Any:
    with schema_context(schema):
        return get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
