"""Exemptions: single users no run may touch, with a reason, until an optional expiry (§10).

Each write and its activity event share one transaction: an exemption that was not made
leaves no event, and an event always describes an exemption that was.

Decided here: a user whose exemption has *expired* may be exempted again — the expired row
is replaced (its reason and expiry kept in the new event's data), since it protects nobody
and the one-row-per-user rule would otherwise force a delete first. An exemption still in
force is a duplicate (400).

A run re-checks eligibility per batch, so an exemption made while a run is under way
protects its user from every batch that starts after it commits; a batch already reading
that user when it is made may still remove them.
"""

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from activity.models import ActivityEvent
from activity.services import activity_record
from cleanup.models import CleanupExemption
from cleanup.selectors import exemption_in_force
from core.errors import ServiceError
from webhooks import catalogue
from webhooks.services.events import webhook_event_emit

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = CleanupExemption._meta.get_field("reason").max_length


class ExemptionNotFound(ServiceError):
    status_code = 404
    detail = "No such exemption."


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


UNKNOWN_USER = "No user with this username in this tenant."


def exemption_input_validate(
    *, reason: str | None, expires_at: datetime | None, now: datetime
) -> str:
    """The exemption's own rules, shared by the API and Django admin: a reason with more than
    whitespace (returned stripped), within the column's length, and an expiry in the future.
    A reason of None is not checked (its shape was wrong, and the caller says so).

    Raises ValidationError with per-field messages.
    """
    errors: dict[str, list[str]] = {}
    reason = None if reason is None else reason.strip()
    if reason == "":
        errors["reason"] = ["Say why this user must not be removed."]
    elif reason is not None and REASON_MAX_LENGTH is not None and len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = [f"At most {REASON_MAX_LENGTH} characters."]
    if expires_at is not None and expires_at <= now:
        errors["expires_at"] = ["Must be in the future (leave it out for no expiry)."]
    if errors:
        raise ValidationError(errors)
    return reason or ""


def exemption_input_check(values: Mapping[str, Any]) -> None:
    """What `exemption_create` refuses, on whichever of `username`, `reason` and `expires_at`
    are in `values`: an unknown user, an empty reason, a past expiry. Reads only; the
    API runs it on the fields whose shape was right when another's was not, so one 400
    names every field's problem (`core.api.validate_with`).

    Raises ValidationError with per-field messages."""
    errors: dict[str, list[str]] = {}
    try:
        exemption_input_validate(
            reason=values.get("reason"), expires_at=values.get("expires_at"), now=timezone.now()
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    username = values.get("username")
    if username is not None and not get_user_model().objects.filter(username=username).exists():
        errors["username"] = [UNKNOWN_USER]
    if errors:
        raise ValidationError(errors)


def _already_exempt(username: str, exemption: CleanupExemption) -> ValidationError:
    until = f" until {exemption.expires_at:%Y-%m-%d %H:%M} UTC" if exemption.expires_at else ""
    return ValidationError(
        {"username": [f"'{username}' is already exempt{until}; remove that exemption first."]}
    )


def exemption_create(
    *, username: str, reason: str, expires_at: datetime | None, actor: str
) -> CleanupExemption:
    """Exempt the user `username` of the current (tenant) schema; log `exemption.created`.

    The user's row is locked for the transaction: a concurrent delete of the user, or a
    concurrent exemption of the same user, waits and then finds the outcome (no such user;
    already exempt) instead of failing at commit. Raises ValidationError (400) for an unknown
    user, an empty reason, a past expiry, or an exemption still in force; nothing is written.
    """
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    try:
        reason = exemption_input_validate(reason=reason, expires_at=expires_at, now=now)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    with transaction.atomic():
        user = (
            get_user_model()
            .objects.select_for_update()
            .filter(username=username)
            .only("pk", "username")
            .first()
        )
        if user is None:
            errors["username"] = [UNKNOWN_USER]
        if errors or user is None:  # every field's problem at once, for the form to show
            raise ValidationError(errors)
        existing = CleanupExemption.objects.filter(user=user).first()
        replaced: dict[str, str | None] | None = None
        if existing is not None:
            if exemption_in_force(existing, now):
                raise _already_exempt(user.username, existing)
            replaced = {"reason": existing.reason, "expires_at": _iso(existing.expires_at)}
            existing.delete()
        try:
            with transaction.atomic():
                exemption = CleanupExemption.objects.create(
                    user=user, reason=reason, expires_at=expires_at, created_by=actor
                )
        except IntegrityError as exc:  # the user lock makes this unreachable; fail closed
            raise ValidationError({"username": [f"'{user.username}' is already exempt."]}) from exc
        data: dict[str, object] = {
            "exemption_id": exemption.pk,
            "reason": reason,
            "expires_at": _iso(expires_at),
        }
        if replaced:
            data["replaced_expired"] = replaced
        activity_record(
            actor=actor, verb=ActivityEvent.Verb.EXEMPTION_CREATED, target=user.username, data=data
        )
        webhook_event_emit(
            type=catalogue.EXEMPTION_CREATED,
            data={**data, "user_id": user.pk, "username": user.username, "created_by": actor},
        )
    logger.info(
        "cleanup.exemption.created",
        extra={"exemption_id": exemption.pk, "user_id": user.pk, "replaced": bool(replaced)},
    )
    return exemption


def exemption_delete(*, exemption_id: int, actor: str) -> None:
    """Remove an exemption (in force or expired) of the current schema; log
    `exemption.deleted` with what it said. Raises ExemptionNotFound (404) when this tenant
    has no exemption with that id — another tenant's ids do not exist here."""
    with transaction.atomic():
        exemption = (
            CleanupExemption.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=exemption_id)
            .first()
        )
        if exemption is None:
            raise ExemptionNotFound()
        activity_record(
            actor=actor,
            verb=ActivityEvent.Verb.EXEMPTION_DELETED,
            target=exemption.user.username,
            data={
                "exemption_id": exemption.pk,
                "reason": exemption.reason,
                "expires_at": _iso(exemption.expires_at),
            },
        )
        webhook_event_emit(
            type=catalogue.EXEMPTION_DELETED,
            data={
                "exemption_id": exemption.pk,
                "user_id": exemption.user_id,
                "username": exemption.user.username,
                "reason": exemption.reason,
                "expires_at": _iso(exemption.expires_at),
                "deleted_by": actor,
            },
        )
        exemption.delete()
    logger.info("cleanup.exemption.deleted", extra={"exemption_id": exemption_id})
