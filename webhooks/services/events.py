"""Writing events to the outbox (docs/webhooks.md#events), in the caller's transaction.

An event and its deliveries (one per enabled endpoint subscribed to its type) are rows
written in the same transaction as the change they report: a change that rolls back emits
nothing, one that commits cannot lose its event. Once the transaction commits, a task per
delivery is published (queue `webhooks`); a publish that is lost is made good by the
sweeper (`upkeep.webhooks_sweep`), which finds the delivery still pending.

When no enabled endpoint wants the type, emitting costs one query on the tenant's (small)
endpoint table and writes nothing.
"""

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from core.dispatch import producer, task_publish
from core.tenancy import current_schema
from webhooks.catalogue import ALL, USERS_PAGE_SIZE
from webhooks.models import Delivery, Endpoint, Event
from webhooks.services.registry import registry_due

logger = logging.getLogger(__name__)


def webhook_subscribers(type: str) -> list[int]:
    """The ids of the current tenant's enabled endpoints that want events of `type`."""
    rows = Endpoint.objects.filter(enabled=True).order_by().values_list("id", "events")
    return [pk for pk, events in rows if ALL in events or type in events]


def webhook_events_emit(
    *, type: str, pages: Sequence[dict[str, Any]], endpoint_ids: Sequence[int] | None = None
) -> list[Delivery]:
    """Write one event of `type` per item of `pages` (its `data`) and a delivery of each to
    every endpoint subscribed (or to `endpoint_ids`); publish the deliveries once the
    caller's transaction commits. Returns the deliveries (none: nobody wanted them).

    Must run inside the caller's `transaction.atomic()` — the transaction of the change.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("webhook events must be emitted inside the change's transaction")
    targets = list(endpoint_ids) if endpoint_ids is not None else webhook_subscribers(type)
    if not targets or not pages:
        return []
    now = timezone.now()
    events = Event.objects.bulk_create(
        [Event(type=type, data=data, created_at=now) for data in pages]
    )
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(endpoint_id=endpoint, event=event, next_attempt_at=now, published_at=now)
            for event in events
            for endpoint in targets
        ]
    )
    deliveries_written([d.pk for d in deliveries], now)
    return deliveries


def deliveries_written(delivery_ids: Sequence[int], now: datetime | None = None) -> None:
    """Deliveries just written in the caller's transaction: the registry knows the tenant
    needs the sweeper by `now`, and they are published once the transaction commits."""
    if not delivery_ids:
        return
    schema_name = current_schema()
    registry_due(schema_name, now or timezone.now())
    transaction.on_commit(partial(_committed_publish, schema_name, list(delivery_ids)), robust=True)


class UsersEvent(NamedTuple):
    """A users event a statement writes itself (`users_events_sql`): its type and the
    endpoints it goes to."""

    type: str
    endpoint_ids: tuple[int, ...]


class UsersEventSql(NamedTuple):
    """What `users_events_sql` gives a statement: CTEs to put after its last one (with their
    leading comma; empty for no event), their parameters, and an expression of the ids of
    the deliveries written (an array; NULL for no event)."""

    ctes: str
    params: list[Any]
    deliveries: str


def users_events_sql(users: str, event: UsersEvent | None, report_id: int | None) -> UsersEventSql:
    """For the statement that changes users: CTEs that write the users events of the rows of
    `users` (a SELECT of `id`, `username`, `email`, `reason`, without parameters) —
    `webhook_events`, one event of `event.type` per USERS_PAGE_SIZE of them in primary-key
    order (data `{report_id, users}`, as `users_pages` makes), and `webhook_deliveries`, one
    delivery of each to every endpoint of the event. The caller passes the delivery ids the
    statement returns to `deliveries_written`.

    In the change's own statement, the events are in its transaction by construction, and
    the users never travel to Python and back: built, paged and stored by PostgreSQL, they
    cost a run a fraction of what a JSON array returned, parsed, paged, serialized and sent
    back did."""
    if event is None:
        return UsersEventSql("", [], "NULL::bigint[]")
    quote = connection.ops.quote_name
    user = (
        "jsonb_build_object('id', p.id, 'username', p.username, 'email', p.email, "
        "'reason', p.reason)"
    )
    ctes = f""",
        webhook_events AS (
            INSERT INTO {quote(Event._meta.db_table)} (id, type, data, created_at)
            SELECT gen_random_uuid(), %s,
                jsonb_build_object('report_id', %s::bigint, 'users',
                    jsonb_agg({user} ORDER BY p.id)),
                now()
            FROM (
                SELECT u.*, (row_number() OVER (ORDER BY u.id) - 1) / {USERS_PAGE_SIZE} AS page
                FROM ({users}) u
            ) p
            GROUP BY p.page
            RETURNING id
        ),
        webhook_deliveries AS (
            INSERT INTO {quote(Delivery._meta.db_table)} (endpoint_id, event_id, status,
                attempts, next_attempt_at, published_at, last_error, response_excerpt,
                created_at)
            SELECT endpoint, e.id, %s, 0, now(), now(), '', '', now()
            FROM webhook_events e CROSS JOIN unnest(%s::bigint[]) AS endpoint
            RETURNING id
        )"""
    params = [event.type, report_id, Delivery.Status.PENDING.value, list(event.endpoint_ids)]
    return UsersEventSql(ctes, params, "(SELECT array_agg(id) FROM webhook_deliveries)")


def webhook_event_emit(*, type: str, data: dict[str, Any]) -> list[Delivery]:
    """One event of `type` with `data` (see `webhook_events_emit`).

    `token.revoked` is emitted through here too, with data `{token_id, prefix, owner,
    reason}`, by whatever revokes a token."""
    return webhook_events_emit(type=type, pages=[data])


def users_pages(users: Sequence[dict[str, Any]], **data: Any) -> list[dict[str, Any]]:
    """`users` ({id, username, email, reason}) cut into pages of at most USERS_PAGE_SIZE,
    each a users event's data with `data` beside `users`."""
    return [
        {**data, "users": list(users[start : start + USERS_PAGE_SIZE])}
        for start in range(0, len(users), USERS_PAGE_SIZE)
    ]


# Within `deliveries_publish_gathered`, committed deliveries wait at most this long to be
# published together.
PUBLISH_GATHER_S = 0.5


class _Gathered:
    """Deliveries committed but not yet published, by schema."""

    def __init__(self) -> None:
        self.ids: dict[str, list[int]] = {}
        self.since = time.monotonic()

    def add(self, schema_name: str, delivery_ids: Sequence[int]) -> None:
        self.ids.setdefault(schema_name, []).extend(delivery_ids)
        if time.monotonic() - self.since >= PUBLISH_GATHER_S:
            self.flush()

    def flush(self) -> None:
        for schema_name, ids in self.ids.items():
            deliveries_publish(schema_name, ids)
        self.ids = {}
        self.since = time.monotonic()


_gathered: ContextVar[_Gathered | None] = ContextVar("webhook_deliveries_gathered", default=None)


@contextmanager
def deliveries_publish_gathered() -> Iterator[None]:
    """Publish the deliveries that transactions inside the block commit at most every
    PUBLISH_GATHER_S, and what is left when it ends, each time in one pipeline.

    For a run, whose batches commit many times a second: a round trip to Redis after every
    batch's commit cost a third of what the webhooks add to a run. A process killed inside
    the block leaves its last deliveries unpublished but committed and pending: the sweeper
    publishes them after WEBHOOK_LEASE_S, as it does any publish that was lost."""
    gathered = _Gathered()
    token = _gathered.set(gathered)
    try:
        yield
    finally:
        _gathered.reset(token)
        gathered.flush()


def _committed_publish(schema_name: str, delivery_ids: Sequence[int]) -> None:
    """After the commit: publish now, or gather for later inside `deliveries_publish_gathered`."""
    gathered = _gathered.get()
    if gathered is None:
        deliveries_publish(schema_name, delivery_ids)
    else:
        gathered.add(schema_name, delivery_ids)


def deliveries_publish(
    schema_name: str, delivery_ids: Sequence[int], countdown: float | None = None
) -> None:
    """Publish a task per delivery (`webhooks.deliver`), over one broker connection in one
    pipeline (a run's batch publishes from its own thread, after its commit: one round trip,
    not one per delivery). Never raises: what the broker refuses stays pending, and the
    sweeper publishes it again after WEBHOOK_LEASE_S."""
    try:
        with producer() as held, held.batch():
            for delivery_id in delivery_ids:
                task_publish(
                    "webhooks.deliver",
                    args=[schema_name, delivery_id],
                    countdown=countdown,
                    producer=held,
                )
    except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
        logger.warning(
            "webhooks.publish_failed",
            extra={"tenant": schema_name, "deliveries": len(delivery_ids), "error": repr(exc)},
        )
