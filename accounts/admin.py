from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

# simplejwt's token admins, imported so their registrations exist to be undone here,
# whatever order the apps load in.
from rest_framework_simplejwt.token_blacklist import admin as token_blacklist_admin

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "is_active", "is_staff", "last_login", "last_seen")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    readonly_fields = ("last_login", "last_seen", "date_joined")


# Their pages show each refresh token in full: a credential anyone with the admin could
# copy and use. Nothing is lost without them: revoking is the token version's job
# (logout-everywhere, password change, deactivation), never a blacklist entry made by hand.
for _model in (token_blacklist_admin.OutstandingToken, token_blacklist_admin.BlacklistedToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
