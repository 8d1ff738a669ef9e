"""Celery tasks of webhooks: an interface over the services. They take primitives and are
safe to run twice."""

import logging

from celery import Task, shared_task
from django_tenants.utils import schema_context

from core.mail import MailUnavailable
from webhooks.services.delivery import delivery_attempt
from webhooks.services.mail import endpoint_disabled_notify
from webhooks.services.upkeep import webhooks_purge, webhooks_sweep

logger = logging.getLogger(__name__)


@shared_task(
    name="webhooks.deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # The attempt itself is bounded to WEBHOOK_TIMEOUT_S; these only catch the unforeseen.
    soft_time_limit=60,
    time_limit=90,
)
def deliver(schema_name: str, delivery_id: int) -> str | None:
    """Make the next attempt at one delivery (`delivery.delivery_attempt`). A second
    message for it finds the delivery claimed, done, or not yet due, and does nothing."""
    with schema_context(schema_name):
        return delivery_attempt(delivery_id=delivery_id)


@shared_task(name="webhooks.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    """Every minute (beat): publish the deliveries that are due or whose task was lost."""
    return webhooks_sweep()


@shared_task(name="webhooks.purge", ignore_result=True)
def purge() -> int:
    """Daily (beat): delete events and deliveries older than 30 days."""
    return webhooks_purge()


@shared_task(name="webhooks.notify_disabled", bind=True, ignore_result=True, max_retries=20)
def notify_disabled(self: Task, schema_name: str, endpoint_id: int) -> int:
    """Email the tenant's admins that an endpoint was disabled; retried while the mail
    server is unavailable."""
    try:
        return endpoint_disabled_notify(schema_name=schema_name, endpoint_id=endpoint_id)
    except MailUnavailable as exc:
        raise self.retry(countdown=min(60 * 2**self.request.retries, 3600), exc=exc) from exc
