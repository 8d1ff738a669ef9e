from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django_tenants.utils import get_public_schema_name

from tenants.models import Domain, Tenant
from tenants.services import tenant_default_domain

# The `status` of a tenant whose policy has no run summary yet.
TENANT_STATUS_NEVER = "never"

# `ordering` values (each also with a leading "-") -> the field they sort on.
_ORDER_FIELDS = {
    "name": "name",
    "created_at": "created_at",
    "next_run_at": "policy__next_run_at",
    "last_run": "policy__last_report_finished_at",
}
TENANT_ORDERINGS = [*_ORDER_FIELDS, *(f"-{name}" for name in _ORDER_FIELDS)]


def tenant_list(search: str = "", status: str = "", ordering: str = "") -> QuerySet[Tenant]:
    """Every tenant with its policy and primary domain: three queries however many there are.

    `search`: a case-insensitive substring of the name, schema name or primary domain.
    `status`: the last run's status (the public summary on the policy row), or "never".
    `ordering`: one of TENANT_ORDERINGS, nulls last; ties, and no ordering, by schema name.

    No index serves these on purpose: at 2,000 tenants PostgreSQL scans the tenant, policy
    and domain tables and sorts in under 5 ms per query (measured with EXPLAIN ANALYZE, the
    search and every ordering included), and a substring search could not use a B-tree
    anyway; a pg_trgm index would be the next step for fleets a hundred times larger.
    """
    tenants = Tenant.objects.exclude(schema_name=get_public_schema_name())
    if search:
        primary_domain_matches = Domain.objects.filter(
            tenant=OuterRef("pk"), is_primary=True, domain__icontains=search
        )
        tenants = tenants.filter(
            Q(name__icontains=search)
            | Q(schema_name__icontains=search)
            | Exists(primary_domain_matches)
        )
    if status == TENANT_STATUS_NEVER:
        tenants = tenants.filter(policy__last_report_id__isnull=True)
    elif status:
        tenants = tenants.filter(policy__last_report_status=status)
    order_by = [F("schema_name").asc()]
    if ordering:
        field = F(_ORDER_FIELDS[ordering.removeprefix("-")])
        descending = ordering.startswith("-")
        order_by.insert(
            0, field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)
        )
    return (
        tenants.select_related("policy")
        .prefetch_related(Prefetch("domains", queryset=Domain.objects.filter(is_primary=True)))
        .order_by(*order_by)
    )


def tenant_get(schema_name: str) -> Tenant | None:
    return tenant_list().filter(schema_name=schema_name).first()


def tenant_url(tenant: Tenant, path: str = "") -> str:
    """The absolute URL of `path` on the tenant's host, for links that leave the site (emails):
    TENANT_URL with the tenant's primary domain (the default domain if it has none)."""
    domain = (
        Domain.objects.filter(tenant=tenant, is_primary=True)
        .values_list("domain", flat=True)
        .first()
    ) or tenant_default_domain(tenant.schema_name)
    return settings.TENANT_URL.format(domain=domain) + path.lstrip("/")


def tenant_active_schemas() -> list[str]:
    return list(
        Tenant.objects.exclude(schema_name=get_public_schema_name())
        .filter(is_active=True)
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )


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


def schemas_up_to_date(schemas: list[str], migrations: set[tuple[str, str]]) -> set[str]:
    """The schemas among `schemas` whose django_migrations records every one of `migrations`.

    One query, however many schemas.
    """
    if not schemas:
        return set()
    names = sorted(f"{app}.{name}" for app, name in migrations)
    with connection.cursor() as cursor:
        cursor.execute(_UP_TO_DATE_SQL, {"schemas": list(schemas), "migrations": names})
        return {row[0] for row in cursor.fetchall()}


def migrations_on_disk() -> set[tuple[str, str]]:
    """Every migration of every installed app, as (app, name).

    Each schema's django_migrations records all of them, tenant apps' and shared apps'
    alike (migrate records the ones the router keeps out of the schema too), so a schema
    that has them all is one where migrate has nothing to do.
    """
    return set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
