from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.activity import RESERVED_SOURCES
from accounts.activity_signals import AT_PATTERN, MAX_SIGNALS, SOURCE_PATTERN, USER_MAX_LENGTH
from accounts.api_tokens import DEFAULT_DAYS, MAX_DAYS, token_status
from accounts.models import ApiToken, User
from core.fields import StrictBooleanField, StrictCharField, StrictIntegerField, text_pattern
from core.scopes import ALL_SCOPES


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
                            # Said in words, not as `not: {enum}`, which fuzzers refuse to read;
                            # an entry naming one is `rejected`, never a 400.
                            "description": "Your system's label (`sso`, `app`, `vpn`...); not "
                            + ", ".join(f"`{name}`" for name in RESERVED_SOURCES)
                            + ", which the console records itself.",
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


# --- API tokens and service accounts --------------------------------------------------------

TOKEN_STATUSES = ["active", "expired", "revoked"]


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(
        help_text="The token's first part (`cc_<prefix>_...`), which names it in lists and logs."
    )
    owner = serializers.CharField(source="user.username")
    owner_kind = serializers.ChoiceField(source="user.kind", choices=User.Kind.choices)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ALL_SCOPES))
    status = serializers.SerializerMethodField(
        help_text="`revoked` also when its owner was deactivated."
    )
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    last_used_ip = serializers.IPAddressField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_reason = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=TOKEN_STATUSES))
    def get_status(self, token: ApiToken) -> str:
        return token_status(token)

    @extend_schema_field(serializers.ChoiceField(choices=ApiToken.Reason.choices, allow_null=True))
    def get_revoked_reason(self, token: ApiToken) -> str | None:
        return token.revoked_reason or None


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.CharField(
        help_text="The whole token, `cc_<prefix>_<secret>`: shown in this answer only, kept "
        "nowhere. Send it as `Authorization: Bearer <token>`."
    )


class TokenCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100, control_characters=False)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ALL_SCOPES),
        min_length=1,
        max_length=len(ALL_SCOPES),
        help_text="What the token may do; each must be allowed by its owner's role (a tenant "
        "admin: every tenant scope; an auditor: reports:read, audit:read, policy:read; an "
        "operator: platform:read, platform:run).",
    )
    expires_in_days = StrictIntegerField(
        min_value=1,
        max_value=MAX_DAYS,
        required=False,
        help_text=f"Days until it expires; default {DEFAULT_DAYS}, at most the tenant's "
        "token_max_days (a 400 above it).",
    )
    owner = StrictCharField(
        max_length=150,
        required=False,
        validators=[UnicodeUsernameValidator()],
        help_text="A service account's username (tenant admins); absent: the caller's own.",
    )


class ServiceAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="first_name", allow_blank=True)
    role = serializers.ChoiceField(choices=User.Role.choices)
    is_active = serializers.BooleanField()
    date_joined = serializers.DateTimeField()
    tokens_active = serializers.IntegerField(help_text="Its tokens neither revoked nor expired.")


class ServiceAccountCreateSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150, validators=[UnicodeUsernameValidator()])
    name = StrictCharField(
        max_length=150, required=False, allow_blank=True, control_characters=False
    )
    role = serializers.ChoiceField(
        choices=User.Role.choices,
        required=False,
        default=User.Role.ADMIN,
        help_text="The ceiling of its tokens' scopes (default `admin`; each token still "
        "holds only the scopes it was given).",
    )
