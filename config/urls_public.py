"""URLs of the root host (platform operators)."""

from django.contrib import admin
from django.urls import re_path

from cleanup.views import keep_link
from config import urls_api
from config.admin_sites import admin_urls, moved_admin_urls
from core.spa import spa_index

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
    re_path(r"^(?!api/|admin/|static/)(?P<path>.*)$", spa_index),
]
