"""Writes of the cleanup engine (HackSoft's "services"), one module per concern:

- `policy`: the tenant's policy;
- `runs`: starting a run (report + task) and running it in batches;
- `removal`: the set-based audit and removal each batch does;
- `scheduling`: beat's fan-out and the reaper;
- `exemptions`: users no run may touch;
- `platform`: the operators' trigger of many tenants;
- `notices`: sending users' notices (the outbox), `admin_mail`: emails to tenant admins,
  `keep`: the notices' keep links, `mail`: what every cleanup email knows of its tenant;
- `oversight`: what tenant admins do to runs — approve, reject, reactivate, undo.

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
    exemption_input_validate,
)
from cleanup.services.keep import KeepLinkInvalid, keep_link_follow, keep_token_read
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
    "AccountAlreadyActive",
    "AccountDeleted",
    "AdminMailIncomplete",
    "AuditEntryNotFound",
    "BrokerUnavailable",
    "CleanupAlreadyActive",
    "ExemptionNotFound",
    "KeepLinkInvalid",
    "QueuedRun",
    "ReportConflict",
    "ReportNotFound",
    "RunCancelled",
    "SkippedRun",
    "TenantNotFound",
    "TenantSuspended",
    "UndoResult",
    "admin_event",
    "admins_notify",
    "admins_notify_enqueue",
    "cleanup_due_claim",
    "cleanup_enqueue",
    "cleanup_enqueue_many",
    "cleanup_fan_out",
    "cleanup_platform_trigger",
    "cleanup_reap_stale",
    "cleanup_report_create",
    "cleanup_run",
    "cleanup_start",
    "exemption_create",
    "exemption_delete",
    "exemption_input_validate",
    "keep_link_follow",
    "keep_token_read",
    "mail_retry_delay",
    "notices_pending_enqueue",
    "notices_send",
    "notices_send_enqueue",
    "policy_get",
    "policy_input_validate",
    "policy_save",
    "policy_try",
    "policy_update",
    "report_approve",
    "report_reject",
    "report_undo",
    "report_undo_check",
    "user_reactivate",
]
