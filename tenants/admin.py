from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django_tenants.admin import TenantAdminMixin

from tenants.models import Domain, Tenant


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ("schema_name", "name", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("schema_name", "name")
    inlines = [DomainInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Creating a tenant is schema + domain + policy + first admin, all or nothing: that is
        # `fleet.services.tenants.tenant_create`'s job (operators' console, API, `manage.py
        # tenant_create`), not a bare model form's.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("schema_name", "created_at") if obj else ()


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "tenant", "is_primary")
