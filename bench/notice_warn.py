"""The warn stage against the physical limit (docs/benchmarks.md#targets,
docs/architecture.md#notices-and-the-keep-link): `notice_warn_vs_sql`.

On fresh copies of the benchmark tenant (N users, half of them inactive: every one of those
is due soon and has an email address), side by side in each repetition:
- the product's warn stage, as a run drives it (`execution.stage_run`: keyset batches, one
  transaction each, its INSERT … SELECT, the report's counters and heartbeat);
- the floor: one hand-written INSERT … SELECT of the same notice rows, one transaction.
Both write the same number of notices; that is checked.

    python -m bench.notice_warn --users 100000 --repeat 3
"""

import argparse
from datetime import timedelta
from typing import Any

from bench import common

NOTICE_DAYS = 14


def sql_floor(schema: str) -> tuple[float, int]:
    from django.db import connection, transaction
    from django.utils import timezone

    from bench import data

    now = timezone.now()
    params: dict[str, Any] = {
        "exempt": data.EXEMPT_GROUPS,
        "inactive_before": now + timedelta(days=NOTICE_DAYS - data.INACTIVE_DAYS),
        "joined_before": now + timedelta(days=NOTICE_DAYS - data.NEVER_LOGGED_IN_DAYS),
        "due_at": now + timedelta(days=NOTICE_DAYS),
        "now": now,
        "old_enough": now - timedelta(days=7),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{schema}".cleanup_cleanupreport (status, trigger, dry_run, action, '
            "created_at, users_warned, users_deactivated, users_deleted, users_removed, "
            "progress, error, policy, task_id) VALUES ('succeeded', 'manual', false, "
            "'deactivate', now(), 0, 0, 0, 0, 1, '', '{}', '') RETURNING id"
        )
        params["report"] = cursor.fetchone()[0]
    written: list[int] = []

    def run() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL search_path TO "{schema}"')
            cursor.execute(
                """
                INSERT INTO cleanup_cleanupnotice (user_id, email, report_id, due_at,
                    created_at, attempts, last_error)
                SELECT u.id, u.email, %(report)s, %(due_at)s, %(now)s, 0, ''
                FROM accounts_user u
                WHERE NOT u.is_superuser AND NOT u.is_staff AND u.is_active AND u.email <> ''
                  AND u.date_joined <= %(old_enough)s
                  AND NOT EXISTS (
                      SELECT 1 FROM accounts_user_groups ug
                      JOIN auth_group g ON g.id = ug.group_id
                      WHERE ug.user_id = u.id AND g.name = ANY(%(exempt)s))
                  AND (GREATEST(u.last_login, u.last_seen) < %(inactive_before)s
                       OR (u.last_login IS NULL AND u.last_seen IS NULL
                           AND u.date_joined < %(joined_before)s))
                  AND NOT EXISTS (
                      SELECT 1 FROM cleanup_cleanupnotice n
                      WHERE n.user_id = u.id AND n.kind = 'account'
                        AND ((n.status = 'pending'
                              AND n.created_at >= COALESCE(GREATEST(u.last_login, u.last_seen),
                                                           '-infinity'))
                             OR n.sent_at >= COALESCE(GREATEST(u.last_login, u.last_seen),
                                                      '-infinity')
                             OR (n.status = 'undeliverable' AND n.email = u.email
                                 AND n.created_at >= COALESCE(
                                     GREATEST(u.last_login, u.last_seen), '-infinity'))))
                """,
                params,
            )
            written.append(cursor.rowcount)

    seconds = common.timed(run)
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    return seconds, written[0]


def product(schema: str) -> tuple[float, int]:
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from cleanup.models import CleanupNotice, CleanupReport
    from cleanup.services.execution import stage_run
    from cleanup.services.stages import stages_for
    from cleanup.services.start import cleanup_report_create
    from cleanup.services.transitions import report_transition
    from policy.rules import PolicySpec

    with schema_context(schema):
        report = cleanup_report_create(schema_name=schema, trigger="manual", dry_run=False)
        now = timezone.now()
        report_transition(
            report, CleanupReport.Status.RUNNING, from_statuses=("queued",), started_at=now
        )
        spec = PolicySpec.from_snapshot(report.policy)
        (warn,) = [stage for stage in stages_for(spec) if stage.name == "warn"]
        seconds = common.timed(
            lambda: stage_run(report, spec, now, warn, settings.CLEANUP_BATCH_SIZE)
        )
        written = CleanupNotice.objects.filter(report=report).count()
        assert report.users_warned == written, (report.users_warned, written)
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    return seconds, written


def main(users: int, repeat: int) -> dict[str, Any]:
    common.django_setup()
    from bench import data
    from bench.cleanup_speed import SOURCE, source_ensure
    from policy.models import CleanupPolicy

    common.public_tenant_ensure()
    common.tenants_drop(data.PREFIX + "n")
    source_ensure(SOURCE, users)
    times: dict[str, list[float]] = {"warn": [], "sql_warn": []}
    written: dict[str, int] = {}
    for rep in range(repeat):
        for name in ("warn", "sql_warn") if rep % 2 == 0 else ("sql_warn", "warn"):
            schema = f"{data.PREFIX}n{rep}_{name}"
            data.copy_make(SOURCE, schema, "deactivate")
            CleanupPolicy.objects.filter(tenant__schema_name=schema).update(notice_days=NOTICE_DAYS)
            seconds, written[name] = product(schema) if name == "warn" else sql_floor(schema)
            times[name].append(seconds)
            common.log(f"rep {rep} {name}: {seconds:.2f} s, {written[name]} notices")
            data.copy_drop(schema)
        assert written["warn"] == written["sql_warn"] > 0, written
    warn, floor = common.median(times["warn"]), common.median(times["sql_warn"])
    figures = {
        "notice_warn_vs_sql": round(warn / floor, 2),
        "notice_warn_s": round(warn, 2),
        "sql_notice_warn_s": round(floor, 2),
        "notice_warn_notices": written["warn"],
    }
    common.log(f"notice warn: {figures}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    common.results_merge(main(args.users, args.repeat))
