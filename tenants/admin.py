from django.contrib import admin
from django_tenants.admin import TenantAdminMixin

from tenants.models import CleanupPolicy, Domain, Tenant


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ("schema_name", "name", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("schema_name", "name")
    inlines = [DomainInline]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "tenant", "is_primary")


@admin.register(CleanupPolicy)
class CleanupPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "tenant",
        "enabled",
        "action",
        "dry_run",
        "schedule",
        "timezone",
        "next_run_at",
        "last_report_status",
        "last_report_finished_at",
    )
    list_filter = ("enabled", "action", "dry_run")
    readonly_fields = (
        "last_report_id",
        "last_report_status",
        "last_report_finished_at",
        "last_report_users_removed",
    )
