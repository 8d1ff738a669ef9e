"""Emails to a tenant's admins about its runs (`notify_admins`, docs/architecture.md#oversight): a
run failed, a
run removed anyone, a run waits for approval; and one digest per run of the users whose
address refused their notice (docs/architecture.md#notices-and-the-keep-link).

Decided where every report status change happens (`transitions.report_transition`), sent after its
commit by the task `cleanup.notify_admins` on the `notices` queue, through the same mail
path as users' notices. Tenant admins are the tenant's active users holding the tenant-admin
role (as the API's permission defines them; not `is_staff`, Django admin's flag, nor
auditors) with an email address.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django_tenants.utils import schema_context

from accounts.models import User
from cleanup.models import CleanupReport
from cleanup.services.mail import TenantMail, date_text, tenant_mail
from core.dispatch import task_publish
from core.mail import (
    MailRejected,
    MailUnavailable,
    connection_close,
    connection_open,
    deliver,
    message_render,
)
from policy.rules import PolicySpec

logger = logging.getLogger(__name__)

Status = CleanupReport.Status

EVENT_FAILED = "failed"
EVENT_REMOVED = "removed"
EVENT_AWAITING_APPROVAL = "awaiting_approval"
EVENT_UNDELIVERABLE = "undeliverable"
EVENTS = (EVENT_FAILED, EVENT_REMOVED, EVENT_AWAITING_APPROVAL, EVENT_UNDELIVERABLE)


class AdminMailIncomplete(MailUnavailable):
    """The server became unavailable before every admin had the email: `remaining` did not."""

    def __init__(self, message: str, remaining: list[str]):
        super().__init__(message)
        self.remaining = remaining


def admin_event(report: CleanupReport) -> str | None:
    """What the tenant's admins are emailed about `report` in its current status, if
    anything: the one home of that rule (the undeliverable digest aside: `admin_events`).

    A failed run, a run waiting for approval, and a real (not dry) run that succeeded and
    removed anyone — each only when the run's policy has `notify_admins`.
    """
    if not PolicySpec.from_snapshot(report.policy or {}).notify_admins:
        return None
    if report.status == Status.FAILED:
        return EVENT_FAILED
    if report.status == Status.AWAITING_APPROVAL:
        return EVENT_AWAITING_APPROVAL
    if report.status == Status.SUCCEEDED and not report.dry_run and report.users_removed > 0:
        return EVENT_REMOVED
    return None


def admin_events(report: CleanupReport) -> list[str]:
    """Every email the admins get about `report` in its current status: `admin_event`'s, and
    the digest of undeliverable notices — one per real run that succeeded and met users whose
    address refused their notice (held, or removed with `on_undeliverable: proceed`), when
    the policy has `notify_admins`. A dry run sends nothing."""
    events = [event] if (event := admin_event(report)) else []
    if (
        PolicySpec.from_snapshot(report.policy or {}).notify_admins
        and report.status == Status.SUCCEEDED
        and not report.dry_run
        and report.users_undeliverable > 0
    ):
        events.append(EVENT_UNDELIVERABLE)
    return events


def admins_notify_enqueue(schema_name: str, report_id: int, event: str) -> bool:
    """Publish the admin email (task `cleanup.notify_admins`, queue `notices`); say whether
    the broker took it. Never raises: the run's outcome is committed already."""
    try:
        task_publish("cleanup.notify_admins", args=[schema_name, report_id, event])
    except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
        logger.warning(
            "cleanup.admin_mail.enqueue_failed",
            extra={"tenant": schema_name, "report_id": report_id, "error": repr(exc)},
        )
        return False
    return True


@dataclass(frozen=True)
class _Mail:
    template: str
    subject: str


def _mail(event: str, tenant: TenantMail, report: CleanupReport) -> _Mail:
    run = f"Cleanup run #{report.pk}"
    if event == EVENT_FAILED:
        return _Mail("cleanup/email/admin_failed", f"{tenant.name}: {run} failed")
    if event == EVENT_AWAITING_APPROVAL:
        return _Mail(
            "cleanup/email/admin_awaiting_approval", f"{tenant.name}: {run} needs your approval"
        )
    if event == EVENT_UNDELIVERABLE:
        count = report.users_undeliverable
        return _Mail(
            "cleanup/email/admin_undeliverable",
            f"{tenant.name}: {count} user{'' if count == 1 else 's'} could not be warned ({run})",
        )
    removed = report.users_removed
    return _Mail(
        "cleanup/email/admin_removed",
        f"{tenant.name}: {run} removed {removed} user{'' if removed == 1 else 's'}",
    )


def admins_notify(
    *, schema_name: str, report_id: int, event: str, recipients: list[str] | None = None
) -> int:
    """Email the tenant's admins (or only `recipients`, when retrying) about `event` of the
    report; return how many messages the server accepted.

    Returns 0 when the tenant, the report or any admin with an email address is gone, or the
    event is unknown. A message the server refuses for good (5xx) is logged and skipped.
    Raises AdminMailIncomplete, naming the admins still owed the email, when the server is
    or becomes unavailable, or asked to try some of them again later (4xx). Delivery is at
    least once: a crash after the server accepted a message and before the task was
    acknowledged sends it again.
    """
    tenant = tenant_mail(schema_name)
    if tenant is None or event not in EVENTS:
        return 0
    with schema_context(schema_name):
        report = CleanupReport.objects.filter(pk=report_id).first()
        if report is None:
            return 0
        admins = (
            User.objects.filter(role=User.Role.ADMIN, is_active=True, kind=User.Kind.PERSON)
            .exclude(email="")
            .order_by("pk")
            .values_list("email", flat=True)
        )
        addresses = list(dict.fromkeys(admins))
    if recipients is not None:
        addresses = [address for address in addresses if address in set(recipients)]
    if not addresses:
        logger.info(
            "cleanup.admin_mail.nobody",
            extra={"tenant": schema_name, "report_id": report_id, "event": event},
        )
        return 0
    mail = _mail(event, tenant, report)
    spec = PolicySpec.from_snapshot(report.policy or {})
    context = {
        "tenant_name": tenant.name,
        "report": report,
        "report_url": tenant.link(f"reports/{report.pk}"),
        "finished": date_text(report.finished_at, spec.timezone) if report.finished_at else "",
        "share": (
            f"{report.users_matched / report.users_eligible:.0%}"
            if report.users_eligible and report.users_matched is not None
            else ""
        ),
        "max_share": f"{spec.max_removal_ratio:.0%}",
        "approval_ttl_h": getattr(settings, "CLEANUP_APPROVAL_TTL_H", 72),
        "held": spec.on_undeliverable == "hold",
        "undeliverable_more": report.users_undeliverable - len(report.undeliverable or []),
    }
    try:
        connection = connection_open()
    except MailUnavailable as exc:
        raise AdminMailIncomplete(str(exc), addresses) from exc
    sent = 0
    later: list[str] = []  # refused for now (a 4xx reply): part of the retry
    try:
        for index, address in enumerate(addresses):
            message = message_render(
                template=mail.template,
                context=context,
                subject=mail.subject,
                to=address,
                from_email=tenant.from_email,
                headers={"Auto-Submitted": "auto-generated"},
            )
            try:
                deliver(connection, message)
            except MailRejected as exc:
                logger.warning(
                    "cleanup.admin_mail.rejected",
                    extra={
                        "tenant": schema_name,
                        "report_id": report_id,
                        "error": str(exc),
                        "temporary": exc.temporary,
                    },
                )
                if exc.temporary:
                    later.append(address)
                continue
            except MailUnavailable as exc:
                raise AdminMailIncomplete(str(exc), later + addresses[index:]) from exc
            sent += 1
    finally:
        connection_close(connection)
    if later:
        raise AdminMailIncomplete("The mail server asked to try again later.", later)
    logger.info(
        "cleanup.admin_mail.sent",
        extra={"tenant": schema_name, "report_id": report_id, "event": event, "sent": sent},
    )
    return sent
