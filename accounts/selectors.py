"""Reads about users, in the current schema."""

from accounts.models import User


def user_is_last_admin(user: User) -> bool:
    """The user, as stored, is the tenant's only active admin: losing the role or the account
    would leave nobody to run the tenant. Advisory, for forms; `user_role_set` decides under
    its locks."""
    if user.role != User.Role.ADMIN or not user.is_active or user.kind != User.Kind.PERSON:
        return False
    others = User.objects.filter(
        role=User.Role.ADMIN, is_active=True, kind=User.Kind.PERSON
    ).exclude(pk=user.pk)
    return not others.exists()
