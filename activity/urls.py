"""One path, two views: each host's URL conf includes the list for its kind of host."""

from django.urls import path

from activity import apis

tenant_urlpatterns = [path("activity/", apis.TenantActivityApi.as_view())]
platform_urlpatterns = [path("activity/", apis.PlatformActivityApi.as_view())]
