from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext
from django_tenants.signals import schema_pre_migration

from tenants.models import Tenant
from tenants.schemas import migrations_on_disk, schemas_up_to_date
from tenants.services import tenant_delete


@pytest.fixture
def migrated(settings: Any) -> Iterator[list[str]]:
    """The schemas migrate actually runs for, in order (in-process executor, so it is seen)."""
    settings.MIGRATION_EXECUTOR = "standard"
    seen: list[str] = []

    def spy(sender: object, schema_name: str, **kwargs: object) -> None:
        seen.append(schema_name)

    schema_pre_migration.connect(spy)
    yield seen
    schema_pre_migration.disconnect(spy)


def migrate_tenants(**options: object) -> None:
    call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0, **options)


def unapply_last_cleanup_migration(schema_name: str) -> None:
    """Really migrate the schema one step back, so it is behind as after a deploy."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    (leaf,) = graph.leaf_nodes("cleanup")
    (previous,) = (parent for parent in graph.node_map[leaf].parents if parent.key[0] == "cleanup")
    migrate_tenants(app_label="cleanup", migration_name=previous.key[1], schema_name=schema_name)


def bare_tenant(schema_name: str) -> Tenant:
    """A registered tenant whose schema exists but has no tables, not even django_migrations."""
    tenant = Tenant(schema_name=schema_name, name=schema_name)
    tenant.auto_create_schema = False
    tenant.save()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema_name}"')
    return tenant


def test_migrate_schemas_with_every_schema_up_to_date_migrates_none_in_a_constant_number_of_queries(
    make_live_tenant: Callable[..., Tenant], migrated: list[str]
) -> None:
    for _ in range(3):
        make_live_tenant()
    migrated.clear()  # creating a tenant fakes its migrations with migrate_schemas
    with CaptureQueriesContext(connection) as at_3:
        migrate_tenants()
    assert migrated == []

    for _ in range(12):
        make_live_tenant()
    migrated.clear()
    with CaptureQueriesContext(connection) as at_15:
        migrate_tenants()
    assert migrated == []

    assert len(at_3) == len(at_15)


def test_migrate_schemas_migrates_exactly_the_schema_that_is_behind_and_completes_it(
    make_live_tenant: Callable[..., Tenant], migrated: list[str]
) -> None:
    current, behind = make_live_tenant(), make_live_tenant()
    unapply_last_cleanup_migration(behind.schema_name)
    migrated.clear()  # creating and unapplying ran migrate_schemas too
    assert schemas_up_to_date([behind.schema_name], migrations_on_disk()) == set()

    migrate_tenants()

    assert migrated == [behind.schema_name]
    schemas = [current.schema_name, behind.schema_name]
    assert schemas_up_to_date(schemas, migrations_on_disk()) == set(schemas)


def test_a_schema_without_a_migrations_table_is_migrated_from_scratch(
    live_db: None, migrated: list[str]
) -> None:
    tenant = bare_tenant("live_bare_schema")
    try:
        migrate_tenants()

        assert migrated == ["live_bare_schema"]
        assert schemas_up_to_date(["live_bare_schema"], migrations_on_disk()) == {
            "live_bare_schema"
        }
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        tenant_delete(tenant=tenant)


def test_finding_up_to_date_schemas_is_one_query_and_counts_a_missing_table_or_schema_as_behind(
    tenant_a: Tenant,
) -> None:
    """(One query per SCHEMAS_PER_QUERY schemas: see the test below.)"""
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "no_table"')
    schemas = ["alpha", "no_table", "no_such_schema", "public"]

    with CaptureQueriesContext(connection) as queries:
        current = schemas_up_to_date(schemas, migrations_on_disk())

    assert current == {"alpha", "public"}
    # django-tenants may first point the connection's search_path at public.
    assert len([q for q in queries if not q["sql"].startswith("SET search_path")]) == 1


def test_many_schemas_are_read_a_few_hundred_per_query(
    tenant_a: Tenant, tenant_b: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's lock table cannot hold a lock on 10,000 schemas' tables at once."""
    from tenants import schemas as module

    monkeypatch.setattr(module, "SCHEMAS_PER_QUERY", 2)
    names = ["alpha", "no_such_schema", "beta", "public", "another_missing"]

    with CaptureQueriesContext(connection) as queries:
        current = schemas_up_to_date(names, migrations_on_disk())

    assert current == {"alpha", "beta", "public"}
    assert len([q for q in queries if not q["sql"].startswith("SET search_path")]) == 3


def test_a_schema_missing_one_migration_record_is_behind(
    make_live_tenant: Callable[..., Tenant],
) -> None:
    tenant = make_live_tenant()
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{tenant.schema_name}".django_migrations'
            " WHERE id = (SELECT max(id) FROM "
            f'"{tenant.schema_name}".django_migrations)'
        )

    assert schemas_up_to_date([tenant.schema_name], migrations_on_disk()) == set()


def test_naming_a_schema_migrates_it_even_when_up_to_date(
    make_live_tenant: Callable[..., Tenant], migrated: list[str]
) -> None:
    tenant = make_live_tenant()
    migrated.clear()

    migrate_tenants(schema_name=tenant.schema_name)

    assert migrated == [tenant.schema_name]


def test_a_stale_template_schema_is_migrated_with_the_tenants(
    live_db: None, migrated: list[str]
) -> None:
    template = settings.TENANT_BASE_SCHEMA
    unapply_last_cleanup_migration(template)
    migrated.clear()

    migrate_tenants()

    assert migrated == [template]
    assert schemas_up_to_date([template], migrations_on_disk()) == {template}


def test_schemas_behind_are_migrated_in_parallel_processes(
    make_live_tenant: Callable[..., Tenant], settings: Any
) -> None:
    settings.MIGRATION_EXECUTOR = "multiprocessing"
    settings.TENANT_MULTIPROCESSING_MAX_PROCESSES = 2
    tenants = [make_live_tenant() for _ in range(3)]
    for tenant in tenants:
        unapply_last_cleanup_migration(tenant.schema_name)

    migrate_tenants()

    schemas = [tenant.schema_name for tenant in tenants]
    assert schemas_up_to_date(schemas, migrations_on_disk()) == set(schemas)


def test_check_with_schemas_behind_exits_non_zero_rather_than_hanging_a_process_pool(
    make_live_tenant: Callable[..., Tenant], settings: Any
) -> None:
    settings.MIGRATION_EXECUTOR = "multiprocessing"
    tenants = [make_live_tenant() for _ in range(2)]
    for tenant in tenants:
        unapply_last_cleanup_migration(tenant.schema_name)

    with pytest.raises(SystemExit) as exit_:
        migrate_tenants(check_unapplied=True)

    assert exit_.value.code == 1
    schemas = [tenant.schema_name for tenant in tenants]
    assert schemas_up_to_date(schemas, migrations_on_disk()) == set()
