"""Authentication endpoints (both kinds of host), `me`, and tenant users' roles."""

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.activity_signals import MAX_SIGNALS, signals_record
from accounts.models import User
from accounts.serializers import (
    OPERATOR,
    LoginSerializer,
    LogoutSerializer,
    MeSerializer,
    RefreshSerializer,
    RoleSerializer,
    SignalsResultSerializer,
    SignalsSerializer,
    TokenPairSerializer,
    UserRoleSerializer,
    user_role_data,
)
from accounts.services import session_logout, session_refresh, user_role_set
from accounts.throttling import LoginThrottle
from accounts.tokens import TenantTokenObtainSerializer, refresh_token_load
from core.api import AUTH_ERRORS, ERROR, VALIDATION_ERROR, TenantAdminApi
from core.tenancy import on_public_schema


# Token endpoints take no token, yet answer bad credentials with 401 (not 403).
class TokenApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TokenObtainApi(TokenApi):
    @extend_schema(
        request=LoginSerializer,
        responses={200: TokenPairSerializer, 400: VALIDATION_ERROR, 401: ERROR, 429: ERROR},
        auth=[],
        summary="Obtain a token pair for this host's tenant (or the platform on the root host)",
    )
    def post(self, request: Request) -> Response:
        login = LoginSerializer(data=request.data)
        login.is_valid(raise_exception=True)
        throttle = LoginThrottle.for_request(request, login.validated_data["username"])
        if not throttle.reserve():
            return Response(
                {"detail": "Too many failed login attempts. Try again later."},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        serializer = TenantTokenObtainSerializer(data=request.data, context={"request": request})
        # Whatever goes wrong, the reserved slot stays counted as a failure.
        serializer.is_valid(raise_exception=True)
        throttle.succeeded()
        return Response(serializer.validated_data)


class TokenRefreshApi(TokenApi):
    @extend_schema(
        request=RefreshSerializer,
        responses={200: TokenPairSerializer, 400: VALIDATION_ERROR, 401: ERROR},
        auth=[],
        summary="Exchange a refresh token for a new pair (the old refresh is blacklisted)",
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refresh, user = refresh_token_load(serializer.validated_data["refresh"])
        return Response(session_refresh(refresh=refresh, user=user))


class LogoutApi(TokenApi):
    @extend_schema(
        request=LogoutSerializer,
        responses={205: None, 400: VALIDATION_ERROR, 401: ERROR},
        auth=[],
        summary="Revoke a refresh token; with `everywhere`, every token of its user",
    )
    def post(self, request: Request) -> Response:
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        refresh, user = refresh_token_load(data["refresh"])
        session_logout(refresh=refresh, user=user, everywhere=data["everywhere"])
        return Response(status=status.HTTP_205_RESET_CONTENT)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeSerializer, 401: ERROR}, summary="Who am I, here")
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        public = on_public_schema()
        tenant = None if public else request.tenant  # type: ignore[attr-defined]
        role = (OPERATOR if user.is_superuser else None) if public else (user.role or None)
        data = {
            "username": user.username,
            "email": user.email,
            "is_operator": role == OPERATOR,
            "is_tenant_admin": role == User.Role.ADMIN,
            "role": role,
            "tenant": tenant and {"schema_name": tenant.schema_name, "name": tenant.name},
        }
        return Response(MeSerializer(data).data)


# The answers of both ways to a role: a tenant admin's and an operator's.
ROLE_RESPONSES = {
    200: UserRoleSerializer,
    400: VALIDATION_ERROR,
    404: ERROR,
    409: ERROR,
    **AUTH_ERRORS,
}


class UserRoleApi(TenantAdminApi):
    @extend_schema(
        request=RoleSerializer,
        responses=ROLE_RESPONSES,
        summary="Give a user of this tenant a role: admin, auditor, or none (null)",
        description="Logged in the activity log (`user.role_changed`). 409 when it would "
        "leave the tenant without an active admin.",
    )
    def put(self, request: Request, user_id: int) -> Response:
        serializer = RoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_role_set(
            user_id=user_id,
            role=serializer.validated_data["role"] or "",
            actor=request.user.get_username(),
        )
        return Response(user_role_data(user))


class SignalsApi(TenantAdminApi):
    """Activity seen by the tenant's own systems (docs/api.md#activity-signals)."""

    # What an API token needs to call it (docs/api.md#activity-signals).
    scopes = {"POST": "signals:write"}

    @extend_schema(
        request=SignalsSerializer,
        responses={200: SignalsResultSerializer, 400: VALIDATION_ERROR, 413: ERROR, **AUTH_ERRORS},
        summary="Record users' activity seen elsewhere (single sign-on, your product, VPN...)",
        description="Up to 10,000 entries `{user, at, source}`. Each user keeps the latest "
        "time per source, and the latest of all counts as their last activity for the "
        "cleanup (it voids a notice sent before it, as a sign-in does). Idempotent: a "
        "replay changes nothing. Unknown users are named in `unknown`, never created; "
        "malformed entries and times more than 5 minutes ahead are named in `rejected`; "
        "the rest are recorded. The body is at most DATA_UPLOAD_MAX_MEMORY_SIZE "
        "(2.5 MB by default; 413 beyond): 10,000 entries of ordinary usernames take about "
        "0.7 MB.",
    )
    def post(self, request: Request) -> Response:
        body = request.data
        if not isinstance(body, dict) or set(body) != {"signals"}:
            raise exceptions.ValidationError(
                {"signals": ["Send an object with one field, `signals`: a list of entries."]}
            )
        entries = body["signals"]
        if not isinstance(entries, list) or len(entries) > MAX_SIGNALS:
            raise exceptions.ValidationError(
                {"signals": [f"A list of at most {MAX_SIGNALS:,} entries {{user, at, source}}."]}
            )
        outcome = signals_record(entries)
        return Response(SignalsResultSerializer(outcome).data)
