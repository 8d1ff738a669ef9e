"""Authentication endpoints (both kinds of host), `me`, tenant users' roles, API tokens (both
kinds of host) and service accounts (tenant hosts)."""

from collections.abc import Callable
from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.activity_signals import MAX_SIGNALS, signals_record
from accounts.api_tokens import MAX_DAYS
from accounts.models import ApiToken, User
from accounts.serializers import (
    OPERATOR,
    LoginSerializer,
    LogoutSerializer,
    MeSerializer,
    RefreshSerializer,
    RoleSerializer,
    ServiceAccountCreateSerializer,
    ServiceAccountSerializer,
    SignalsResultSerializer,
    SignalsSerializer,
    TokenCreatedSerializer,
    TokenCreateSerializer,
    TokenPairSerializer,
    TokenSerializer,
    UserRoleSerializer,
    user_role_data,
)
from accounts.services import (
    api_token_create,
    api_token_input_check,
    api_token_list,
    api_token_revoke,
    service_account_create,
    service_account_delete,
    service_account_input_check,
    service_account_list,
    session_logout,
    session_refresh,
    user_role_set,
)
from accounts.throttling import LoginThrottle
from accounts.tokens import TenantTokenObtainSerializer, refresh_token_load
from core.api import (
    AUTH_ERRORS,
    ERROR,
    VALIDATION_ERROR,
    ScopedApi,
    TenantAdminApi,
    validate_with,
)
from core.scopes import ANY_TOKEN, SESSION_ONLY
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


class MeApi(ScopedApi):
    permission_classes = [IsAuthenticated]
    scopes = {"GET": ANY_TOKEN}

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
    # Roles bound what every token may do: granting one needs a person signed in.
    scopes = {"PUT": SESSION_ONLY}

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


# --- API tokens (docs/architecture.md#api-tokens) -------------------------------------------


class IsTokenHolder(BasePermission):
    """Who may hold tokens here: on the root host operators; on a tenant host any user (a
    member's token can hold no scope, so only `me` and its own token list answer it)."""

    message = "Only platform operators may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return not on_public_schema() or bool(request.user.is_superuser)


def _token_max_days() -> int:
    return MAX_DAYS


@extend_schema_view(
    get=extend_schema(
        responses={
            200: TokenSerializer(many=True),
            400: VALIDATION_ERROR,
            404: ERROR,
            **AUTH_ERRORS,
        },
        summary="The caller's API tokens (a tenant admin's list has the service accounts' too)",
    )
)
class TokenListCreateApi(ScopedApi, ListAPIView):
    """The caller's API tokens — and, for a tenant admin, the service accounts' — newest
    first, revoked and expired ones included."""

    permission_classes = [IsAuthenticated, IsTokenHolder]
    serializer_class = TokenSerializer
    # Making a token needs a person signed in: a token cannot mint a broader or longer-lived
    # one. Listing one's tokens any token may.
    scopes = {"GET": ANY_TOKEN, "POST": SESSION_ONLY}
    # The longest expiry allowed here: the tenant's token_max_days, which lives in the policy
    # app above this one; config.urls_api passes its reader (`as_view(token_max_days=...)`).
    token_max_days: Callable[[], int] = staticmethod(_token_max_days)

    def get_queryset(self) -> QuerySet[ApiToken]:
        return api_token_list(actor=cast(User, self.request.user), public=on_public_schema())

    @extend_schema(
        request=TokenCreateSerializer,
        responses={201: TokenCreatedSerializer, 400: VALIDATION_ERROR, **AUTH_ERRORS},
        summary="Make an API token (its secret is in this answer only)",
        description="Logged in the activity log (`token.created`, never the secret).",
    )
    def post(self, request: Request) -> Response:
        actor, public = cast(User, request.user), on_public_schema()
        max_days = self.token_max_days()  # type: ignore[misc,call-arg]
        data = validate_with(
            TokenCreateSerializer(data=request.data),
            lambda passed: api_token_input_check(
                actor=actor, public=public, data=passed, max_days=max_days
            ),
        )
        token, text = api_token_create(actor=actor, public=public, data=data, max_days=max_days)
        body = TokenSerializer(token).data
        return Response({**body, "token": text}, status=status.HTTP_201_CREATED)


class TokenDetailApi(ScopedApi):
    permission_classes = [IsAuthenticated, IsTokenHolder]
    # A script may revoke its own token (rotation's last step).
    scopes = {"DELETE": ANY_TOKEN}

    @extend_schema(
        responses={204: None, 404: ERROR, **AUTH_ERRORS},
        summary="Revoke an API token (the caller's own, or a service account's)",
        description="Logged in the activity log (`token.revoked`). A token revoked already "
        "answers 204 again.",
    )
    def delete(self, request: Request, token_id: int) -> Response:
        api_token_revoke(
            actor=cast(User, request.user), public=on_public_schema(), token_id=token_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(
        responses={
            200: ServiceAccountSerializer(many=True),
            400: VALIDATION_ERROR,
            404: ERROR,
            **AUTH_ERRORS,
        }
    )
)
class ServiceAccountListCreateApi(TenantAdminApi, ListAPIView):
    """The tenant's service accounts, by username."""

    serializer_class = ServiceAccountSerializer
    scopes = {"GET": SESSION_ONLY, "POST": SESSION_ONLY}

    def get_queryset(self) -> QuerySet[User]:
        return service_account_list()

    @extend_schema(
        request=ServiceAccountCreateSerializer,
        responses={201: ServiceAccountSerializer, 400: VALIDATION_ERROR, **AUTH_ERRORS},
        summary="Make a service account (no password: it acts through API tokens only)",
        description="Logged in the activity log (`service_account.created`).",
    )
    def post(self, request: Request) -> Response:
        data = validate_with(
            ServiceAccountCreateSerializer(data=request.data), service_account_input_check
        )
        user = service_account_create(actor=request.user.get_username(), data=data)
        user.tokens_active = 0  # type: ignore[attr-defined]
        return Response(ServiceAccountSerializer(user).data, status=status.HTTP_201_CREATED)


class ServiceAccountDetailApi(TenantAdminApi):
    scopes = {"DELETE": SESSION_ONLY}

    @extend_schema(
        responses={204: None, 404: ERROR, **AUTH_ERRORS},
        summary="Delete a service account and its tokens",
        description="Logged in the activity log (`service_account.deleted`).",
    )
    def delete(self, request: Request, username: str) -> Response:
        service_account_delete(actor=request.user.get_username(), username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)
