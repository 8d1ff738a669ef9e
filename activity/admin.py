from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from activity.models import ActivityEvent


class ActivityEventAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the actions themselves, in their transactions; an
    edited or deleted event would make it a record of nothing."""

    list_display = ("at", "actor", "verb", "target")
    list_filter = ("verb",)
    search_fields = ("actor", "target")
    date_hierarchy = "at"
    readonly_fields = ("at", "actor", "verb", "target", "data")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The root host's site: the operators' actions (public schema). Tenant hosts register the
# same admin on their own site (config.admin_sites).
admin.site.register(ActivityEvent, ActivityEventAdmin)
