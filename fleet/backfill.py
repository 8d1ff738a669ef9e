"""Fill the public registry of active runs, and the recent history, from the tenant schemas.

A one-off that visits every schema — by design the only code that does: the migration that
adds the registry runs it once, so runs active at deploy time are in the registry from the
start, and `manage.py registry_rebuild` runs it again after a rolling deploy (while old
processes, which do not write the registry, may have started or ended runs). Between
those, the registry is written in the same transactions as the reports, and the reaper
corrects the rare row that disagrees with its report.

Raw SQL over columns that exist since the first migration of each table, because the
migration runs it against historical models (and tenant schemas that may not be migrated
yet, at the time the public schema is).
"""

from typing import Any

from psycopg2 import sql

ACTIVE = ("queued", "running", "awaiting_approval")
FINISHED = ("succeeded", "failed", "aborted")
HISTORY_DAYS = 30

_ACTIVE_REPORT = sql.SQL(
    """
    SELECT id, status, created_at, started_at, heartbeat_at
    FROM {schema}.cleanup_cleanupreport
    WHERE status = ANY(%(active)s)
    ORDER BY id DESC
    LIMIT 1
    """
)
# Runs that ended in the last HISTORY_DAYS, for the summary's windows (24 h, 30 days).
_OUTCOMES = sql.SQL(
    """
    INSERT INTO tenants_runoutcome
        (tenant_id, report_id, status, trigger, dry_run, started_at, finished_at, users_removed)
    SELECT %(tenant)s, id, status, trigger, dry_run, started_at, finished_at,
           -- A dry or aborted run's counters are what it would have removed.
           CASE WHEN dry_run OR status = 'aborted' THEN 0 ELSE users_removed END
    FROM {schema}.cleanup_cleanupreport
    WHERE status = ANY(%(finished)s)
      AND finished_at >= now() - make_interval(days => %(days)s)
    ON CONFLICT (tenant_id, report_id) DO NOTHING
    """
)
_SET_ACTIVE = """
    UPDATE tenants_cleanuppolicy
    SET active_report_id = %(id)s, active_report_status = %(status)s,
        active_report_since = %(since)s, active_report_heartbeat_at = %(heartbeat)s,
        active_task_id = '', active_task_kwargs = NULL
    WHERE tenant_id = %(tenant)s
"""
# No active report: clear a report's entry, but keep a reservation (a published task that
# will create its report) — the command may run while trigger-all or the fan-out work.
_CLEAR = """
    UPDATE tenants_cleanuppolicy
    SET active_report_id = NULL, active_report_status = '', active_report_since = NULL,
        active_report_heartbeat_at = NULL, active_task_id = '', active_task_kwargs = NULL
    WHERE tenant_id = %(tenant)s AND active_report_id IS NOT NULL
"""


def registry_rebuild(connection: Any, public_schema: str = "public") -> dict[str, int]:
    """Mirror every tenant's active report into its policy row and record the runs that
    ended in the last 30 days; return counts. Idempotent. A schema without a reports table
    (not migrated yet) is skipped."""
    counts = {"tenants": 0, "active": 0}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id, t.schema_name FROM tenants_tenant t "
            "JOIN tenants_cleanuppolicy p ON p.tenant_id = t.id "
            "WHERE t.schema_name <> %s ORDER BY t.schema_name",
            [public_schema],
        )
        tenants = cursor.fetchall()
        for tenant_id, schema_name in tenants:
            cursor.execute("SELECT to_regclass(%s)", [f'"{schema_name}".cleanup_cleanupreport'])
            if cursor.fetchone()[0] is None:
                continue
            schema = sql.Identifier(schema_name)
            counts["tenants"] += 1
            cursor.execute(_ACTIVE_REPORT.format(schema=schema), {"active": list(ACTIVE)})
            row = cursor.fetchone()
            if row is None:
                cursor.execute(_CLEAR, {"tenant": tenant_id})
            else:
                report_id, status, created_at, started_at, heartbeat_at = row
                # When it entered its status is not recorded: its last sign of life is.
                since = heartbeat_at or started_at or created_at
                cursor.execute(
                    _SET_ACTIVE,
                    {
                        "id": report_id,
                        "status": status,
                        "since": since,
                        "heartbeat": since if status == "running" else created_at,
                        "tenant": tenant_id,
                    },
                )
                counts["active"] += 1
            cursor.execute(
                _OUTCOMES.format(schema=schema),
                {"tenant": tenant_id, "finished": list(FINISHED), "days": HISTORY_DAYS},
            )
    return counts
