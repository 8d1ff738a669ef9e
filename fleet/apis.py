"""Platform endpoints (root host, operators only)."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django_tenants.utils import schema_context
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.apis import ROLE_RESPONSES
from accounts.serializers import RoleSerializer, user_role_data
from accounts.services import user_role_set
from activity.services import operator_actor
from cleanup import selectors as cleanup_selectors
from cleanup.models import CleanupReport
from cleanup.serializers import ReportSerializer
from core.api import AUTH_ERRORS, ERROR, VALIDATION_ERROR, OperatorApi, validate_with
from core.scopes import PLATFORM_READ, PLATFORM_RUN, SESSION_ONLY
from fleet import selectors
from fleet.serializers import (
    TENANT_SEARCH_MAX_LENGTH,
    TENANT_STATUSES,
    FleetSummarySerializer,
    PlatformTriggerResponseSerializer,
    PlatformTriggerSerializer,
    TenantCreateSerializer,
    TenantListQuerySerializer,
    TenantSerializer,
    TriggerSerializer,
)
from fleet.services.platform import cleanup_platform_trigger
from fleet.services.tenants import tenant_create
from tenants.models import Tenant
from tenants.services import tenant_create_check

# Service error keys -> the request's field names.
CREATE_ERROR_FIELDS = {
    "admin_username": ("admin", "username"),
    "admin_password": ("admin", "password"),
}


def _request_fields(exc: DjangoValidationError) -> dict[str, Any]:
    """The service's errors under the request's field names (the admin's nested)."""
    errors: dict[str, Any] = {}
    for field, messages in exc.message_dict.items():
        if field in CREATE_ERROR_FIELDS:
            outer, inner = CREATE_ERROR_FIELDS[field]
            errors.setdefault(outer, {})[inner] = messages
        else:
            errors[field] = messages
    return errors


def _tenant_create_check(passed: dict[str, Any]) -> None:
    """The service's checks on the fields of a create request whose shape was right."""
    admin = passed.get("admin") or {}
    try:
        tenant_create_check(
            schema_name=passed.get("schema_name"),
            name=passed.get("name"),
            domain=passed.get("domain"),
            admin_username=admin.get("username"),
            admin_password=admin.get("password"),
        )
    except DjangoValidationError as exc:
        raise ValidationError(_request_fields(exc)) from exc


class TenantListCreateApi(OperatorApi, ListAPIView):
    scopes = {"GET": PLATFORM_READ, "POST": PLATFORM_RUN}
    serializer_class = TenantSerializer

    def get_queryset(self) -> QuerySet[Tenant]:
        query = TenantListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.tenant_list(**query.validated_data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "search",
                {"type": "string", "maxLength": TENANT_SEARCH_MAX_LENGTH},
                description="Case-insensitive substring of the name, schema name or primary "
                "domain; no control characters",
            ),
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=TENANT_STATUSES,
                description="The last run's status, or `never` (no run yet)",
            ),
            OpenApiParameter(
                "ordering",
                OpenApiTypes.STR,
                enum=selectors.TENANT_ORDERINGS,
                description="Sort key (`-` for descending; nulls last, ties by schema name); "
                "`last_run` is the last run's end. Default: schema name",
            ),
        ],
        responses={
            200: TenantSerializer(many=True),
            400: VALIDATION_ERROR,
            404: ERROR,
            **AUTH_ERRORS,
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=TenantCreateSerializer,
        responses={201: TenantSerializer, 400: VALIDATION_ERROR, **AUTH_ERRORS},
        summary="Create a tenant: schema, domain, policy and first admin, all or nothing",
    )
    def post(self, request: Request) -> Response:
        data = validate_with(TenantCreateSerializer(data=request.data), _tenant_create_check)
        try:
            tenant = tenant_create(
                schema_name=data["schema_name"],
                name=data["name"],
                domain=data.get("domain") or None,
                admin_username=data["admin"]["username"],
                admin_email=data["admin"]["email"],
                admin_password=data["admin"]["password"],
                actor=request.user.get_username(),
            )
        except DjangoValidationError as exc:
            raise ValidationError(_request_fields(exc)) from exc
        created = selectors.tenant_get(tenant.schema_name)
        return Response(TenantSerializer(created).data, status=status.HTTP_201_CREATED)


@extend_schema(
    responses={200: ReportSerializer(many=True), 400: VALIDATION_ERROR, 404: ERROR, **AUTH_ERRORS}
)
class TenantReportsApi(OperatorApi, ListAPIView):
    scopes = {"GET": PLATFORM_READ}
    serializer_class = ReportSerializer

    def get_queryset(self) -> QuerySet[CleanupReport]:
        return cleanup_selectors.report_list()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tenant = selectors.tenant_get(kwargs["schema_name"])
        if tenant is None:
            raise NotFound("No such tenant.")
        # Querysets are lazy: paginate and serialize while inside the tenant's schema.
        with schema_context(tenant.schema_name):
            return super().list(request, *args, **kwargs)


class TenantUserRoleApi(OperatorApi):
    scopes = {"PUT": SESSION_ONLY}

    @extend_schema(
        request=RoleSerializer,
        responses=ROLE_RESPONSES,
        summary="Give a user of a tenant a role: admin, auditor, or none (null)",
        description="The operators' way to a tenant's roles, e.g. a new admin for a tenant "
        "whose admins left. Logged in the tenant's activity log, naming the operator. 409 "
        "when it would leave the tenant without an active admin.",
    )
    def put(self, request: Request, schema_name: str, username: str) -> Response:
        serializer = RoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tenant = selectors.tenant_get(schema_name)
        if tenant is None:
            raise NotFound("No such tenant.")
        with schema_context(tenant.schema_name):
            user = user_role_set(
                username=username,
                role=serializer.validated_data["role"] or "",
                actor=operator_actor(request.user.get_username()),
            )
            return Response(user_role_data(user))


class PlatformTriggerApi(OperatorApi):
    scopes = {"POST": PLATFORM_RUN}

    @extend_schema(
        request=PlatformTriggerSerializer,
        responses={
            202: PlatformTriggerResponseSerializer,
            400: VALIDATION_ERROR,
            503: ERROR,
            **AUTH_ERRORS,
        },
        summary="Queue a run in the given tenants (default: every active tenant)",
        description="Each queued tenant's run creates its own report when a worker takes it "
        "(the tenants list shows it under `active_run`); tenants that are unknown, "
        "suspended or already have an active run are listed under `skipped` with the reason.",
    )
    def post(self, request: Request) -> Response:
        serializer = PlatformTriggerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        started = cleanup_platform_trigger(
            schema_names=serializer.validated_data.get("tenants"),
            dry_run=serializer.validated_data["dry_run"],
            actor=request.user.get_username(),
        )
        # Plain dicts: a serializer per run costs ~10 µs, 0.1 s of a 10,000-tenant trigger.
        body = {
            "trigger_id": started.trigger_id,
            "runs": [{"tenant": schema_name} for schema_name in started.queued],
            "skipped": [{"tenant": s.tenant, "reason": s.reason} for s in started.skipped],
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


# The largest id PostgreSQL's bigint holds: a larger one names no trigger (and must not reach
# the query, which would fail on it).
_BIGINT_MAX = 2**63 - 1


class TriggerDetailApi(OperatorApi, GenericAPIView):  # type: ignore[type-arg]
    scopes = {"GET": PLATFORM_READ}

    @extend_schema(
        parameters=[
            OpenApiParameter("page", {"type": "integer", "minimum": 1, "maximum": 999_999_999}),
            OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": 1000}),
        ],
        responses={200: TriggerSerializer, 400: VALIDATION_ERROR, 404: ERROR, **AUTH_ERRORS},
        summary="What a trigger-all started: each tenant's report id and status, a page at a time",
        description="Report ids appear as the runs' tasks create their reports; statuses come "
        "from the public registry and run history (a fixed number of queries per page, "
        "whatever the number of tenants).",
    )
    def get(self, request: Request, trigger_id: int) -> Response:
        trigger = selectors.trigger_get(trigger_id) if trigger_id <= _BIGINT_MAX else None
        if trigger is None:
            raise NotFound("No such trigger.")
        paginator = self.paginator
        assert paginator is not None
        page = paginator.paginate_queryset(selectors.trigger_runs(trigger), request, view=self)
        body = {
            "id": trigger.pk,
            "created_at": trigger.created_at,
            "created_by": trigger.created_by,
            "count": paginator.page.paginator.count,  # type: ignore[attr-defined]
            "next": paginator.get_next_link(),  # type: ignore[attr-defined]
            "previous": paginator.get_previous_link(),  # type: ignore[attr-defined]
            "results": [
                {
                    "tenant": run.schema_name,  # type: ignore[attr-defined]
                    "report_id": run.report_id,
                    "status": selectors.trigger_run_status(run),
                }
                for run in page or []
            ],
        }
        return Response(TriggerSerializer(body).data)


class PlatformSummaryApi(OperatorApi):
    scopes = {"GET": PLATFORM_READ}

    @extend_schema(
        responses={200: FleetSummarySerializer, **AUTH_ERRORS},
        summary="The fleet at a glance: tenants, runs, removals, what needs attention",
        description="From the public registry and run history only (a fixed number of "
        "queries, whatever the number of tenants). `needs_attention` lists, newest first and "
        "at most 50, each tenant whose run awaits approval or whose last run failed or was "
        "aborted.",
    )
    def get(self, request: Request) -> Response:
        summary = selectors.fleet_summary(now=timezone.now())
        return Response(FleetSummarySerializer(summary).data)
