"""Undoing a run against the physical limit (docs/architecture.md#oversight, `undo_vs_sql`).

A source tenant of 2N users (half of them inactive, as in cleanup_speed) is cleaned once by
the product's own `deactivate` run, which deactivates N users and writes their audit list.
Then, on fresh copies of that state, side by side in each repetition:
- the product's undo (`report_undo`, as `POST /api/reports/{id}/undo/` calls it): one
  statement that classifies the run's audit rows (deleted, active, deactivated again, to
  reactivate), reactivates, marks the audit rows restored and counts, plus the activity
  event, in one transaction;
- the floor: one hand-written `UPDATE … FROM` joining the users to the run's audit rows —
  the least any undo must do — which marks no audit row and checks nothing else
  (`undo_vs_sql`, the figure the issue names);
- the floor plus what docs/architecture.md#oversight requires of every undo besides: the same audit
rows
  marked restored, by one more UPDATE in the same statement (`undo_vs_sql_audited`).
All must leave the same users active.

    python -m bench.undo_speed --run-users 50000 --repeat 3
"""

import argparse
from collections.abc import Callable
from typing import Any

from bench import common

SOURCE = "bench_undo_src"
# The measured copies (dropped by prefix at the start of each run).
COPIES = "bench_r"
# The source after the product's deactivation run: every measurement clones this.
RAN = "bench_undo_ran"


def ran_ensure(run_users: int) -> int:
    """Build RAN (a source of 2 * run_users users, cleaned once); return its report id."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from bench import data
    from cleanup.models import CleanupReport
    from cleanup.services.execution import cleanup_run
    from cleanup.services.start import cleanup_report_create
    from policy.models import CleanupPolicy
    from tenants.models import Tenant

    if Tenant.objects.filter(schema_name=RAN).exists():
        with schema_context(RAN):
            report = CleanupReport.objects.filter(status="succeeded").first()
            if report is not None and report.users_removed == run_users:
                return report.pk
    data.copy_drop(RAN)
    data.copy_drop(SOURCE)
    with common.step(f"building {SOURCE} with {2 * run_users} users"):
        data.source_build(SOURCE, 2 * run_users)
    data.copy_make(SOURCE, RAN, "deactivate")
    # Removed at once, without the lifecycle's notice period.
    CleanupPolicy.objects.filter(tenant__schema_name=RAN).update(notice_days=0)
    with common.step(f"deactivating {run_users} users in {RAN} (the run to undo)"):
        with schema_context(RAN):
            report = cleanup_report_create(schema_name=RAN, trigger="manual", dry_run=False)
            report = cleanup_run(report_id=report.pk)
        connection.set_schema_to_public()  # type: ignore[attr-defined]
    assert report.status == "succeeded" and report.users_removed == run_users, (
        report.status,
        report.users_removed,
        report.error,
    )
    data.copy_drop(SOURCE)
    return int(report.pk)


def copy_make(schema: str) -> None:
    from django.db import connection

    from bench import data

    data.copy_make(RAN, schema, "deactivate")
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{schema}".cleanup_cleanupauditentry')


def product(schema: str, report_id: int) -> tuple[float, int]:
    from django.db import connection
    from django_tenants.utils import schema_context

    from cleanup.services.oversight import report_undo

    result: dict[str, Any] = {}
    with schema_context(schema):
        seconds = common.timed(
            lambda: result.update(undo=report_undo(report_id=report_id, actor="bench"))
        )
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    return seconds, result["undo"].reactivated


FLOOR = """
    UPDATE accounts_user u SET is_active = true, last_seen = now()
    FROM cleanup_cleanupauditentry a
    WHERE a.report_id = %(report)s AND a.action = 'deactivated' AND a.user_id = u.id
      AND NOT u.is_active
"""


def sql_floor(schema: str, report_id: int, audited: bool = False) -> tuple[float, int]:
    from django.db import connection, transaction

    reactivated: list[int] = []
    statement = FLOOR
    if audited:
        statement = f"""
            WITH reactivated AS ({FLOOR} RETURNING u.id)
            UPDATE cleanup_cleanupauditentry a SET restored_at = now(), restored_by = 'sql'
            FROM reactivated r WHERE a.report_id = %(report)s AND a.user_id = r.id
        """

    def run() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL search_path TO "{schema}"')
            cursor.execute(statement, {"report": report_id})
            reactivated.append(cursor.rowcount)

    seconds = common.timed(run)
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    return seconds, reactivated[0]


def active_users(schema: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema}".accounts_user WHERE is_active')
        return int(cursor.fetchone()[0])


def main(run_users: int, repeat: int) -> dict[str, Any]:
    common.django_setup()
    from bench import data

    common.public_tenant_ensure()
    common.tenants_drop(COPIES)
    report_id = ran_ensure(run_users)

    contenders: dict[str, Callable[[str, int], tuple[float, int]]] = {
        "undo": product,
        "sql_undo": sql_floor,
        "sql_audited_undo": lambda schema, report_id: sql_floor(schema, report_id, audited=True),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for rep in range(repeat):
        # Alternate the order between repetitions, so neither always runs on a warmer cache.
        order = list(contenders) if rep % 2 == 0 else list(reversed(contenders))
        active: dict[str, int] = {}
        for name in order:
            schema = f"{COPIES}{rep}_{name}"
            copy_make(schema)
            seconds, reactivated = contenders[name](schema, report_id)
            assert reactivated == run_users, (name, reactivated)
            active[name] = active_users(schema)
            times[name].append(seconds)
            common.log(f"rep {rep} {name}: {seconds:.2f} s")
            data.copy_drop(schema)
        assert active["undo"] == active["sql_undo"] == active["sql_audited_undo"], active

    med = {name: common.median(values) for name, values in times.items()}
    figures = {
        "undo_users": run_users,
        "undo_vs_sql": round(med["undo"] / med["sql_undo"], 2),
        "undo_vs_sql_audited": round(med["undo"] / med["sql_audited_undo"], 2),
        "undo_s": round(med["undo"], 2),
        "sql_undo_s": round(med["sql_undo"], 2),
        "sql_audited_undo_s": round(med["sql_audited_undo"], 2),
        "undo_repeats": repeat,
    }
    common.log(f"undo speed: {figures}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-users", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    common.results_merge(main(args.run_users, args.repeat))
