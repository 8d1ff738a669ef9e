"""Removals and reactivations the tenant's identity provider asks for (SCIM,
docs/architecture.md#provisioning-scim), through the same audited path as a run.

A deactivation or a deletion is a run of one user: a finished report (trigger `scim`, by the
caller) and the run's own removal statement (`removal.removal_statement`), so the account,
its dependants, its audit row (reason `provisioning`) and its revoked tokens change in one
statement, and the activity event in the same transaction. The audit list, Reactivate, undo
and the restore window treat it as any run's removal of one user.
"""

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Now
from django.utils import timezone

from accounts.activity import REACTIVATED
from activity.models import ActivityEvent
from activity.services import activity_record
from cleanup.models import CleanupAuditEntry, CleanupReport
from cleanup.services.events import users_event_emit, users_event_targets
from cleanup.services.removal import removal_statement
from core.errors import ServiceError
from core.tenancy import current_schema
from webhooks import catalogue

logger = logging.getLogger(__name__)

TRIGGER = CleanupReport.Trigger.SCIM
Reason = CleanupAuditEntry.Reason


class LastActiveAdmin(ServiceError):
    status_code = 409
    detail = (
        "This is the tenant's last active admin: give another user the admin role in the "
        "console first."
    )


def _guard_last_admin(user: Any) -> None:
    """The identity provider may remove an admin (a person who left must lose access), but
    never the last active one: the tenant would have nobody to run it."""
    User = get_user_model()
    if user.role != User.Role.ADMIN or not user.is_active:
        return
    admins = User.objects.select_for_update().filter(role=User.Role.ADMIN, is_active=True)
    if not admins.exclude(pk=user.pk).exists():
        raise LastActiveAdmin()


def webhook_emit_provisioning(*, event: str, report_id: int | None, user: dict[str, Any]) -> None:
    """The webhook event of a provisioning change (`users.deactivated`, `users.deleted`,
    `user.reactivated`), written into the outbox inside the change's transaction
    (docs/architecture.md#provisioning-scim): the same events a run's batch or an undo
    writes, with reason `provisioning`."""
    users_event_emit(
        event, report_id, [{**user, "reason": Reason.PROVISIONING}], users_event_targets(event)
    )


class _NothingRemoved(Exception):
    """Rolls back the report made for a removal that found nobody to remove."""


def user_remove_by_provisioning(
    *, user_id: int, action: str, actor: str
) -> CleanupAuditEntry | None:
    """Deactivate (`action` "deactivate") or delete ("delete") one user of the current
    schema as the identity provider asked, audited as a run of one user; return the audit
    entry, or None when there was nothing to do (already inactive, or gone): then nothing is
    written. Raises LastActiveAdmin (409), nothing written.
    """
    try:
        return _remove(user_id=user_id, action=action, actor=actor)
    except _NothingRemoved:
        return None


def _remove(*, user_id: int, action: str, actor: str) -> CleanupAuditEntry:
    User = get_user_model()
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None or (action == "deactivate" and not user.is_active):
            raise _NothingRemoved()
        _guard_last_admin(user)
        report = CleanupReport.objects.create(
            status=CleanupReport.Status.SUCCEEDED,
            trigger=TRIGGER,
            triggered_by=actor,
            dry_run=False,
            action=action,
            policy={},
            started_at=now,
            finished_at=now,
            progress=1.0,
            users_eligible=1,
            users_matched=1,
        )
        picked = User.objects.filter(pk=user_id).values(
            user=F("pk"),
            reason=Value(Reason.PROVISIONING),
            noticed_at=Value(None, output_field=DateTimeField()),
        )
        if action == "deactivate":
            picked = picked.filter(is_active=True)
        sql, params = removal_statement(report.pk, picked, action)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            (removed, _last, _also, _users) = cursor.fetchone()
        if not removed:
            raise _NothingRemoved()
        counter = "users_deleted" if action == "delete" else "users_deactivated"
        CleanupReport.objects.filter(pk=report.pk).update(
            **{counter: removed, "users_removed": removed}
        )
        entry = CleanupAuditEntry.objects.get(report=report)
        verb = (
            ActivityEvent.Verb.USER_DELETED
            if action == "delete"
            else ActivityEvent.Verb.USER_DEACTIVATED
        )
        activity_record(
            actor=actor,
            verb=verb,
            target=entry.username,
            data={"report_id": report.pk, "user_id": user_id, "via": "scim"},
        )
        webhook_emit_provisioning(
            event=catalogue.USERS_DELETED if action == "delete" else catalogue.USERS_DEACTIVATED,
            report_id=report.pk,
            user={"id": user_id, "username": entry.username, "email": entry.email},
        )
    logger.info(
        "scim.user.removed",
        extra={"tenant": current_schema(), "user_id": user_id, "action": action, "actor": actor},
    )
    return entry


def user_reactivate_by_provisioning(*, user_id: int, actor: str) -> None:
    """Reactivate an inactive user as the identity provider asked: active, `last_seen` now
    (source `reactivated`, so the next run does not take them at once), their latest
    unrestored deactivation's audit row marked restored, and `user.reactivated` logged."""
    User = get_user_model()
    with transaction.atomic():
        if not User.objects.filter(pk=user_id, is_active=False).update(
            is_active=True, last_seen=Now(), last_seen_source=REACTIVATED
        ):
            return
        user = User.objects.get(pk=user_id)
        entry = (
            CleanupAuditEntry.objects.select_for_update()
            .filter(
                user_id=user_id,
                action=CleanupAuditEntry.Action.DEACTIVATED,
                restored_at__isnull=True,
            )
            .order_by("-id")
            .first()
        )
        if entry is not None:
            entry.restored_at, entry.restored_by = user.last_seen, actor
            entry.save(update_fields=["restored_at", "restored_by"])
        activity_record(
            actor=actor,
            verb=ActivityEvent.Verb.USER_REACTIVATED,
            target=user.username,
            data={
                "report_id": entry.report_id if entry else None,
                "user_id": user_id,
                "via": "scim",
            },
        )
        webhook_emit_provisioning(
            event=catalogue.USER_REACTIVATED,
            report_id=entry.report_id if entry else None,
            user={"id": user_id, "username": user.username, "email": user.email},
        )
    logger.info(
        "scim.user.reactivated",
        extra={"tenant": current_schema(), "user_id": user_id, "actor": actor},
    )
