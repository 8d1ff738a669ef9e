"""Writes of the cleanup engine (HackSoft's "services"), one module per concern:

- `policy`: the tenant's policy;
- `runs`: starting a run (report + task) and running it in batches;
- `removal`: the set-based audit and removal each batch does;
- `registry`: the public mirror of each tenant's active run, and the finished runs' history;
- `scheduling`: beat's fan-out, trigger-all and the reaper.

Callers import from here.
"""

from cleanup.services.policy import policy_get, policy_input_validate, policy_update
from cleanup.services.registry import RunWithdrawn, notices_count, registry_reservation_release
from cleanup.services.runs import (
    BrokerUnavailable,
    CleanupAlreadyActive,
    ReportNotFound,
    RunCancelled,
    TenantNotFound,
    TenantSuspended,
    cleanup_enqueue,
    cleanup_report_create,
    cleanup_run,
    cleanup_start,
)
from cleanup.services.scheduling import (
    SkippedRun,
    cleanup_due_claim,
    cleanup_fan_out,
    cleanup_reap_stale,
    cleanup_runs_dispatch,
    cleanup_trigger_many,
)

__all__ = [
    "BrokerUnavailable",
    "CleanupAlreadyActive",
    "ReportNotFound",
    "RunCancelled",
    "RunWithdrawn",
    "SkippedRun",
    "TenantNotFound",
    "TenantSuspended",
    "cleanup_due_claim",
    "cleanup_enqueue",
    "cleanup_fan_out",
    "cleanup_reap_stale",
    "cleanup_report_create",
    "cleanup_run",
    "cleanup_runs_dispatch",
    "cleanup_start",
    "cleanup_trigger_many",
    "notices_count",
    "policy_get",
    "policy_input_validate",
    "policy_update",
    "registry_reservation_release",
]
