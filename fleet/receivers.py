"""The fleet's answers to what the engine announces (`cleanup.signals`): connected when the
app is ready, so every process that runs tasks has them."""

from typing import Any

from django.dispatch import receiver

from cleanup.models import CleanupReport
from cleanup.signals import reserved_run_created
from core.tenancy import current_schema
from fleet.services.trigger import trigger_run_report_record


@receiver(reserved_run_created)
def trigger_run_created(sender: Any, report: CleanupReport, task_id: str, **_: Any) -> None:
    # Only trigger-all's runs have a trigger to tell; the fan-out's (schedule) have none.
    if report.trigger == CleanupReport.Trigger.PLATFORM:
        trigger_run_report_record(
            schema_name=current_schema(), task_id=task_id, report_id=report.pk
        )
