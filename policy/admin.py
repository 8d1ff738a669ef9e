"""The operators' (root host's) Django admin of tenants' policies, with the API's rules."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from activity.services import operator_actor
from policy.models import CleanupPolicy
from policy.rules import POLICY_FIELDS, policy_check
from policy.services import policy_input_validate, policy_save, policy_update


class CleanupPolicyForm(forms.ModelForm):
    """The admin's policy form, with the API's rules (`policy.rules`); ranges come from
    the model fields' validators."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Fields the form leaves out, or that failed their own checks, keep their value.
        policy_check(
            {name: cleaned.get(name, getattr(self.instance, name)) for name in POLICY_FIELDS}
        )
        tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
        if tenant is not None and "exempt_groups" in self.changed_data:
            # The API's rule: an exempt group must exist in the tenant (a typo exempts nobody).
            policy_input_validate(
                schema_name=tenant.schema_name,
                data={"exempt_groups": cleaned.get("exempt_groups")},
            )
        return cleaned


@admin.register(CleanupPolicy)
class CleanupPolicyAdmin(admin.ModelAdmin):
    form = CleanupPolicyForm
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

    def save_model(self, request: HttpRequest, obj: CleanupPolicy, form: Any, change: bool) -> None:
        if change:
            # Through the API's service: the changed fields only (a run may have written the
            # summary columns since this form was loaded), the next run recomputed, and
            # `policy.updated` logged in the tenant's schema naming the operator.
            saved = policy_update(
                policy=CleanupPolicy.objects.select_related("tenant").get(pk=obj.pk),
                data={
                    name: getattr(obj, name) for name in form.changed_data if name in POLICY_FIELDS
                },
                actor=operator_actor(request.user.get_username()),
            )
            obj.next_run_at = saved.next_run_at
        else:
            # As the API saves: next run recomputed.
            policy_save(policy=obj, create=True)

    # Written by runs only (the summary and the registry of the active run).
    readonly_fields = (
        "last_report_id",
        "last_report_status",
        "last_report_finished_at",
        "last_report_users_removed",
        "active_report_id",
        "active_report_status",
        "active_report_since",
        "active_report_heartbeat_at",
        "active_task_id",
        "active_task_kwargs",
        "notices_sent",
        "notices_failed",
    )
