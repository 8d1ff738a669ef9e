from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.http import HttpRequest

# simplejwt's token admins, imported so their registrations exist to be undone here,
# whatever order the apps load in.
from rest_framework_simplejwt.token_blacklist import admin as token_blacklist_admin

from accounts.models import User
from accounts.selectors import user_is_last_admin
from accounts.services import LastAdmin, user_role_set
from core.tenancy import on_public_schema


class UserChangeForm(BaseUserChangeForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The API's rule: the tenant keeps an active admin. Checked on the stored user (the
        # form has not written to the instance yet).
        if self.instance.pk and user_is_last_admin(self.instance):
            if "role" in cleaned and cleaned["role"] != User.Role.ADMIN:
                self.add_error(
                    "role", "The tenant's last active admin: make another user admin first."
                )
            if cleaned.get("is_active") is False:
                self.add_error(
                    "is_active",
                    "The tenant's last active admin: make another user admin first.",
                )
        return cleaned


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    list_display = (
        "username",
        "email",
        "kind",
        "role",
        "is_active",
        "is_staff",
        "last_login",
        "last_seen",
    )
    list_filter = ("kind", "role", "is_active", "is_staff", "is_superuser", "groups")
    readonly_fields = ("last_login", "last_seen", "date_joined")
    fieldsets = (
        *BaseUserAdmin.fieldsets[:2],  # type: ignore[index]
        (
            "Console role",
            {
                "fields": ("role",),
                "description": "What the user may do in the cleanup console and its API: "
                "a tenant admin everything, an auditor read. Staff status below opens only "
                "this Django admin.",
            },
        ),
        *BaseUserAdmin.fieldsets[2:],  # type: ignore[index]
    )

    # The public schema holds operators, whom the root host knows by `is_superuser`: a tenant
    # role would mean nothing there.
    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if on_public_schema():
            return [(name, opts) for name, opts in fieldsets if opts.get("fields") != ("role",)]
        return fieldsets

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)
        return [name for name in shown if name != "role"] if on_public_schema() else shown

    def get_list_filter(self, request: HttpRequest) -> Any:
        shown = super().get_list_filter(request)
        return [name for name in shown if name != "role"] if on_public_schema() else shown

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        role_changed = change and "role" in form.changed_data
        role = obj.role
        if role_changed:
            # Saved unchanged here; the API's service changes it and logs it.
            obj.role = form.initial.get("role", "")
        super().save_model(request, obj, form, change)
        if role_changed:
            try:
                user_role_set(user_id=obj.pk, role=role, actor=request.user.get_username())
            except LastAdmin as exc:
                # Another admin was demoted since the form was checked.
                self.message_user(request, f"Role not changed: {exc.detail}", messages.ERROR)
            obj.refresh_from_db(fields=["role"])


# Their pages show each refresh token in full: a credential anyone with the admin could
# copy and use. Nothing is lost without them: revoking is the token version's job
# (logout-everywhere, password change, deactivation), never a blacklist entry made by hand.
for _model in (token_blacklist_admin.OutstandingToken, token_blacklist_admin.BlacklistedToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
