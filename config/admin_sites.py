"""Django admin: the tenant hosts' site, and the throttled login of every admin site.

The default `admin.site` (root host, operators) lists tenants, domains, policies, beat's
periodic tasks and the operators' activity — public-schema data a tenant admin must never
see, so tenant hosts get this separate site instead: users, groups, exemptions and the
tenant's activity.
"""

from collections.abc import Callable

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from accounts.admin import UserAdmin
from accounts.models import User
from accounts.throttling import LoginThrottle
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


def throttled_login(site: admin.AdminSite) -> Callable[[HttpRequest], HttpResponse]:
    """`site`'s login view, counting failures like `POST /api/auth/token/` does — the same
    counters (per username and client address, per client address), so neither door is a way
    around the other."""

    def login(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return site.login(request)
        throttle = LoginThrottle.for_request(request, request.POST.get("username", ""))
        if not throttle.reserve():
            return TemplateResponse(
                request,
                "accounts/login_throttled.html",
                {**site.each_context(request), "title": "Log in"},
                status=429,
            )
        response = site.login(request)
        # The login view redirects once it has logged someone in; anything else (the form
        # shown again with its error) leaves the reserved slot counted as a failure.
        if response.status_code == 302 and request.user.is_authenticated:
            throttle.succeeded()
        return response

    return login


def admin_urls(site: admin.AdminSite) -> list[URLPattern]:
    """`site` under /admin/, its login throttled."""
    return [
        path("admin/login/", throttled_login(site)),
        path("admin/", site.urls),  # type: ignore[list-item]
    ]
