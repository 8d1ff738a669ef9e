"""Cleanup speed against the physical limit (docs/benchmarks.md#targets).

On fresh copies of one tenant (N users, half inactive, cascades real), side by side in
each repetition:
- the product's `delete` and `deactivate` runs (`cleanup_report_create` + `cleanup_run`,
  as the worker and `manage.py cleanup_run` call them);
- the floor: hand-written SQL doing the same removal in one transaction — one UPDATE for
  deactivate; for delete, the matched ids into a temporary table, then one DELETE (or the
  SET NULL UPDATE) per dependant table and one DELETE of the users. This bare floor
  (`cleanup_*_vs_sql`, the figure docs/benchmarks.md#targets names) writes no audit list, which the
  product
  must write in the same transactions (docs/architecture.md#cleanup-semantics); so the floor is
  also measured with the
  same audit rows written by one INSERT … SELECT (`cleanup_*_vs_sql_audited`);
- a naive per-object loop (`for u in qs: u.delete()`, autocommit) over the first 5,000
  matched users, its time scaled to the whole matched set.
Each copy's row counts after the run are compared, so every contender did the same work.

    python -m bench.cleanup_speed --users 100000 --repeat 3
"""

import argparse
import os
from datetime import timedelta
from typing import Any

from bench import common

SOURCE = "bench_src"
NAIVE_USERS = int(os.environ.get("BENCH_NAIVE_USERS", "5000"))


def matched_sql(action: str) -> str:
    """The policy's matched users, as a DBA would write it (same rules as the selectors)."""
    active = "AND u.is_active" if action == "deactivate" else ""
    return f"""
        SELECT u.id, CASE WHEN u.last_login IS NULL AND u.last_seen IS NULL
                          THEN 'never_logged_in' ELSE 'inactive' END AS reason
        FROM accounts_user u
        WHERE NOT u.is_superuser AND NOT u.is_staff {active}
          AND NOT EXISTS (
              SELECT 1 FROM accounts_user_groups ug JOIN auth_group g ON g.id = ug.group_id
              WHERE ug.user_id = u.id AND g.name = ANY(%(exempt)s))
          AND (GREATEST(u.last_login, u.last_seen) < %(inactive_before)s
               OR (u.last_login IS NULL AND u.last_seen IS NULL
                   AND u.date_joined < %(joined_before)s))
    """


def sql_floor(schema: str, action: str, audited: bool = False) -> float:
    """The removal as one hand-written transaction; with `audited`, it also writes the same
    audit rows as the product (one INSERT … SELECT), which docs/architecture.md#cleanup-semantics
    requires of a run."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench import data

    now = timezone.now()
    params: dict[str, Any] = {
        "exempt": data.EXEMPT_GROUPS,
        "inactive_before": now - timedelta(days=data.INACTIVE_DAYS),
        "joined_before": now - timedelta(days=data.NEVER_LOGGED_IN_DAYS),
        "audit_action": "deactivated" if action == "deactivate" else "deleted",
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{schema}".cleanup_cleanupreport (status, trigger, dry_run, action, '
            "created_at, users_warned, users_deactivated, users_deleted, users_removed, "
            "progress, error, policy, task_id) VALUES "
            "('succeeded', 'manual', false, %s, now(), 0, 0, 0, 0, 1, '', '{}', '') RETURNING id",
            [action],
        )
        params["report"] = cursor.fetchone()[0]

    def run() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL search_path TO "{schema}"')
            cursor.execute(
                f"CREATE TEMPORARY TABLE doomed ON COMMIT DROP AS {matched_sql(action)}", params
            )
            cursor.execute("ANALYZE doomed")
            doomed = "SELECT id FROM doomed"
            if audited:
                cursor.execute(
                    "INSERT INTO cleanup_cleanupauditentry (report_id, user_id, username, "
                    "email, last_login, last_seen, date_joined, reason, action) "
                    "SELECT %(report)s, u.id, u.username, u.email, u.last_login, u.last_seen, "
                    "u.date_joined, d.reason, %(audit_action)s "
                    "FROM accounts_user u JOIN doomed d ON d.id = u.id",
                    params,
                )
            if action == "deactivate":
                # The product's deactivation also revokes the user's tokens (token_version).
                cursor.execute(
                    "UPDATE accounts_user SET is_active = false, "
                    f"token_version = token_version + 1 WHERE id IN ({doomed})"
                )
                return
            cursor.execute(f"DELETE FROM accounts_user_groups WHERE user_id IN ({doomed})")
            cursor.execute(
                f"DELETE FROM accounts_user_user_permissions WHERE user_id IN ({doomed})"
            )
            cursor.execute(f"DELETE FROM django_admin_log WHERE user_id IN ({doomed})")
            cursor.execute(
                "UPDATE token_blacklist_outstandingtoken SET user_id = NULL "
                f"WHERE user_id IN ({doomed})"
            )
            cursor.execute(f"DELETE FROM accounts_user WHERE id IN ({doomed})")

    seconds = common.timed(run)
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    return seconds


def product(schema: str) -> tuple[float, Any, int]:
    """The product's run, with one webhook endpoint subscribed to every event (its users
    events are written in the batches' transactions; nothing delivers them here). Returns
    the time, the report and the deliveries the run made."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from cleanup.services.execution import cleanup_run
    from cleanup.services.start import cleanup_report_create
    from webhooks.models import Delivery, Endpoint
    from webhooks.services.endpoints import secret_make

    with schema_context(schema):
        Endpoint.objects.create(
            url="https://hooks.bench.example/cleanup", events=["*"], secret=secret_make()
        )
        report = cleanup_report_create(schema_name=schema, trigger="manual", dry_run=False)
        result: dict[str, Any] = {}
        seconds = common.timed(lambda: result.update(report=cleanup_run(report_id=report.pk)))
        deliveries = Delivery.objects.count()
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    report = result["report"]
    assert report.status == "succeeded", (report.status, report.error)
    return seconds, report, deliveries


def naive_delete(schema: str) -> tuple[float, int]:
    """The loop a hurried engineer writes: fetch the matched users, delete each one."""
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from cleanup.selectors import matched_users
    from policy.models import CleanupPolicy
    from policy.rules import PolicySpec

    spec = PolicySpec.from_policy(CleanupPolicy.objects.get(tenant__schema_name=schema))
    with schema_context(schema):
        users = matched_users(spec, timezone.now()).order_by("pk")[:NAIVE_USERS]

        def run() -> None:
            for user in users:
                user.delete()

        seconds = common.timed(run)
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    return seconds, NAIVE_USERS


def main(users: int, repeat: int) -> dict[str, Any]:
    common.django_setup()
    from bench import data

    common.public_tenant_ensure()
    common.tenants_drop(data.PREFIX + "c")
    source_ensure(SOURCE, users)
    source_counts = data.counts(SOURCE)
    common.log(f"source: {source_counts}")

    contenders = [
        "delete",
        "sql_delete",
        "sql_audited_delete",
        "deactivate",
        "sql_deactivate",
        "sql_audited_deactivate",
        "naive",
    ]
    times: dict[str, list[float]] = {name: [] for name in contenders}
    removed: dict[str, int] = {}
    deliveries: dict[str, int] = {}
    for rep in range(repeat):
        # Alternate the order of contenders between repetitions, so neither always runs on
        # a warmer cache.
        after: dict[str, dict[str, int]] = {}
        for name in contenders if rep % 2 == 0 else list(reversed(contenders)):
            schema = f"{data.PREFIX}c{rep}_{name}"
            action = "deactivate" if "deactivate" in name else "delete"
            data.copy_make(SOURCE, schema, action)
            if name in ("delete", "deactivate"):
                seconds, report, deliveries[name] = product(schema)
                removed[name] = report.users_removed
            elif name == "naive":
                seconds, _ = naive_delete(schema)
            else:
                seconds = sql_floor(schema, action, audited="audited" in name)
            after[name] = data.counts(schema)
            times[name].append(seconds)
            common.log(f"rep {rep} {name}: {seconds:.2f} s")
            data.copy_drop(schema)
        # Every contender did the same work: the same rows left in every table (the bare
        # floor writes no audit rows).
        for action in ("delete", "deactivate"):
            product_rows = after[action]
            assert product_rows == after[f"sql_audited_{action}"], (action, after)
            audit = "cleanup_cleanupauditentry:true"
            assert {**product_rows, audit: 0} == after[f"sql_{action}"], (action, after)

    med = {name: common.median(values) for name, values in times.items()}
    naive_scaled = med["naive"] * removed["delete"] / NAIVE_USERS
    figures = {
        "cleanup_users": users,
        "cleanup_users_removed": removed["delete"],
        "cleanup_delete_vs_sql": round(med["delete"] / med["sql_delete"], 2),
        "cleanup_deactivate_vs_sql": round(med["deactivate"] / med["sql_deactivate"], 2),
        "cleanup_delete_vs_sql_audited": round(med["delete"] / med["sql_audited_delete"], 2),
        "cleanup_deactivate_vs_sql_audited": round(
            med["deactivate"] / med["sql_audited_deactivate"], 2
        ),
        "naive_delete_vs_product": round(naive_scaled / med["delete"], 1),
        "cleanup_delete_users_per_s": round(removed["delete"] / med["delete"]),
        "cleanup_delete_s": round(med["delete"], 2),
        "cleanup_deactivate_s": round(med["deactivate"], 2),
        "sql_delete_s": round(med["sql_delete"], 2),
        "sql_deactivate_s": round(med["sql_deactivate"], 2),
        "sql_audited_delete_s": round(med["sql_audited_delete"], 2),
        "sql_audited_deactivate_s": round(med["sql_audited_deactivate"], 2),
        "naive_delete_scaled_s": round(naive_scaled, 1),
        "cleanup_repeats": repeat,
        # The deliveries one run makes to an endpoint subscribed to everything: pages of 500
        # users per batch, and the run's own events (docs/webhooks.md#events).
        "webhook_deliveries_100k": max(deliveries.values()),
    }
    _webhook_queue_purge()
    common.log(f"cleanup speed: {figures}")
    return figures


def _webhook_queue_purge() -> None:
    """The runs published their deliveries' tasks; no worker takes them here."""
    from config.celery import app

    app.control.purge()


def source_ensure(schema: str, users: int) -> None:
    """Build source tenant `schema` with `users` users, unless an earlier run left it so."""
    from django.db import connection

    from bench import data
    from tenants.models import Tenant

    if Tenant.objects.filter(schema_name=schema).exists():
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT count(*) FROM "{schema}".accounts_user WHERE NOT is_staff')
            if cursor.fetchone()[0] == users:
                return
    data.copy_drop(schema)
    with common.step(f"building source tenant {schema} with {users} users"):
        data.source_build(schema, users)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    common.results_merge(main(args.users, args.repeat))
