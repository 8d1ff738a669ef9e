from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from accounts.activity import RESERVED_SOURCES
from accounts.activity_signals import AT_PATTERN, MAX_SIGNALS, SOURCE_PATTERN, USER_MAX_LENGTH
from accounts.models import User
from core.fields import StrictBooleanField, StrictCharField, text_pattern


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class LoginSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=4096, trim_whitespace=False)


class RefreshSerializer(serializers.Serializer):
    refresh = StrictCharField()


class LogoutSerializer(RefreshSerializer):
    everywhere = StrictBooleanField(
        required=False,
        default=False,
        help_text="Also revoke every other token of the user, on every device.",
    )


class TenantRefSerializer(serializers.Serializer):
    schema_name = serializers.CharField()
    name = serializers.CharField()


# What `me` says a user is here: a tenant role on a tenant host, `operator` on the root host.
OPERATOR = "operator"


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    is_operator = serializers.BooleanField()
    is_tenant_admin = serializers.BooleanField(help_text="Holds the tenant-admin role here.")
    role = serializers.ChoiceField(
        choices=[*User.Role.values, OPERATOR],
        allow_null=True,
        help_text="On a tenant host `admin` (may do everything), `auditor` (may read "
        "reports, audit lists, the activity log, the policy and exemptions) or null (a "
        "member: no access to the tenant API). On the root host `operator` or null.",
    )
    tenant = TenantRefSerializer(allow_null=True)


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=User.Role.choices,
        allow_null=True,
        help_text="`admin`, `auditor`, or null for an ordinary member.",
    )


class UserRoleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=User.Role.choices, allow_null=True)


def user_role_data(user: User) -> Any:
    return UserRoleSerializer(
        {"id": user.pk, "username": user.username, "role": user.role or None}
    ).data


# --- Activity signals (docs/api.md#activity-signals). The request is checked by
# accounts.activity_signals, entry by entry; this is its document, written out so that it says
# exactly what an entry must be (the `not` of the reserved sources, no other field).


def signals_request_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["signals"],
        "additionalProperties": False,
        "properties": {
            "signals": {
                "type": "array",
                "maxItems": MAX_SIGNALS,
                "description": "Entries that are not as described here are not a 400: each is "
                "named in the answer's `rejected` by its index, and the others are recorded.",
                "items": {
                    "type": "object",
                    "required": ["user", "at", "source"],
                    "additionalProperties": False,
                    "properties": {
                        "user": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": USER_MAX_LENGTH,
                            "pattern": text_pattern(control_characters=False, blank=True),
                            "description": "The user's username, external id (SCIM "
                            "`externalId`) or email address (case-insensitive), tried in "
                            "that order.",
                        },
                        "at": {
                            "type": "string",
                            "format": "date-time",
                            "pattern": AT_PATTERN,
                            "description": "When the user was active (RFC 3339 with an "
                            "offset). Not before 2000, at most 5 minutes in the future.",
                        },
                        "source": {
                            "type": "string",
                            "pattern": SOURCE_PATTERN,
                            "not": {"enum": list(RESERVED_SOURCES)},
                            "description": "Your system's label (`sso`, `app`, `vpn`...).",
                        },
                    },
                },
            }
        },
    }


class SignalsSerializer(serializers.Serializer):
    """Documentation only: the view checks the body itself (accounts.activity_signals)."""

    signals = serializers.ListField(child=serializers.DictField())


class SignalsSchema(OpenApiSerializerExtension):
    """The request's document, written out (`signals_request_schema`)."""

    target_class = SignalsSerializer

    def map_serializer(self, auto_schema: AutoSchema, direction: Any) -> Any:
        return signals_request_schema()


class SignalRejectedSerializer(serializers.Serializer):
    index = serializers.IntegerField(min_value=0)
    reason = serializers.CharField()


class SignalsResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(
        min_value=0, help_text="Entries recorded (a replay counts again and changes nothing)."
    )
    unknown = serializers.ListField(
        child=serializers.CharField(),
        help_text="Users named that this tenant does not have, each once; nobody is created.",
    )
    rejected = SignalRejectedSerializer(many=True)
