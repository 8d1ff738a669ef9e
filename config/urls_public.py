"""URLs of the root host (platform operators)."""

from django.contrib import admin
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from cleanup.views import keep_link
from config import urls_api
from config.admin_sites import admin_urls, moved_admin_urls
from core.spa import spa_index
from scim.apis import scim_not_found

urlpatterns = [
    *urls_api.auth,
    *urls_api.platform,
    *urls_api.docs("config.urls_public"),
    *urls_api.api_not_found,
    *urls_api.observability,
    *moved_admin_urls,
    *admin_urls(admin.site),
    # Keep links belong to tenant hosts: here they get the same 400 page as a bad token.
    re_path(r"^keep/(?P<token>[^/]+)/?$", keep_link),
    # SCIM lives on tenant hosts; here every SCIM path is a SCIM 404.
    re_path(r"^scim/(?P<path>[\s\S]*)\Z", csrf_exempt(scim_not_found)),
    re_path(r"^(?!api/|admin/|static/|scim/)(?P<path>.*)$", spa_index),
]
