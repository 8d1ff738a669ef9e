"""Benchmark tenants: built once with set-based SQL, then cloned per measurement.

The source tenant holds `n` ordinary users, half of them inactive (a tenth never logged
in), each in a group, with admin-log rows, some outstanding refresh tokens and a few
direct permissions — so a `delete` really cascades. Every measurement runs on a fresh
clone (django-tenants' clone_schema, data included) registered as a real tenant with the
benchmark policy, so the product's own code paths (policy lookup, report, summary) run.
"""

from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.clone import CloneSchema

from fleet.services.tenants import tenant_create
from policy.models import CleanupPolicy
from tenants.models import Domain, Tenant

PREFIX = "bench_"
INACTIVE_DAYS = 90
NEVER_LOGGED_IN_DAYS = 30
EXEMPT_GROUPS = ["vip"]


def policy_fields(action: str) -> dict[str, Any]:
    return {
        "enabled": False,  # never picked up by a scheduler while the benchmark runs
        "action": action,
        "dry_run": False,
        "inactive_days": INACTIVE_DAYS,
        "never_logged_in_days": NEVER_LOGGED_IN_DAYS,
        "exempt_groups": EXEMPT_GROUPS,
        "max_removal_ratio": 1.0,
        # The removal benchmarks measure removal: no warning first
        # (docs/architecture.md#notices-and-the-keep-link's warn stage
        # is measured on its own, bench.notice_warn).
        "notice_days": 0,
    }


def source_build(schema: str, n: int) -> None:
    """Create tenant `schema` with `n` users (ids 2..n+1; id 1 is its admin)."""
    tenant_create(
        schema_name=schema,
        name=schema,
        admin_username="admin",
        admin_email="admin@bench.test",
        admin_password="bench-admin-password-1",
    )
    CleanupPolicy.objects.filter(tenant__schema_name=schema).update(**policy_fields("delete"))
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL search_path TO "{schema}"')
        # Even users are inactive: last login 200 days ago, or (every tenth) never logged in
        # and joined 400 days ago. Odd users logged in yesterday.
        cursor.execute(
            """
            INSERT INTO accounts_user (password, last_login, last_seen, is_superuser, username,
                first_name, last_name, email, is_staff, is_active, date_joined)
            SELECT '!', CASE WHEN mod(i, 10) = 0 THEN NULL
                             WHEN mod(i, 2) = 0 THEN %(now)s - interval '200 days'
                             ELSE %(now)s - interval '1 day' END,
                   CASE WHEN mod(i, 4) = 2 THEN %(now)s - interval '150 days' END,
                   false, 'user' || i, 'First' || i, 'Last' || i, 'user' || i || '@bench.test',
                   false, true, %(now)s - interval '400 days'
            FROM generate_series(1, %(n)s) AS i
            """,
            {"now": now, "n": n},
        )
        cursor.execute(
            "INSERT INTO auth_group (name) SELECT 'team' || g FROM generate_series(0, 9) AS g"
        )
        cursor.execute("INSERT INTO auth_group (name) VALUES ('vip')")
        cursor.execute(
            """
            INSERT INTO accounts_user_groups (user_id, group_id)
            SELECT u.id, g.id FROM accounts_user u
            JOIN auth_group g ON g.name = 'team' || mod(u.id, 10)
            WHERE NOT u.is_staff
            """
        )
        # A few exempt users (user i has id i + 1; these have odd i, so are active anyway
        # and the matched share stays one half).
        cursor.execute(
            """
            INSERT INTO accounts_user_groups (user_id, group_id)
            SELECT u.id, (SELECT id FROM auth_group WHERE name = 'vip') FROM accounts_user u
            WHERE NOT u.is_staff AND mod(u.id, 100) = 2
            """
        )
        cursor.execute(
            """
            INSERT INTO django_admin_log (action_time, user_id, content_type_id, object_id,
                object_repr, action_flag, change_message)
            SELECT %(now)s - interval '300 days', u.id,
                   (SELECT id FROM django_content_type WHERE model = 'group'), '1', 'team',
                   2, '[]'
            FROM accounts_user u, generate_series(1, 2)
            WHERE NOT u.is_staff
            """,
            {"now": now},
        )
        cursor.execute(
            """
            INSERT INTO token_blacklist_outstandingtoken (token, created_at, expires_at,
                user_id, jti)
            SELECT 'token-' || u.id, %(now)s - interval '200 days',
                   %(now)s - interval '193 days', u.id, md5('jti' || u.id)
            FROM accounts_user u WHERE NOT u.is_staff AND mod(u.id, 3) = 0
            """,
            {"now": now},
        )
        cursor.execute(
            """
            INSERT INTO accounts_user_user_permissions (user_id, permission_id)
            SELECT u.id, (SELECT min(id) FROM auth_permission) FROM accounts_user u
            WHERE NOT u.is_staff AND mod(u.id, 25) = 1
            """
        )
        for table in (
            "accounts_user",
            "accounts_user_groups",
            "django_admin_log",
            "token_blacklist_outstandingtoken",
        ):
            cursor.execute(f"ANALYZE {table}")
    connection.set_schema_to_public()  # type: ignore[attr-defined]


def copy_make(source: str, schema: str, action: str) -> Tenant:
    """A fresh tenant `schema` with a copy of `source`'s data and the benchmark policy."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    with transaction.atomic():
        CloneSchema().clone_schema(source, schema, "DATA")
        tenant = Tenant(schema_name=schema, name=schema)
        tenant.auto_create_schema = False
        tenant.save()
        Domain.objects.create(domain=f"{schema.replace('_', '-')}.bench", tenant=tenant)
        CleanupPolicy.objects.create(
            tenant=tenant, next_run_at=timezone.now() + timedelta(days=365), **policy_fields(action)
        )
    with connection.cursor() as cursor:
        # Fresh statistics and visibility map, as an autovacuumed production table would have.
        for table in ("accounts_user", "accounts_user_groups", "django_admin_log"):
            cursor.execute(f'VACUUM (ANALYZE) "{schema}".{table}')
        # Every contender starts right after a checkpoint, so none pays the full-page images
        # of a checkpoint that happens to fall in its timed part (it did, at random: the
        # copies write hundreds of megabytes of WAL), and all pay the same ones.
        cursor.execute("CHECKPOINT")
    return tenant


def copy_drop(schema: str) -> None:
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    with transaction.atomic():
        Tenant.objects.filter(schema_name=schema).delete()  # a queryset delete keeps the schema
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def counts(schema: str) -> dict[str, int]:
    """Row counts of the tables a cleanup touches, for checking runs did the same work."""
    with connection.cursor() as cursor:
        out = {}
        for table, where in (
            ("accounts_user", "true"),
            ("accounts_user", "is_active"),
            ("accounts_user_groups", "true"),
            ("accounts_user_user_permissions", "true"),
            ("django_admin_log", "true"),
            ("token_blacklist_outstandingtoken", "user_id IS NOT NULL"),
            ("cleanup_cleanupauditentry", "true"),
        ):
            cursor.execute(f'SELECT count(*) FROM "{schema}".{table} WHERE {where}')
            out[f"{table}:{where}"] = cursor.fetchone()[0]
    return out
