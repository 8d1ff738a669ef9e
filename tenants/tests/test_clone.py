"""The template clone that stays fast with thousands of tenants makes exactly the schema
django-tenants' clone_schema() makes, and gives way to it for what it does not copy."""

from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import UniqueConstraint
from django_tenants.clone import CloneSchema

from tenants import clone
from tenants.clone import CloneUnsupported, template_clone, tenant_schema_create
from tenants.models import Tenant

pytestmark = pytest.mark.django_db
TEMPLATE = settings.TENANT_BASE_SCHEMA


def fetch(query: str, params: Any = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def fingerprint(schema: str) -> dict[str, Any]:
    """Everything a schema holds, with its own name taken out of every definition."""
    ns = fetch("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema])[0][0]
    columns = fetch(
        """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
               a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = %s AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY c.relname, a.attnum
        """,
        [ns],
    )
    constraints = [
        (table, name, kind, definition.replace(f" {schema}.", " <schema>."), *deferral)
        for table, name, kind, definition, *deferral in fetch(
            """
            SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid),
                   k.condeferrable, k.condeferred
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
            WHERE k.connamespace = %s ORDER BY 1, 2
            """,
            [ns],
        )
    ]
    indexes = [
        (name, definition.replace(f" ON {schema}.", " ON <schema>."))
        for name, definition in fetch(
            "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_class c "
            "WHERE c.relnamespace = %s AND c.relkind = 'i' ORDER BY 1",
            [ns],
        )
    ]
    sequences = fetch(
        """
        SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin,
               s.seqmax, s.seqcache, s.seqcycle, pg_sequence_last_value(c.oid)
        FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
        WHERE c.relnamespace = %s ORDER BY 1
        """,
        [ns],
    )
    tables = [name for (name,) in fetch(
        "SELECT relname FROM pg_class WHERE relnamespace = %s AND relkind = 'r' ORDER BY 1", [ns]
    )]  # fmt: skip
    rows = {
        table: fetch(
            "SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')), count(*) "
            f'FROM "{schema}"."{table}" t'
        )[0]
        for table in tables
    }
    other = fetch(
        "SELECT relkind, count(*) FROM pg_class WHERE relnamespace = %s GROUP BY 1 ORDER BY 1",
        [ns],
    )
    return {
        "columns": columns,
        "constraints": constraints,
        "indexes": indexes,
        "sequences": sequences,
        "rows": rows,
        "relations": other,
    }


def test_the_fast_clone_copies_the_template_exactly() -> None:
    template_clone(TEMPLATE, "clone_fast")

    template, fast = fingerprint(TEMPLATE), fingerprint("clone_fast")

    assert fast["columns"] and fast["constraints"] and fast["indexes"] and fast["sequences"]
    assert sum(count for _, count in fast["rows"].values()) > 0  # migrations, permissions...
    for part in template:
        if part != "indexes":
            assert fast[part] == template[part], part
    # Index definitions are PostgreSQL's deparse, re-parsed: the same index, but a partial
    # index's predicate may read differently (clone_schema's too; see the next test).
    assert [name for name, _ in fast["indexes"]] == [name for name, _ in template["indexes"]]


def unnamed(print_: dict[str, Any]) -> dict[str, Any]:
    """A fingerprint without constraint and index names."""
    return {
        **print_,
        "constraints": sorted((c[0], *c[2:]) for c in print_["constraints"]),
        "indexes": sorted(
            definition.replace(f"INDEX {name} ON", "INDEX ON")
            for name, definition in print_["indexes"]
        ),
    }


def test_it_makes_what_clone_schema_makes_minus_clone_schemas_drift() -> None:
    """pg-clone-schema copies tables with CREATE TABLE ... (LIKE ... INCLUDING ALL), which
    renames unique constraints to PostgreSQL's defaults (`<table>_<columns>_key`: a later
    migration dropping one by Django's name would fail there) and widens an integer
    identity sequence to the column's bigint. The fast clone keeps the template's names and
    types (previous test); otherwise the two make the same schema."""
    CloneSchema().clone_schema(TEMPLATE, "clone_stock", "DATA")
    template_clone(TEMPLATE, "clone_fast")

    stock, fast = unnamed(fingerprint("clone_stock")), unnamed(fingerprint("clone_fast"))

    for part in ("columns", "constraints", "rows", "relations"):
        assert fast[part] == stock[part], part
    assert len(fast["indexes"]) == len(stock["indexes"])
    # Sequences: same names, options and values, but for the type clone_schema widens.
    assert [(s[0], *s[2:4], s[-1]) for s in fast["sequences"]] == [
        (s[0], *s[2:4], s[-1]) for s in stock["sequences"]
    ]
    stock_names = {c[1] for c in fingerprint("clone_stock")["constraints"]}
    fast_names = {c[1] for c in fingerprint("clone_fast")["constraints"]}
    assert stock_names - fast_names
    assert all(name.endswith("_key") for name in stock_names - fast_names)
    # Django's own names (`..._uniq`), or the name a model gives its unique constraint.
    named = {
        constraint.name
        for model in apps.get_models()
        for constraint in model._meta.constraints
        if isinstance(constraint, UniqueConstraint)
    }
    assert all(name.endswith("_uniq") or name in named for name in fast_names - stock_names)


def test_a_tenant_made_by_the_fast_clone_works_like_any(tenant_a: Tenant) -> None:
    """The session's tenants were created through it: a user and a report can be written,
    and the identity sequences continue after the rows the template holds."""
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    with schema_context("alpha"):
        user = get_user_model().objects.create_user(username="after-clone", password="x" * 12)
        assert user.pk > 1
        from django.contrib.contenttypes.models import ContentType

        assert ContentType.objects.filter(app_label="cleanup").exists()


def test_a_template_holding_what_the_fast_clone_does_not_copy_is_refused_untouched() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA odd_template")
        cursor.execute("CREATE TABLE odd_template.t (id int PRIMARY KEY)")
        cursor.execute("CREATE VIEW odd_template.v AS SELECT id FROM odd_template.t")

    with pytest.raises(CloneUnsupported, match="views"):
        template_clone("odd_template", "odd_copy")

    assert fetch("SELECT 1 FROM pg_namespace WHERE nspname = 'odd_copy'") == []


def test_tenant_creation_falls_back_to_django_tenants_when_the_fast_clone_cannot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fleet.services.tenants import tenant_create

    def refuse(template: str, schema: str) -> None:
        raise CloneUnsupported("the template holds functions")

    monkeypatch.setattr(clone, "template_clone", refuse)
    assert not tenant_schema_create(TEMPLATE, "never_made")

    tenant = tenant_create(
        schema_name="slowpath",
        name="Slow path",
        admin_username="admin",
        admin_email="admin@slow.test",
        admin_password="a-long-enough-password",
    )

    assert fingerprint("slowpath")["columns"] == fingerprint("alpha")["columns"]
    assert Tenant.objects.filter(pk=tenant.pk).exists()
