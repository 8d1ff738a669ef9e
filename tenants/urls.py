from django.urls import path

from tenants import apis

urlpatterns = [
    path("platform/tenants/", apis.TenantListCreateApi.as_view()),
    path("platform/tenants/<str:schema_name>/reports/", apis.TenantReportsApi.as_view()),
    path("platform/cleanup/trigger/", apis.PlatformTriggerApi.as_view()),
]
