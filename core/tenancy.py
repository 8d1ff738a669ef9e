"""Which schema the current connection is in (django-tenants sets it per request or task)."""

from django.db import connection
from django_tenants.utils import get_public_schema_name


def current_schema() -> str:
    return connection.schema_name  # type: ignore[attr-defined,no-any-return]


def on_public_schema() -> bool:
    return current_schema() == get_public_schema_name()
