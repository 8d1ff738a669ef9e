"""What every API view shares: pagination, the error shape, and the two base classes.

Tenancy fails closed: tenant endpoints derive from `TenantAdminApi` and platform endpoints
from `OperatorApi`; each checks host and role and cannot be bypassed by forgetting a
permission class in a view.
"""

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ServiceError
from tenants.context import on_public_schema

logger = logging.getLogger(__name__)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


# The documented error responses of every endpoint.
ERROR = OpenApiResponse(DetailSerializer, description="`{detail}`")
VALIDATION_ERROR = OpenApiResponse(
    OpenApiTypes.OBJECT, description="`{field: [messages]}` (or `{detail}` for a malformed body)"
)
AUTH_ERRORS = {401: ERROR, 403: ERROR}


class Pagination(PageNumberPagination):
    """`?page=N&page_size=M` (M up to 1000). A malformed page_size is a 400, not ignored."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        if len(raw) > 1 or not raw[0].isdigit() or int(raw[0]) < 1:
            raise exceptions.ValidationError({"page_size": ["Must be one positive integer."]})
        return min(int(raw[0]), self.max_page_size)


class IsTenantAdmin(BasePermission):
    message = "Only tenant admins (staff users of this tenant) may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return not on_public_schema() and bool(request.user and request.user.is_staff)


class IsOperator(BasePermission):
    message = "Only platform operators may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return on_public_schema() and bool(request.user and request.user.is_superuser)


class TenantAdminApi(APIView):
    """Base of every tenant endpoint: a tenant host, a valid token of it, a staff user."""

    permission_classes = [IsAuthenticated, IsTenantAdmin]

    @property
    def schema_name(self) -> str:
        """The request's tenant (resolved from the host by django-tenants)."""
        return self.request.tenant.schema_name  # type: ignore[attr-defined,no-any-return]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if on_public_schema():
            raise exceptions.NotFound()
        super().initial(request, *args, **kwargs)


class OperatorApi(APIView):
    """Base of every platform endpoint: the root host, a public-schema superuser."""

    permission_classes = [IsAuthenticated, IsOperator]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if not on_public_schema():
            raise exceptions.NotFound()
        super().initial(request, *args, **kwargs)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the domain's exceptions, all in the documented shape."""
    if isinstance(exc, ServiceError):
        return Response(exc.body(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": " ".join(exc.messages)}
        )
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
