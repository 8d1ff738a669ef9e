"""Writes of the cleanup engine (HackSoft's "services"), one module per concern:

- `policy`: the tenant's policy;
- `runs`: starting a run (report + task) and running it in batches;
- `removal`: the set-based audit and removal each batch does;
- `exemptions`: users no run may touch;
- `platform`: the operators' trigger of many tenants;
- `notices`: sending users' notices (the outbox), `admin_mail`: emails to tenant admins,
  `keep`: the notices' keep links, `mail`: what every cleanup email knows of its tenant;
- `oversight`: what tenant admins do to runs — approve, reject, reactivate, undo;
- `registry`: the public mirror of each tenant's active run, and the finished runs' history;
- `scheduling`: beat's fan-out, trigger-all and the reaper.

Callers import from here.
"""

from cleanup.services.admin_mail import (
    AdminMailIncomplete,
    admin_event,
    admins_notify,
    admins_notify_enqueue,
)
from cleanup.services.exemptions import (
    ExemptionNotFound,
    exemption_create,
    exemption_delete,
    exemption_input_check,
    exemption_input_validate,
)
from cleanup.services.keep import (
    KeepLinkInvalid,
    KeepLinkTenantSuspended,
    keep_link_follow,
    keep_token_read,
)
from cleanup.services.mail import mail_retry_delay
from cleanup.services.notices import (
    notices_pending_enqueue,
    notices_send,
    notices_send_enqueue,
)
from cleanup.services.oversight import (
    AccountAlreadyActive,
    AccountDeleted,
    AuditEntryNotFound,
    ReportConflict,
    UndoResult,
    report_approve,
    report_reject,
    report_undo,
    report_undo_check,
    user_reactivate,
)
from cleanup.services.platform import cleanup_platform_trigger
from cleanup.services.policy import (
    policy_get,
    policy_input_validate,
    policy_rules_check,
    policy_save,
    policy_try,
    policy_update,
)
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
    "AccountAlreadyActive",
    "AccountDeleted",
    "AdminMailIncomplete",
    "AuditEntryNotFound",
    "BrokerUnavailable",
    "CleanupAlreadyActive",
    "ExemptionNotFound",
    "KeepLinkInvalid",
    "KeepLinkTenantSuspended",
    "ReportConflict",
    "ReportNotFound",
    "RunCancelled",
    "RunWithdrawn",
    "SkippedRun",
    "TenantNotFound",
    "TenantSuspended",
    "UndoResult",
    "admin_event",
    "admins_notify",
    "admins_notify_enqueue",
    "cleanup_due_claim",
    "cleanup_enqueue",
    "cleanup_fan_out",
    "cleanup_platform_trigger",
    "cleanup_reap_stale",
    "cleanup_report_create",
    "cleanup_run",
    "cleanup_runs_dispatch",
    "cleanup_start",
    "cleanup_trigger_many",
    "exemption_create",
    "exemption_delete",
    "exemption_input_check",
    "exemption_input_validate",
    "keep_link_follow",
    "keep_token_read",
    "mail_retry_delay",
    "notices_count",
    "notices_pending_enqueue",
    "notices_send",
    "notices_send_enqueue",
    "policy_get",
    "policy_input_validate",
    "policy_rules_check",
    "policy_save",
    "policy_try",
    "policy_update",
    "registry_reservation_release",
    "report_approve",
    "report_reject",
    "report_undo",
    "report_undo_check",
    "user_reactivate",
]
