"""Periodic work (beat): the sweeper, which publishes deliveries whose task is due or was
lost, and the purge, which keeps 30 days of events and deliveries
(docs/webhooks.md#delivery).

Both find their tenants in the public registry (`WebhookTenant`): only tenants with
endpoints, and for the sweeper only those whose `due_at` has come — never every schema
(docs/architecture.md#the-fleet).
"""

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from tenants.models import Tenant
from webhooks.models import Delivery, DeliveryAttempt, Event, WebhookTenant
from webhooks.services.events import deliveries_publish

logger = logging.getLogger(__name__)

Status = Delivery.Status
# Deliveries published per tenant per sweep; the rest wait for the next minute.
SWEEP_BATCH = 1000
RETENTION = timedelta(days=30)


def _registry() -> str:
    quote = connection.ops.quote_name
    return f"{quote(get_public_schema_name())}.{quote(WebhookTenant._meta.db_table)}"


def _tenants() -> str:
    quote = connection.ops.quote_name
    return f"{quote(get_public_schema_name())}.{quote(Tenant._meta.db_table)}"


def webhooks_sweep(now: datetime | None = None) -> dict[str, int]:
    """Publish, tenant by tenant, the pending deliveries that are due and have no task in
    flight: retries whose time came, and first attempts whose publish was lost (published
    more than WEBHOOK_LEASE_S ago and still not claimed) or whose worker died mid-attempt
    (lease expired). Returns {schema_name: deliveries published}.

    Each tenant is one transaction holding its registry row (SKIP LOCKED: two sweepers
    split the tenants; an event being written waits for the row and then brings `due_at`
    forward itself, so no wake-up is lost)."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.schema_name FROM {_registry()} w JOIN {_tenants()} t "
            "ON t.schema_name = w.schema_name "
            "WHERE w.due_at <= %s AND t.is_active ORDER BY w.due_at LIMIT 500",
            [now],
        )
        due = [row[0] for row in cursor.fetchall()]
    published: dict[str, int] = {}
    for schema_name in due:
        published[schema_name] = _sweep_tenant(schema_name, now)
    return published


def _sweep_tenant(schema_name: str, now: datetime) -> int:
    lease = timedelta(seconds=settings.WEBHOOK_LEASE_S)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {_registry()} WHERE schema_name = %s AND due_at <= %s "
                "FOR UPDATE SKIP LOCKED",
                [schema_name, now],
            )
            if cursor.fetchone() is None:
                return 0
        with schema_context(schema_name):
            pending = Delivery.objects.filter(status=Status.PENDING)
            ids = list(
                pending.filter(next_attempt_at__lte=now)
                .filter(Q(published_at__isnull=True) | Q(published_at__lte=now - lease))
                .order_by("next_attempt_at")
                .values_list("pk", flat=True)[:SWEEP_BATCH]
            )
            Delivery.objects.filter(pk__in=ids).update(published_at=now)
            table = connection.ops.quote_name(Delivery._meta.db_table)
            with connection.cursor() as cursor:
                # When the earliest pending delivery becomes sweepable: due, and its last
                # publish a lease old.
                cursor.execute(
                    "SELECT min(GREATEST(next_attempt_at, "
                    "published_at + make_interval(secs => %s))) "
                    f"FROM {table} WHERE status = %s",
                    [lease.total_seconds(), Status.PENDING],
                )
                (next_due,) = cursor.fetchone()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_registry()} SET due_at = %s WHERE schema_name = %s",
                [next_due, schema_name],
            )
        if ids:
            transaction.on_commit(partial(deliveries_publish, schema_name, ids), robust=True)
    if ids:
        logger.info("webhooks.sweep.published", extra={"tenant": schema_name, "count": len(ids)})
    return len(ids)


def webhooks_purge(now: datetime | None = None) -> int:
    """Delete every registered tenant's events older than 30 days, with their deliveries
    and attempts (set-based: three statements per tenant); forget registry rows whose
    tenant is gone. Returns how many events were deleted."""
    cutoff = (now or timezone.now()) - RETENTION
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_registry()} w WHERE NOT EXISTS "
            f"(SELECT 1 FROM {_tenants()} t WHERE t.schema_name = w.schema_name)"
        )
        cursor.execute(f"SELECT schema_name FROM {_registry()} ORDER BY schema_name")
        schemas = [row[0] for row in cursor.fetchall()]
    quote = connection.ops.quote_name
    events, deliveries, attempts = (
        quote(model._meta.db_table) for model in (Event, Delivery, DeliveryAttempt)
    )
    old = f"SELECT id FROM {events} WHERE created_at < %s"
    total = 0
    for schema_name in schemas:
        with schema_context(schema_name), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {attempts} WHERE delivery_id IN "
                f"(SELECT id FROM {deliveries} WHERE event_id IN ({old}))",
                [cutoff],
            )
            cursor.execute(f"DELETE FROM {deliveries} WHERE event_id IN ({old})", [cutoff])
            cursor.execute(f"DELETE FROM {events} WHERE created_at < %s", [cutoff])
            total += cursor.rowcount
    logger.info("webhooks.purged", extra={"events": total, "tenants": len(schemas)})
    return total
