"""Webhooks of a tenant (docs/webhooks.md): its endpoints, the outbox of events, and the
deliveries of each event to each endpoint subscribed, with every attempt's outcome.

Endpoints, events, deliveries and attempts live in the tenant's schema. `WebhookTenant` is
the public registry of the tenants that have endpoints: the sweeper and the purge find
their work there, without visiting every schema (docs/architecture.md#the-fleet).
"""

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q


class Endpoint(models.Model):
    """A URL of the tenant's that receives the events it subscribed to, signed with its
    secret (Standard Webhooks). During a rotation's overlap the previous secret signs too.

    The secrets are never shown again after the answer that created them, and never logged.
    """

    url = models.CharField(max_length=2000)
    # Event types (webhooks.catalogue), or ["*"] for all.
    events = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True, default="")
    enabled = models.BooleanField(default=True)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # The first failed attempt since the last success: 24 h of failures disable the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    """One event in the outbox, written in the transaction of the change it reports. Its id
    is the `webhook-id` every delivery of it carries, so a receiver can drop repeats."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64)
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="webhooks_event_created_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.id.hex}"


class Delivery(models.Model):
    """One event owed to one endpoint: pending until an attempt got a 2xx (delivered) or the
    retry schedule ran out or the endpoint was disabled (failed). A replay is a new one."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # When the next attempt is due; while an attempt is under way, when its lease ends (a
    # worker that died mid-attempt leaves it to the sweeper then).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a task for it was last published: the sweeper publishes again only after
    # WEBHOOK_LEASE_S, so a publish that was lost costs a delay, never the event.
    published_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    response_excerpt = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["endpoint", "-created_at", "-id"], name="webhooks_delivery_list_idx"
            ),
            # The sweeper's query: the few pending deliveries, by when they are due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhooks_delivery_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at a delivery: what the endpoint answered (status, time, the first bytes of
    its body) or why there was no answer."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=500, blank=True, default="")
    response_excerpt = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["delivery", "at"], name="webhooks_attempt_idx")]

    def __str__(self) -> str:
        return f"attempt {self.pk} of delivery {self.delivery_id}"


class WebhookTenant(models.Model):
    """Public schema: a tenant that has (had) endpoints, and when its deliveries next need
    the sweeper (`due_at`, null: nothing pending). Written when an endpoint is created, and
    brought forward by every event that creates deliveries, in the event's transaction."""

    schema_name = models.CharField(max_length=63, primary_key=True)
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["due_at"], name="webhooks_tenant_due_idx")]

    def __str__(self) -> str:
        return self.schema_name
