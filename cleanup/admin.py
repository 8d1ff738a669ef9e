"""Django admin of the tenant hosts' site (registered in config.admin_sites): exemptions."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from cleanup.models import CleanupExemption
from cleanup.selectors import exemption_in_force, exemption_in_force_q
from cleanup.services.exemptions import (
    exemption_create,
    exemption_delete,
    exemption_input_validate,
)


class ExemptionForm(forms.ModelForm):
    class Meta:
        model = CleanupExemption
        fields = ("user", "reason", "expires_at")

    def clean(self) -> dict[str, Any]:
        # The API's rules, so the service's own check (which runs again on save) never
        # refuses what the form accepted.
        cleaned = super().clean() or {}
        now = timezone.now()
        if "reason" in cleaned:
            try:
                cleaned["reason"] = exemption_input_validate(
                    reason=cleaned["reason"], expires_at=cleaned.get("expires_at"), now=now
                )
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    self.add_error(field, messages)
        user = cleaned.get("user")
        existing = CleanupExemption.objects.filter(user=user).first() if user else None
        if existing and exemption_in_force(existing, now):
            self.add_error("user", "This user is already exempt; remove that exemption first.")
        return cleaned

    def validate_unique(self) -> None:
        # One exemption per user, but an expired one is replaced (the service's rule, checked
        # in clean()); the model's unique check would refuse that.
        pass


class InForceFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("in_force", "In force"), ("expired", "Expired")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        in_force = exemption_in_force_q(timezone.now())
        if self.value() == "in_force":
            return queryset.filter(in_force)
        if self.value() == "expired":
            return queryset.exclude(in_force)
        return queryset


class CleanupExemptionAdmin(admin.ModelAdmin):
    """Add and remove go through the API's services: the same rules, and each is logged in
    the tenant's activity. An exemption is not edited in place — remove it and add another —
    so the log holds every reason and expiry it ever had."""

    form = ExemptionForm
    list_display = ("user", "reason", "expires_at", "in_force", "created_by", "created_at")
    list_filter = (InForceFilter,)
    search_fields = ("user__username", "reason")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)

    @admin.display(boolean=True, description="in force")
    def in_force(self, obj: CleanupExemption) -> bool:
        return exemption_in_force(obj, timezone.now())

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: CleanupExemption, form: Any, change: bool
    ) -> None:
        created = exemption_create(
            username=obj.user.username,
            reason=obj.reason,
            expires_at=obj.expires_at,
            actor=request.user.get_username(),
        )
        # The admin logs the addition and redirects with this object: make it the saved one.
        obj.pk, obj.created_by, obj.created_at = created.pk, created.created_by, created.created_at
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: CleanupExemption) -> None:
        exemption_delete(exemption_id=obj.pk, actor=request.user.get_username())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for pk in queryset.values_list("pk", flat=True):
            exemption_delete(exemption_id=pk, actor=request.user.get_username())
