"""What every API view shares: pagination, the error shape, the scopes API tokens need, and
the two base classes.

Tenancy fails closed: tenant endpoints derive from `TenantAdminApi` and platform endpoints
from `OperatorApi`; each checks host and role and cannot be bypassed by forgetting a
permission class in a view. A tenant endpoint is for the tenant-admin role alone unless the
view names the methods an auditor may call too (`auditor_methods`, its reads): a view that
forgets to opt in stays closed to auditors, never open to them. `is_staff` counts for
nothing here: it opens Django admin, whose own permissions govern what it shows.
"""

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.fields import empty
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ServiceError
from core.scopes import ANY_TOKEN, OPERATOR, SESSION_ONLY
from core.tenancy import on_public_schema

logger = logging.getLogger(__name__)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


# The documented error responses of every endpoint.
ERROR = OpenApiResponse(DetailSerializer, description="`{detail}`")
VALIDATION_ERROR = OpenApiResponse(
    OpenApiTypes.OBJECT, description="`{field: [messages]}` (or `{detail}` for a malformed body)"
)
AUTH_ERRORS = {401: ERROR, 403: ERROR}


# A whole number from 1, in ASCII digits only (`[0-9]`, not `\d`, which matches every script).
_WHOLE_NUMBER = re.compile(r"[1-9][0-9]{0,9}")


class Pagination(PageNumberPagination):
    """`?page=N&page_size=M`, M from 1 to 1000. A malformed or repeated value is a 400 naming
    the parameter; a page past the last is DRF's 404 `{"detail": "Invalid page."}`."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 1000
    max_page = 999_999_999

    def get_page_size(self, request: Request) -> int:
        size = self._positive_int(request, self.page_size_query_param, self.max_page_size)
        return self.page_size if size is None else size

    def get_page_number(self, request: Request, paginator: Any) -> int:
        page = self._positive_int(request, self.page_query_param, self.max_page)
        return 1 if page is None else page

    @staticmethod
    def _positive_int(request: Request, name: str, maximum: int) -> int | None:
        """The parameter's value, None when absent. Only ASCII digits count: `str.isdigit()`
        accepts "²" (which int() then refuses) and int() accepts "٣" (Arabic-Indic 3), so neither is
        a safe test; a bounded regex also keeps int() clear of its digit limit."""
        values = request.query_params.getlist(name)
        if not values:
            return None
        if len(values) == 1 and _WHOLE_NUMBER.fullmatch(values[0]):
            number = int(values[0])
            if number <= maximum:
                return number
        raise exceptions.ValidationError(
            {name: [f"Must be one whole number from 1 to {maximum}, in digits 0-9."]}
        )

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        bounds = {
            self.page_query_param: {"minimum": 1, "maximum": self.max_page},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters


# The tenant roles, as accounts.models.User.Role stores them (core imports no app).
ADMIN, AUDITOR = "admin", "auditor"
# What a view lists in `auditor_methods` when every method it has only reads.
READS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})


class IsTenantAdmin(BasePermission):
    """The tenant-admin role may call every tenant endpoint; the auditor role the methods the
    view lists in `auditor_methods`; nobody else (members, staff users without a role)."""

    message = "This needs the tenant-admin role."

    def has_permission(self, request: Request, view: Any) -> bool:
        if on_public_schema():
            return False
        role = getattr(request.user, "role", "")
        if role == ADMIN:
            return True
        readable = request.method in getattr(view, "auditor_methods", ())
        if role == AUDITOR and readable:
            return True
        # DRF makes a new permission object per request: the message is this request's.
        if role == AUDITOR:
            self.message = "The auditor role may only read; this needs the tenant-admin role."
        elif readable:
            self.message = "This needs the tenant-admin or auditor role."
        return False


class IsOperator(BasePermission):
    message = "Only platform operators may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return on_public_schema() and bool(request.user and request.user.is_superuser)


def scope_declared(view: Any, method: str) -> str | None:
    """What `view` declares an API token needs to call `method`: a scope, ANY_TOKEN or
    SESSION_ONLY; None when it declares nothing (tokens are then refused). HEAD and OPTIONS
    follow GET (OPTIONS is answered by every view: any token may ask, as any JWT may)."""
    scopes: Mapping[str, str] = getattr(view, "scopes", {})
    if method in scopes:
        return scopes[method]
    if method in ("HEAD", "OPTIONS"):
        return scopes.get("GET", ANY_TOKEN if method == "OPTIONS" else None)
    return None


class ScopeMissing(ServiceError):
    """A 403 naming what the token lacks (`scope`), so a script's author knows what to ask
    for."""

    status_code = 403


def caller_role(request: Request) -> str:
    """The caller's role here: `operator` for a superuser on the root host, the tenant role
    (or "") on a tenant host."""
    if on_public_schema():
        return OPERATOR if getattr(request.user, "is_superuser", False) else ""
    return str(getattr(request.user, "role", ""))


def token_scope_check(view: Any, request: Request) -> None:
    """Refuse an API-token request the token's scopes do not cover; JWT-authenticated
    requests pass untouched. The token's scopes count only as far as its owner's role allows
    them now, so a demoted owner's token loses at once what the role no longer allows."""
    token = request.auth
    if not getattr(token, "is_api_token", False):
        return
    required = scope_declared(view, request.method or "GET")
    if required is None:
        raise ScopeMissing("This endpoint does not accept API tokens.")
    if required == SESSION_ONLY:
        raise ScopeMissing(
            "API tokens cannot do this: sign in (POST /api/auth/token/) and use that token."
        )
    if required == ANY_TOKEN:
        return
    if required not in token.scopes_effective(caller_role(request)):  # type: ignore[union-attr]
        raise ScopeMissing(
            f"This API token lacks the scope '{required}' (or its owner's role no longer "
            "allows it).",
            scope=required,
        )


class ScopedApi(APIView):
    """Base of every authenticated endpoint: it declares, per method, the scope an API token
    needs (`scopes`: {"GET": "reports:read", "POST": "cleanup:run"}, or ANY_TOKEN or
    SESSION_ONLY). A method it does not name refuses tokens, so an endpoint that forgets to
    declare fails closed — and `config/tests/test_scopes.py` fails."""

    scopes: ClassVar[Mapping[str, str]] = {}

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        token_scope_check(self, request)


class TenantAdminApi(ScopedApi):
    """Base of every tenant endpoint: a tenant host, a valid token of it, and the tenant-admin
    role — or the auditor role, for the methods the view lists in `auditor_methods`."""

    permission_classes = [IsAuthenticated, IsTenantAdmin]
    # Empty here, so a view that does not opt in is for tenant admins alone. A view lists
    # only methods that change nothing (usually READS).
    auditor_methods: ClassVar[frozenset[str]] = frozenset()

    @property
    def may_change(self) -> bool:
        """Whether the caller holds the tenant-admin role, so may change things here (an
        auditor only reads): what the `can_*` fields of an answer are qualified by."""
        return getattr(self.request.user, "role", "") == ADMIN

    @property
    def schema_name(self) -> str:
        """The request's tenant (resolved from the host by django-tenants)."""
        return self.request.tenant.schema_name  # type: ignore[attr-defined,no-any-return]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if on_public_schema():
            raise exceptions.NotFound()
        super().initial(request, *args, **kwargs)


class OperatorApi(ScopedApi):
    """Base of every platform endpoint: the root host, a public-schema superuser."""

    permission_classes = [IsAuthenticated, IsOperator]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if not on_public_schema():
            raise exceptions.NotFound()
        super().initial(request, *args, **kwargs)


def validate_with(
    serializer: serializers.Serializer, check: Callable[[dict[str, Any]], object]
) -> dict[str, Any]:
    """The serializer's validated data — or one 400 that names every field's problem.

    A serializer checks shapes; the service behind it checks the rest (a group exists, a
    password is strong enough) and only ever sees input whose every shape was right. So a
    form with a malformed field and a field the service would refuse learnt of the second
    only after fixing the first: one error per submit. When the shapes are not all right,
    `check` (a service's read-only rules, raising Django's or DRF's ValidationError) runs on
    the fields that passed theirs, and its errors join the serializer's. When they are, the
    service the view calls next checks everything itself.
    """
    if serializer.is_valid():
        return dict(serializer.validated_data)
    errors: dict[str, Any] = dict(serializer.errors)
    try:
        check(_passed(serializer.fields, serializer.initial_data, errors))
    except (DjangoValidationError, exceptions.ValidationError) as exc:
        _merge(errors, _error_detail(exc))
    raise exceptions.ValidationError(errors)


def _passed(fields: Mapping[str, Any], data: Any, errors: Mapping[str, Any]) -> dict[str, Any]:
    """The validated values of the fields in `fields` that `errors` does not name (nested
    serializers: theirs, field by field)."""
    values: dict[str, Any] = {}
    if not isinstance(data, Mapping):
        return values
    for name, field in fields.items():
        if field.read_only:
            continue
        primitive = field.get_value(data)
        if primitive is empty:
            continue
        error = errors.get(name)
        if error is None:
            try:
                values[name] = field.run_validation(primitive)
            except (DjangoValidationError, exceptions.ValidationError):
                continue
        elif isinstance(field, serializers.Serializer) and isinstance(error, Mapping):
            values[name] = _passed(field.fields, primitive, error)
    return values


def _error_detail(exc: DjangoValidationError | exceptions.ValidationError) -> Any:
    if isinstance(exc, exceptions.ValidationError):
        return exc.detail
    return exc.message_dict if hasattr(exc, "error_dict") else {"detail": " ".join(exc.messages)}


def _merge(into: dict[str, Any], more: Any) -> None:
    """Add `more`'s errors to `into`, for the fields `into` does not name yet."""
    if not isinstance(more, Mapping):
        return
    for name, messages in more.items():
        if name not in into:
            into[name] = messages
        elif isinstance(into[name], dict) and isinstance(messages, Mapping):
            _merge(into[name], messages)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the domain's exceptions, all in the documented shape."""
    if isinstance(exc, ServiceError):
        return Response(exc.body(), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        # Django's check of DATA_UPLOAD_MAX_MEMORY_SIZE; unhandled it becomes an HTML 400.
        return Response(
            {"detail": "The request body is too large."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": " ".join(exc.messages)}
        )
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
