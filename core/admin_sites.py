"""Django admin for tenant hosts: only what lives in a tenant's own schema.

The default `admin.site` (root host, operators) lists tenants, domains, policies and beat's
periodic tasks — public-schema data a tenant admin must never see, so tenant hosts get
this separate site instead.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group

from accounts.admin import UserAdmin
from accounts.models import User


class TenantAdminSite(admin.AdminSite):
    site_header = "Tenant administration"
    site_title = "Tenant administration"


tenant_admin_site = TenantAdminSite(name="tenant_admin")
tenant_admin_site.register(User, UserAdmin)
tenant_admin_site.register(Group, GroupAdmin)
