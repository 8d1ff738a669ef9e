"""The operators' triggers: what a trigger-all started, so a script can follow it
(docs/architecture.md#the-fleet). Public-schema tables, read in a fixed number of queries."""

from django.db import models

from tenants.models import Tenant


class Trigger(models.Model):
    """One `POST /api/platform/cleanup/trigger/`: who asked and when. Its runs are
    `TriggerRun` rows, written in the request's transaction with the reservations."""

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)

    def __str__(self) -> str:
        return f"trigger {self.pk} by {self.created_by}"


class TriggerRun(models.Model):
    """A run a trigger started in one tenant: the reservation's task id, and the report id
    once the task has created its report (`fleet.receivers`, in the report's transaction).
    Its status is not stored: it is read from the registry and the run outcomes."""

    # Indexes cost most of a 10,000-tenant trigger's time (each run row is written into
    # every one): the trigger's own is the page index below, which leads with it; a run
    # is found again by its tenant's (as a tenant deletion finds its runs) and its task id.
    trigger = models.ForeignKey(
        Trigger, on_delete=models.CASCADE, related_name="runs", db_index=False
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    task_id = models.CharField(max_length=64)
    report_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            # A trigger's page, in the order the runs were written (schema name order).
            models.Index(fields=["trigger", "id"], name="triggerrun_page_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["trigger", "tenant"], name="triggerrun_one_per_tenant")
        ]

    def __str__(self) -> str:
        return f"run of trigger {self.trigger_id} in {self.tenant_id}"
