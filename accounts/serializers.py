from typing import Any

from rest_framework import serializers

from accounts.models import User
from core.fields import StrictBooleanField, StrictCharField


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
