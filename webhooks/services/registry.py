"""The public registry of tenants with webhooks (`WebhookTenant`): when each next needs the
sweeper. Written with SQL naming the public schema, so it works from inside a tenant's
schema and transaction without switching the connection's search_path."""

from datetime import datetime

from django.db import connection
from django_tenants.utils import get_public_schema_name

from webhooks.models import WebhookTenant


def _table() -> str:
    quote = connection.ops.quote_name
    return f"{quote(get_public_schema_name())}.{quote(WebhookTenant._meta.db_table)}"


def registry_join(schema_name: str) -> None:
    """List the tenant (once): it has an endpoint now."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table()} (schema_name, due_at) VALUES (%s, NULL) "
            "ON CONFLICT (schema_name) DO NOTHING",
            [schema_name],
        )


def registry_due(schema_name: str, at: datetime) -> None:
    """The tenant's deliveries need the sweeper by `at`. Writes (and locks the row) only when
    that is sooner than what the row says, so most events of a busy tenant write nothing
    here; in the caller's transaction, so a rolled-back event leaves the row as it was."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table()} SET due_at = %s "
            "WHERE schema_name = %s AND (due_at IS NULL OR due_at > %s)",
            [at, schema_name, at],
        )
        if cursor.rowcount == 0:
            cursor.execute(
                f"INSERT INTO {_table()} (schema_name, due_at) VALUES (%s, %s) "
                "ON CONFLICT (schema_name) DO NOTHING",
                [schema_name, at],
            )
