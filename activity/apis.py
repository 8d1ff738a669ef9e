"""`GET /api/activity/` on both kinds of host: each lists its own schema's log
(docs/architecture.md#oversight).

On a tenant host, tenant admins and auditors read their tenant's events; on the root host, operators
read the public schema's. The two views differ only in their base class, which checks host
and role: the table they read is the one the request's schema holds, so neither can see the
other's events.
"""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from activity.models import ActivityEvent
from activity.selectors import activity_list
from activity.serializers import ActivityEventSerializer
from core.api import AUTH_ERRORS, ERROR, READS, VALIDATION_ERROR, OperatorApi, TenantAdminApi
from core.scopes import AUDIT_READ, PLATFORM_READ

RESPONSES = {
    200: ActivityEventSerializer(many=True),
    400: VALIDATION_ERROR,
    404: ERROR,
    **AUTH_ERRORS,
}


class _ActivityList(ListAPIView):
    serializer_class = ActivityEventSerializer

    def get_queryset(self) -> QuerySet[ActivityEvent]:
        return activity_list()

    # One operation for both views (the combined document holds the path once).
    @extend_schema(
        operation_id="activity_list",
        description="The activity log of the host's schema, newest first. Tenant hosts: "
        "what its tenant admins (and operators, from Django admin) did to its policy, runs "
        "and exemptions. Root host: tenants created and platform-wide triggers.",
        summary="Who did what, newest first: on a tenant host its admins' actions (tenant "
        "admins and auditors), on the root host the operators' (operators only)",
        responses=RESPONSES,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)


class TenantActivityApi(TenantAdminApi, _ActivityList):
    scopes = {"GET": AUDIT_READ}
    auditor_methods = READS


class PlatformActivityApi(OperatorApi, _ActivityList):
    scopes = {"GET": PLATFORM_READ}
    pass
