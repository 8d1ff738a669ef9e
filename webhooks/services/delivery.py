"""Delivering one event to one endpoint (docs/webhooks.md#delivery): claim, sign, send,
record — at least once.

An attempt claims its delivery for WEBHOOK_LEASE_S (its `next_attempt_at` moved past the
lease) in a short transaction, sends outside any transaction, and records the outcome in
another. A worker that dies between the two leaves the delivery pending with an expired
lease, and the sweeper publishes it again: the receiver may get the event twice (the
`webhook-id` is the same), never zero times.

Failed attempts are retried on RETRY_SCHEDULE (about a day). An endpoint whose attempts have
all failed for WEBHOOK_DISABLE_AFTER_H is disabled, its pending deliveries failed, the
activity log told and the tenant's admins emailed.
"""

import json
import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from activity.models import ActivityEvent
from activity.services import activity_record
from core.dispatch import task_publish
from core.tenancy import current_schema
from webhooks import transport
from webhooks.models import Delivery, DeliveryAttempt, Endpoint, Event
from webhooks.services.events import deliveries_publish
from webhooks.services.registry import registry_due

logger = logging.getLogger(__name__)

Status = Delivery.Status

# The waits before the 2nd, 3rd, ... 8th attempt: about 27 hours from the first.
RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
# Retries this soon are published with a countdown; later ones are left to the sweeper
# (a Celery ETA longer than the broker's visibility timeout would be delivered twice).
COUNTDOWN_MAX = timedelta(minutes=1)


def body_bytes(event: Event) -> bytes:
    """What every delivery of `event` sends: `{type, timestamp, data}`, compact JSON."""
    document = {"type": event.type, "timestamp": event.created_at.isoformat(), "data": event.data}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def signed_headers(endpoint: Endpoint, event: Event, body: bytes, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers. During a rotation's overlap the signature header
    holds two signatures, space-separated (`v1,<new> v1,<previous>`): a receiver that
    verifies with either secret accepts the message."""
    secrets = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_expires_at
        and (endpoint.previous_secret_expires_at > now)
    ):
        secrets.append(endpoint.previous_secret)
    signatures = [Webhook(secret).sign(event.webhook_id, now, body) for secret in secrets]
    return {
        "webhook-id": event.webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def delivery_attempt(*, delivery_id: int) -> str | None:
    """Make the next attempt at a delivery of the current (tenant) schema, if it is pending
    and due and no other worker holds it; return its status after, or None when there was
    nothing to do. Safe to call twice: the claim decides."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("endpoint", "event")
            .filter(pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        endpoint, event = delivery.endpoint, delivery.event
        if not endpoint.enabled:
            delivery.status, delivery.next_attempt_at = Status.FAILED, None
            delivery.last_error = "The endpoint is disabled."
            delivery.save(update_fields=["status", "next_attempt_at", "last_error"])
            return delivery.status
        delivery.next_attempt_at = now + timedelta(seconds=settings.WEBHOOK_LEASE_S)
        delivery.save(update_fields=["next_attempt_at"])
    body = body_bytes(event)
    outcome = transport.post(endpoint.url, signed_headers(endpoint, event, body, now), body)
    status = _record(delivery.pk, endpoint.pk, outcome, timezone.now())
    if status is None:
        return None  # the endpoint was deleted meanwhile, its deliveries with it
    logger.info(
        "webhooks.delivery.attempt",
        extra={
            "tenant": current_schema(),
            "delivery_id": delivery.pk,
            "endpoint_id": endpoint.pk,
            "event_type": event.type,
            "status_code": outcome.status_code,
            "duration_ms": outcome.duration_ms,
            "error": outcome.error,
            "status": status,
        },
    )
    return status


def _record(
    delivery_id: int, endpoint_id: int, outcome: transport.Outcome, now: datetime
) -> str | None:
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:
            return None
        attempt = delivery.attempts + 1
        DeliveryAttempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            error=outcome.error,
            response_excerpt=outcome.excerpt,
        )
        delivery.attempts = attempt
        delivery.last_status_code = outcome.status_code
        delivery.last_duration_ms = outcome.duration_ms
        delivery.last_error = outcome.error
        delivery.response_excerpt = outcome.excerpt
        endpoints = Endpoint.objects.filter(pk=endpoint_id)
        if outcome.ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                Status.DELIVERED,
                now,
                None,
            )
            endpoints.filter(failing_since__isnull=False).update(failing_since=None)
        else:
            _failed(delivery, attempt, now)
            endpoints.filter(failing_since__isnull=True).update(failing_since=now)
            if endpoint_disable_if_failing(endpoint_id, now):
                delivery.status, delivery.next_attempt_at = Status.FAILED, None
        delivery.save()
    return delivery.status


def _failed(delivery: Delivery, attempt: int, now: datetime) -> None:
    """Schedule the next attempt after the `attempt`-th failed, or give up."""
    if attempt > len(RETRY_SCHEDULE) or delivery.status != Status.PENDING:
        delivery.status, delivery.next_attempt_at = Status.FAILED, None
        return
    wait = RETRY_SCHEDULE[attempt - 1]
    delivery.next_attempt_at = now + wait
    schema_name = current_schema()
    if wait <= COUNTDOWN_MAX:
        delivery.published_at = now
        transaction.on_commit(
            partial(deliveries_publish, schema_name, [delivery.pk], wait.total_seconds()),
            robust=True,
        )
    else:
        delivery.published_at = None
        registry_due(schema_name, delivery.next_attempt_at)


def endpoint_disable_if_failing(endpoint_id: int, now: datetime) -> bool:
    """Disable the endpoint when every attempt has failed for WEBHOOK_DISABLE_AFTER_H; say
    whether it was. In the caller's transaction: its pending deliveries fail with it, the
    activity log says so, and once committed the tenant's admins are emailed."""
    since = now - timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_H)
    reason = (
        f"Disabled after failing for {settings.WEBHOOK_DISABLE_AFTER_H} hours straight "
        f"({now:%Y-%m-%d %H:%M} UTC)."
    )
    disabled = Endpoint.objects.filter(pk=endpoint_id, enabled=True, failing_since__lte=since)
    if not disabled.update(enabled=False, disabled_reason=reason):
        return False
    endpoint = Endpoint.objects.get(pk=endpoint_id)
    Delivery.objects.filter(endpoint_id=endpoint_id, status=Status.PENDING).update(
        status=Status.FAILED, next_attempt_at=None, last_error="The endpoint was disabled."
    )
    activity_record(
        actor=ActivityEvent.SYSTEM_ACTOR,
        verb=ActivityEvent.Verb.WEBHOOK_DISABLED,
        target=endpoint.url[:200],
        data={
            "endpoint_id": endpoint_id,
            "failing_since": endpoint.failing_since.isoformat() if endpoint.failing_since else None,
            "reason": reason,
        },
    )
    schema_name = current_schema()
    transaction.on_commit(partial(_mail_publish, schema_name, endpoint_id), robust=True)
    logger.warning(
        "webhooks.endpoint.disabled", extra={"tenant": schema_name, "endpoint_id": endpoint_id}
    )
    return True


def _mail_publish(schema_name: str, endpoint_id: int) -> None:
    try:
        task_publish("webhooks.notify_disabled", args=[schema_name, endpoint_id])
    except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
        logger.warning(
            "webhooks.disabled_mail.enqueue_failed",
            extra={"tenant": schema_name, "endpoint_id": endpoint_id, "error": repr(exc)},
        )
