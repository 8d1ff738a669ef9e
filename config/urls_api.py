"""API URL lists, shared by the two URL confs and the combined OpenAPI document."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import urls as accounts_urls
from activity import urls as activity_urls
from core.spa import host_api
from fleet.metrics import metrics
from policy.selectors import token_max_days


@extend_schema(exclude=True)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def ping(request: Request) -> Response:
    """A no-op behind the whole stack (tenant routing, middleware, DRF): the baseline the
    API benchmark compares real endpoints with. `/healthz` skips all of that."""
    return Response({"status": "ok"})


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any other /api/ path: a JSON 404 in the API's error shape, not Django's HTML page.

    CSRF-exempt (it changes nothing): otherwise a POST from a browser holding a session
    cookie gets Django's HTML CSRF page (403) instead of this 404."""
    return JsonResponse({"detail": "Not found."}, status=404)


def docs(urlconf: str) -> list:
    """The OpenAPI document of one kind of host, and Swagger UI for it.

    The split view serves Swagger UI's init script from its own URL (`?script=`) instead
    of inline, so the Content-Security-Policy can keep `script-src 'self'`."""
    return [
        path("api/schema/", SpectacularAPIView.as_view(urlconf=urlconf), name="schema"),
        path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    ]


auth = [
    path("api/", include("accounts.urls")),
    path("api/", include(accounts_urls.token_urlpatterns(token_max_days))),
    path("api/ping/", ping),
    path("api/host/", host_api),
]
tenant = [
    path("api/", include("cleanup.urls")),
    path("api/", include(activity_urls.tenant_urlpatterns)),
    path("api/", include(accounts_urls.tenant_urlpatterns)),
    path("api/", include("webhooks.urls")),
]
# On every host, so a tenant host answers 404 rather than the dashboard's page.
observability = [path("metrics", metrics)]
platform = [
    path("api/", include("fleet.urls")),
    path("api/", include(activity_urls.platform_urlpatterns)),
]
# Last in each URL conf, after every real API path.
# Any character, newlines included: a path with "%0A" in it is an API path too.
api_not_found = [re_path(r"^api/(?P<path>[\s\S]*)\Z", not_found)]
