"""What the engine tells the layers above it without importing them
(docs/architecture.md#layers)."""

from django.dispatch import Signal

# A reserved run's task created its report, in place of its reservation (`start.
# cleanup_report_create`). Sent inside the report's transaction, in the tenant's schema,
# with `report` (the new CleanupReport) and `task_id`: a receiver's writes commit or roll
# back with the report. The fleet records which report a trigger-all's run became.
reserved_run_created = Signal()
