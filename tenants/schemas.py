"""Which schemas have every migration on disk: what `migrate_schemas` skips and what the
template must have before a new tenant is cloned from it. Imports no model, so `tenants.models`
(whose schema creation clones the template) can use it.
"""

from django.db import connection
from django.db.migrations.loader import MigrationLoader

# One round trip for any number of schemas: query_to_xml runs the per-schema count inside
# the server. CASE (unlike AND) guarantees the count is only evaluated for schemas that
# have a django_migrations table, so a schema without one (or a missing schema) is behind,
# not an error.
_UP_TO_DATE_SQL = """
SELECT s.name
FROM unnest(%(schemas)s::text[]) AS s(name)
WHERE CASE
    WHEN to_regclass(format('%%I.django_migrations', s.name)) IS NULL THEN false
    ELSE (xpath('/row/n/text()', query_to_xml(format(
        'SELECT count(DISTINCT app || ''.'' || name) AS n FROM %%I.django_migrations'
        ' WHERE app || ''.'' || name = ANY (%%L::text[])',
        s.name, %(migrations)s::text[]
    ), false, true, '')))[1]::text::int = cardinality(%(migrations)s::text[])
END
"""


# Schemas per query. Reading a schema's django_migrations locks it until the transaction
# ends, and PostgreSQL's lock table is shared and sized for about max_locks_per_transaction
# (64) x max_connections (100) locks at once: a query over 10,000 schemas failed with "out
# of shared memory". 500 leaves room for every other session.
SCHEMAS_PER_QUERY = 500


def schemas_up_to_date(schemas: list[str], migrations: set[tuple[str, str]]) -> set[str]:
    """The schemas among `schemas` whose django_migrations records every one of `migrations`.

    One query per SCHEMAS_PER_QUERY schemas, each in a transaction of its own (unless the
    caller holds one: then its locks add up, so callers do not).
    """
    names = sorted(f"{app}.{name}" for app, name in migrations)
    current: set[str] = set()
    schemas = list(schemas)
    for start in range(0, len(schemas), SCHEMAS_PER_QUERY):
        chunk = schemas[start : start + SCHEMAS_PER_QUERY]
        with connection.cursor() as cursor:
            cursor.execute(_UP_TO_DATE_SQL, {"schemas": chunk, "migrations": names})
            current.update(row[0] for row in cursor.fetchall())
    return current


def migrations_on_disk() -> set[tuple[str, str]]:
    """Every migration of every installed app, as (app, name).

    Each schema's django_migrations records all of them, tenant apps' and shared apps'
    alike (migrate records the ones the router keeps out of the schema too), so a schema
    that has them all is one where migrate has nothing to do.
    """
    return set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
