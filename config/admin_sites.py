"""Django admin: the tenant hosts' site, and both sites' URLs with a throttled login.

The default `admin.site` (root host, operators) lists tenants, domains, policies, beat's
periodic tasks and the operators' activity — public-schema data a tenant admin must never
see, so tenant hosts get this separate site instead: users, groups, exemptions and the
tenant's activity. Composed here, at the top: it gathers admins of several apps.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.urls import URLPattern, path, re_path
from django.views.generic import RedirectView

from accounts.admin import UserAdmin
from accounts.models import User
from accounts.throttling import throttled_login
from activity.admin import ActivityEventAdmin
from activity.models import ActivityEvent
from cleanup.admin import CleanupExemptionAdmin
from cleanup.models import CleanupExemption


class TenantAdminSite(admin.AdminSite):
    site_header = "Tenant administration"
    site_title = "Tenant administration"


tenant_admin_site = TenantAdminSite(name="tenant_admin")
tenant_admin_site.register(User, UserAdmin)
tenant_admin_site.register(Group, GroupAdmin)
tenant_admin_site.register(CleanupExemption, CleanupExemptionAdmin)
# Read-only; on this site it shows the tenant's own log (the schema the host resolves to).
tenant_admin_site.register(ActivityEvent, ActivityEventAdmin)


def admin_urls(site: admin.AdminSite) -> list[URLPattern]:
    """`site` under /admin/, its login throttled."""
    return [
        path("admin/login/", throttled_login(site)),
        path("admin/", site.urls),  # type: ignore[list-item]
    ]


# The policy's admin pages moved with its model from the `tenants` app to `policy`: the old
# addresses (operators' bookmarks, links in the admin's history) lead to the new ones.
moved_admin_urls = [
    re_path(
        r"^admin/tenants/cleanuppolicy/(?P<rest>.*)$",
        RedirectView.as_view(
            url="/admin/policy/cleanuppolicy/%(rest)s", permanent=True, query_string=True
        ),
    ),
]
