from django.urls import path

from tenants import apis

urlpatterns = [
    path("platform/tenants/", apis.TenantListCreateApi.as_view()),
    # slug, not str: a NUL (PostgreSQL refuses it in a string) or other odd name is no route.
    path("platform/tenants/<slug:schema_name>/reports/", apis.TenantReportsApi.as_view()),
    path("platform/cleanup/trigger/", apis.PlatformTriggerApi.as_view()),
    path("platform/summary/", apis.PlatformSummaryApi.as_view()),
]
