"""What tenant admins do to their webhook endpoints (docs/webhooks.md#the-api): register,
change, delete, rotate the secret, send a test event, replay a delivery.

Each is one transaction that also writes its activity event. A secret is returned only by
the calls that make one (create, rotate) and never logged.
"""

import base64
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from activity.models import ActivityEvent
from activity.services import activity_record
from core.errors import ServiceError
from core.tenancy import current_schema
from webhooks.addresses import UrlRefused, url_check
from webhooks.catalogue import ALL, EVENT_TYPES, TEST
from webhooks.models import Delivery, Endpoint
from webhooks.services.events import deliveries_publish, webhook_events_emit
from webhooks.services.registry import registry_due, registry_join

logger = logging.getLogger(__name__)

Verb = ActivityEvent.Verb
# Endpoints per tenant: every event is written once per endpoint that wants it.
MAX_ENDPOINTS = 20
ROTATION_OVERLAP = timedelta(hours=24)


class EndpointNotFound(ServiceError):
    status_code = 404
    detail = "No such webhook endpoint."


class DeliveryNotFound(ServiceError):
    status_code = 404
    detail = "No such delivery of this endpoint."


class EndpointDisabled(ServiceError):
    status_code = 409
    detail = "The endpoint is disabled: enable it first."


def secret_make() -> str:
    """A new signing secret, as Standard Webhooks writes them: `whsec_` + base64 of 32
    random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def events_normalize(events: list[str]) -> list[str]:
    """The subscribed types, each once, in the catalogue's order; ["*"] for all. Raises
    ValidationError for an unknown type, an empty list, or "*" beside types."""
    unknown = sorted({e for e in events if e not in EVENT_TYPES and e != ALL})
    if unknown:
        raise ValidationError({"events": [f"Unknown event type(s): {', '.join(unknown)}."]})
    if not events:
        raise ValidationError({"events": ["Subscribe to at least one event type, or ['*']."]})
    if ALL in events:
        if len(set(events)) > 1:
            raise ValidationError({"events": ["'*' means every type: give it alone."]})
        return [ALL]
    return [e for e in EVENT_TYPES if e in events]


def _url_checked(url: str) -> str:
    try:
        url_check(url)
    except UrlRefused as exc:
        raise ValidationError({"url": [str(exc)]}) from exc
    return url


def _get(endpoint_id: int, *, lock: bool = False) -> Endpoint:
    endpoints = Endpoint.objects.select_for_update() if lock else Endpoint.objects
    endpoint = endpoints.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise EndpointNotFound()
    return endpoint


def endpoint_input_check(data: dict[str, Any]) -> None:
    """The rules of whichever of `url` and `events` `data` holds (read-only: resolves the
    URL's name), every problem at once. Raises ValidationError."""
    errors: dict[str, list[str]] = {}
    checks: dict[str, Callable[[Any], object]] = {"url": _url_checked, "events": events_normalize}
    for name, check in checks.items():
        if name in data:
            try:
                check(data[name])
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)


def endpoint_create(
    *, url: str, events: list[str], description: str = "", actor: str
) -> tuple[Endpoint, str]:
    """Register an endpoint of the current tenant; return it and its secret (shown once).
    Raises ValidationError (400) for a URL a webhook may not go to (docs/webhooks.md), an
    unknown event type, or too many endpoints."""
    endpoint_input_check({"url": url, "events": events})
    secret = secret_make()
    with transaction.atomic():
        if Endpoint.objects.count() >= MAX_ENDPOINTS:
            raise ValidationError({"detail": [f"A tenant has at most {MAX_ENDPOINTS} endpoints."]})
        endpoint = Endpoint.objects.create(
            url=url, events=events_normalize(events), description=description, secret=secret
        )
        registry_join(current_schema())
        activity_record(
            actor=actor,
            verb=Verb.WEBHOOK_CREATED,
            target=url[:200],
            data={"endpoint_id": endpoint.pk, "url": url, "events": endpoint.events},
        )
    logger.info("webhooks.endpoint.created", extra={"endpoint_id": endpoint.pk})
    return endpoint, secret


def endpoint_update(*, endpoint_id: int, data: dict[str, Any], actor: str) -> Endpoint:
    """Change an endpoint's `url`, `events`, `description` or `enabled`. Enabling it again
    clears its failure streak and the reason it was disabled; disabling it by hand says who
    did. Logs `webhook.updated` with each changed field's old and new value."""
    endpoint_input_check(data)
    if "events" in data:
        data = {**data, "events": events_normalize(data["events"])}
    with transaction.atomic():
        endpoint = _get(endpoint_id, lock=True)
        changes = {
            name: {"old": getattr(endpoint, name), "new": value}
            for name, value in data.items()
            if getattr(endpoint, name) != value
        }
        for name, value in data.items():
            setattr(endpoint, name, value)
        if "enabled" in changes:
            endpoint.failing_since = None
            endpoint.disabled_reason = "" if endpoint.enabled else f"Disabled by {actor}."[:200]
        endpoint.save()
        if changes:
            activity_record(
                actor=actor,
                verb=Verb.WEBHOOK_UPDATED,
                target=endpoint.url[:200],
                data={"endpoint_id": endpoint.pk, **changes},
            )
    return endpoint


def endpoint_delete(*, endpoint_id: int, actor: str) -> None:
    """Delete an endpoint with its deliveries; logs `webhook.deleted`."""
    with transaction.atomic():
        endpoint = _get(endpoint_id, lock=True)
        activity_record(
            actor=actor,
            verb=Verb.WEBHOOK_DELETED,
            target=endpoint.url[:200],
            data={"endpoint_id": endpoint.pk, "url": endpoint.url, "events": endpoint.events},
        )
        endpoint.delete()


def endpoint_secret_rotate(*, endpoint_id: int, actor: str) -> tuple[Endpoint, str]:
    """Give the endpoint a new secret; the one it replaces keeps signing beside it for 24
    hours (both signatures are sent), so the receiver can switch without losing a message.
    Returns the endpoint and the new secret (shown once). Logs `webhook.secret_rotated`."""
    now = timezone.now()
    secret = secret_make()
    with transaction.atomic():
        endpoint = _get(endpoint_id, lock=True)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
        endpoint.secret = secret
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
        activity_record(
            actor=actor,
            verb=Verb.WEBHOOK_SECRET_ROTATED,
            target=endpoint.url[:200],
            data={
                "endpoint_id": endpoint.pk,
                "previous_valid_until": endpoint.previous_secret_expires_at.isoformat(),
            },
        )
    return endpoint, secret


def endpoint_test(*, endpoint_id: int, actor: str) -> Delivery:
    """Send a `test` event to this endpoint alone (whatever it subscribed to)."""
    with transaction.atomic():
        endpoint = _get(endpoint_id)
        if not endpoint.enabled:
            raise EndpointDisabled()
        data = {"endpoint_id": endpoint.pk, "requested_by": actor}
        (delivery,) = webhook_events_emit(type=TEST, pages=[data], endpoint_ids=[endpoint.pk])
    return delivery


def delivery_replay(*, endpoint_id: int, delivery_id: int) -> Delivery:
    """Deliver a delivery's event to its endpoint again, as a new delivery (same event id,
    so a receiver that kept the first can tell) with a fresh retry schedule."""
    now = timezone.now()
    with transaction.atomic():
        endpoint = _get(endpoint_id)
        original = Delivery.objects.filter(pk=delivery_id, endpoint=endpoint).first()
        if original is None:
            raise DeliveryNotFound()
        if not endpoint.enabled:
            raise EndpointDisabled()
        delivery = Delivery.objects.create(
            endpoint=endpoint, event_id=original.event_id, next_attempt_at=now, published_at=now
        )
        schema_name = current_schema()
        registry_due(schema_name, now)
        transaction.on_commit(partial(deliveries_publish, schema_name, [delivery.pk]), robust=True)
    return delivery


def endpoint_secret_overlap(endpoint: Endpoint) -> Any:
    """Until when the previous secret still signs (None: no rotation in progress)."""
    until = endpoint.previous_secret_expires_at
    return until if endpoint.previous_secret and until and until > timezone.now() else None
