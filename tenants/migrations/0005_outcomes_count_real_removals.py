from django.db import migrations

# Runs that ended `aborted` had their would-be counters recorded as removals: a run
# rejected or expired in `awaiting_approval` (and an approved run whose tenant was suspended
# before it started) keeps the counters of what it would have done. No run ever removed
# anyone and then ended `aborted`: every way there leaves before the first batch (over the
# cap, from `awaiting_approval`, from `queued`), and a run lost or broken mid-way ends
# `failed`, always has. So the status alone tells the truth, and no tenant schema (no
# report, no audit list) needs a visit. Dry runs were recorded as 0 already; they are
# included so the rule reads whole.
OUTCOMES_SQL = """
UPDATE tenants_runoutcome SET users_removed = 0
WHERE users_removed <> 0 AND (dry_run OR status = 'aborted')
"""
LAST_REPORTS_SQL = """
UPDATE tenants_cleanuppolicy p SET last_report_users_removed = 0
WHERE p.last_report_users_removed <> 0
  AND (
    p.last_report_status = 'aborted'
    OR EXISTS (
      SELECT 1 FROM tenants_runoutcome o
      WHERE o.tenant_id = p.tenant_id AND o.report_id = p.last_report_id AND o.dry_run
    )
  )
"""


def removals_count_real(apps, schema_editor):
    """Store only real removals in the runs' history and in each tenant's last-run
    summary. Idempotent; the reports in the tenants' schemas keep their counters, which
    say what those runs would have done."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(OUTCOMES_SQL)
        cursor.execute(LAST_REPORTS_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0004_fleet_registry"),
    ]

    operations = [
        migrations.RunPython(removals_count_real, migrations.RunPython.noop, elidable=True),
    ]
