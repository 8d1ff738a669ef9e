"""Webhook endpoints and deliveries as the API shows and takes them (shape only)."""

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import StrictBooleanField, StrictCharField
from webhooks.addresses import URL_MAX_LENGTH
from webhooks.catalogue import ALL, EVENT_TYPES
from webhooks.models import Delivery, DeliveryAttempt, Endpoint
from webhooks.services.endpoints import endpoint_secret_overlap

EVENT_CHOICES = [ALL, *EVENT_TYPES]
# http(s), then no whitespace nor control character; the rest is the server's to judge
# (docs/webhooks.md#where-a-webhook-may-go).
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s\x00-\x1f\x7f]+$"


def _url_field(**kwargs: Any) -> StrictCharField:
    return StrictCharField(
        max_length=URL_MAX_LENGTH,
        validators=[RegexValidator(URL_PATTERN, "Give an https:// URL.")],
        help_text="`https://` with a host name or a public IP address; the name must resolve "
        "to public addresses only (no private, loopback, link-local, shared, metadata "
        "address). `http://` and private addresses only where the server sets "
        "WEBHOOK_ALLOW_PRIVATE (local development).",
        **kwargs,
    )


def _events_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES),
        min_length=1,
        max_length=len(EVENT_CHOICES),
        help_text='The event types to receive, or `["*"]` for every type (alone).',
        **kwargs,
    )


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES))
    secret_rotation_ends_at = serializers.SerializerMethodField(
        help_text="Until when the previous secret still signs beside the new one (null: "
        "no rotation under way)."
    )

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "events",
            "description",
            "enabled",
            "disabled_reason",
            "failing_since",
            "secret_rotation_ends_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_secret_rotation_ends_at(self, endpoint: Endpoint) -> Any:
        until = endpoint_secret_overlap(endpoint)
        return serializers.DateTimeField().to_representation(until) if until else None


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(
        help_text="The signing secret (`whsec_...`): shown in this answer only."
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class EndpointCreateSerializer(serializers.Serializer):
    url = _url_field()
    events = _events_field()
    description = StrictCharField(
        max_length=200, required=False, allow_blank=True, default="", control_characters=False
    )


class EndpointUpdateSerializer(serializers.Serializer):
    url = _url_field(required=False)
    events = _events_field(required=False)
    description = StrictCharField(
        max_length=200, required=False, allow_blank=True, control_characters=False
    )
    enabled = StrictBooleanField(
        required=False,
        help_text="false stops deliveries; true enables the endpoint again (also one "
        "disabled for failing) and clears its failure streak.",
    )


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["at", "status_code", "duration_ms", "error", "response_excerpt"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.CharField(
        source="event.webhook_id", help_text="The `webhook-id` header: the same on every retry."
    )
    type = serializers.CharField(source="event.type")
    status = serializers.ChoiceField(choices=Delivery.Status.choices)
    attempt_log = AttemptSerializer(many=True, help_text="Every attempt, oldest first.")

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "type",
            "attempts",
            "status",
            "last_status_code",
            "last_duration_ms",
            "last_error",
            "response_excerpt",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "attempt_log",
        ]
        read_only_fields = fields


class DeliveryAcceptedSerializer(serializers.Serializer):
    delivery_id = serializers.IntegerField()
    event_id = serializers.CharField()


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new secret (`whsec_...`), shown only here.")
    secret_rotation_ends_at = serializers.DateTimeField(
        help_text="Until when the previous secret still signs beside the new one."
    )
