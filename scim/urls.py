"""`/scim/v2/` on tenant hosts. SCIM clients leave the trailing slash off (and some add
one): both are taken, never redirected, since a redirected POST loses its body."""

from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from scim import apis

_ID = r"(?P<resource_id>[^/]+)"

urlpatterns = [
    re_path(r"^scim/v2/ServiceProviderConfig/?\Z", apis.ServiceProviderConfigApi.as_view()),
    re_path(r"^scim/v2/ResourceTypes/?\Z", apis.ResourceTypesApi.as_view()),
    re_path(rf"^scim/v2/ResourceTypes/{_ID}/?\Z", apis.ResourceTypesApi.as_view()),
    re_path(r"^scim/v2/Schemas/?\Z", apis.SchemasApi.as_view()),
    re_path(rf"^scim/v2/Schemas/{_ID}/?\Z", apis.SchemasApi.as_view()),
    re_path(r"^scim/v2/Users/?\Z", apis.UsersApi.as_view()),
    re_path(rf"^scim/v2/Users/{_ID}/?\Z", apis.UsersApi.as_view()),
    re_path(r"^scim/v2/Groups/?\Z", apis.GroupsApi.as_view()),
    re_path(rf"^scim/v2/Groups/{_ID}/?\Z", apis.GroupsApi.as_view()),
    re_path(r"^scim/v2/\.search/?\Z", csrf_exempt(apis.scim_search_all)),
    re_path(r"^scim/(?P<path>[\s\S]*)\Z", csrf_exempt(apis.scim_not_found)),
]
