"""API URL lists, shared by the two URL confs and the combined OpenAPI document."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def docs(urlconf: str) -> list:
    """The OpenAPI document of one kind of host, and Swagger UI for it."""
    return [
        path("api/schema/", SpectacularAPIView.as_view(urlconf=urlconf), name="schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    ]


auth = [path("api/", include("accounts.urls"))]
tenant = [path("api/", include("cleanup.urls"))]
platform = [path("api/", include("tenants.urls"))]
