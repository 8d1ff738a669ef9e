"""URLs of tenant hosts (tenant admins)."""

from django.urls import re_path

from cleanup.views import keep_link
from config import urls_api
from config.admin_sites import admin_urls, tenant_admin_site
from core.spa import spa_index
from scim import urls as scim_urls

urlpatterns = [
    # SCIM 2.0 for the tenant's identity provider (docs/api.md#scim).
    *scim_urls.urlpatterns,
    *urls_api.auth,
    *urls_api.tenant,
    *urls_api.docs("config.urls_tenant"),
    *urls_api.api_not_found,
    *urls_api.observability,
    *admin_urls(tenant_admin_site),
    # A notice's keep link (docs/architecture.md#notices-and-the-keep-link); the slash may be
    # missing: mail clients wrap long links and lose it.
    re_path(r"^keep/(?P<token>[^/]+)/?$", keep_link),
    re_path(r"^(?!api/|admin/|static/|scim/)(?P<path>.*)$", spa_index),
]
