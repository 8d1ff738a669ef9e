"""The activity log as the API shows it."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from activity.models import ActivityEvent


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": "What the action did, by verb. `policy.updated`: each changed field's "
        "`{old, new}`; `cleanup.triggered`: `{report_id, dry_run}`; `exemption.*`: "
        "`{exemption_id, reason, expires_at}`; `platform.triggered`: `{tenants (null: all; "
        "at most 50 named), dry_run, queued, skipped (counts), skipped_tenants: [{tenant, "
        "reason}] (at most 50)}`; `tenant.created`: `{name, domain, admin}`; `webhook.*`: "
        "`{endpoint_id, ...}` (`webhook.updated`: each changed field's `{old, new}`).",
    }
)
class EventDataField(serializers.JSONField):
    pass


class ActivityEventSerializer(serializers.ModelSerializer):
    verb = serializers.ChoiceField(choices=ActivityEvent.Verb.choices, read_only=True)
    actor = serializers.CharField(
        read_only=True,
        help_text="A username; `<username> (operator)` for an operator acting on a tenant; "
        f"`{ActivityEvent.SYSTEM_ACTOR}` for what no person did (a command, a webhook "
        "endpoint disabled for failing).",
    )
    # The API names it `data`, as does the model; the stubs know only Serializer.data.
    data = EventDataField(read_only=True)  # type: ignore[assignment]

    class Meta:
        model = ActivityEvent
        fields = ["id", "at", "actor", "verb", "target", "data"]
        read_only_fields = fields
