"""Writes of the cleanup engine (HackSoft's "services"), one module per concern:

- `policy`: the tenant's policy;
- `runs`: starting a run (report + task) and running it in batches;
- `removal`: the set-based audit and removal each batch does;
- `scheduling`: beat's fan-out and the reaper.

Callers import from here.
"""

from cleanup.services.policy import (
    policy_get,
    policy_input_validate,
    policy_save,
    policy_try,
    policy_update,
)
from cleanup.services.runs import (
    BrokerUnavailable,
    CleanupAlreadyActive,
    QueuedRun,
    ReportNotFound,
    RunCancelled,
    SkippedRun,
    TenantNotFound,
    TenantSuspended,
    cleanup_enqueue,
    cleanup_enqueue_many,
    cleanup_report_create,
    cleanup_run,
    cleanup_start,
)
from cleanup.services.scheduling import cleanup_due_claim, cleanup_fan_out, cleanup_reap_stale

__all__ = [
    "BrokerUnavailable",
    "CleanupAlreadyActive",
    "QueuedRun",
    "ReportNotFound",
    "RunCancelled",
    "SkippedRun",
    "TenantNotFound",
    "TenantSuspended",
    "cleanup_due_claim",
    "cleanup_enqueue",
    "cleanup_enqueue_many",
    "cleanup_fan_out",
    "cleanup_reap_stale",
    "cleanup_report_create",
    "cleanup_run",
    "cleanup_start",
    "policy_get",
    "policy_input_validate",
    "policy_save",
    "policy_try",
    "policy_update",
]
