from django.urls import path, re_path

from fleet import apis

urlpatterns = [
    path("platform/tenants/", apis.TenantListCreateApi.as_view()),
    # slug, not str: a NUL (PostgreSQL refuses it in a string) or other odd name is no route.
    path("platform/tenants/<slug:schema_name>/reports/", apis.TenantReportsApi.as_view()),
    # A username's own characters (Django's username validator), so nothing else — a NUL,
    # which PostgreSQL refuses in a string — reaches the query.
    re_path(
        r"^platform/tenants/(?P<schema_name>[-a-zA-Z0-9_]+)/users/(?P<username>[\w.@+-]{1,150})/role/$",
        apis.TenantUserRoleApi.as_view(),
    ),
    path("platform/cleanup/trigger/", apis.PlatformTriggerApi.as_view()),
    path("platform/summary/", apis.PlatformSummaryApi.as_view()),
    # int: ASCII digits only (a Unicode digit is no route, so the JSON 404).
    path("platform/triggers/<int:trigger_id>/", apis.TriggerDetailApi.as_view()),
]
