from rest_framework import serializers

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


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    is_operator = serializers.BooleanField()
    is_tenant_admin = serializers.BooleanField()
    tenant = TenantRefSerializer(allow_null=True)
