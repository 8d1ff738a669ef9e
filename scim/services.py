"""What the identity provider changes through SCIM (docs/architecture.md#provisioning-scim).

Each service is one transaction with its activity event. Deactivation and deletion go through
the engine's audited path (`cleanup.services.provisioning`): an audit row with reason
`provisioning`, as a run would write. Refusals are SCIM exceptions, which the API turns into
SCIM error bodies.

Groups are the tenant's Django groups, the ones a policy's `exempt_groups` names: the
identity provider manages who is in an exempt group, the tenant admin decides in the policy
which groups are exempt. A group the policy names as exempt cannot be renamed or deleted
from SCIM — its members would silently lose their protection.
"""

from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from scim2_models import ConflictException, InvalidValueException, UniquenessException

from accounts.models import GroupExternalId, User
from activity.models import ActivityEvent
from activity.services import activity_record
from cleanup.services.provisioning import (
    user_reactivate_by_provisioning,
    user_remove_by_provisioning,
)
from core.validators import has_control_characters
from policy.services import policy_get

Verb = ActivityEvent.Verb
_USERNAME = UnicodeUsernameValidator()
_TEXT_LIMITS = {"username": 150, "external_id": 255, "first_name": 150, "last_name": 150}


def _check_fields(fields: dict[str, Any]) -> None:
    """What the User model would refuse at save (or PostgreSQL, for a NUL), as SCIM's
    `invalidValue`."""
    username = fields.get("username")
    if not username:
        raise InvalidValueException(detail="userName is required.")
    try:
        _USERNAME(username)
    except ValidationError as exc:
        raise InvalidValueException(detail=f"userName: {' '.join(exc.messages)}") from exc
    for name, limit in _TEXT_LIMITS.items():
        value = fields.get(name)
        if value is None:
            continue
        if len(value) > limit:
            raise InvalidValueException(detail=f"{name}: at most {limit} characters.")
        if has_control_characters(value):
            raise InvalidValueException(detail=f"{name}: must not contain control characters.")
    email = fields.get("email") or ""
    if len(email) > 254 or has_control_characters(email) or (email and "@" not in email):
        raise InvalidValueException(detail="emails: not an email address.")
    if fields.get("external_id") == "":
        fields["external_id"] = None


def _unique(fields: dict[str, Any], exclude: int | None = None) -> None:
    others = User.objects.exclude(pk=exclude) if exclude else User.objects.all()
    if others.filter(username=fields["username"]).exists():
        raise UniquenessException(detail=f"A user named '{fields['username']}' exists.")
    if fields.get("external_id") and others.filter(external_id=fields["external_id"]).exists():
        raise UniquenessException(detail="Another user has this externalId.")


def scim_user_create(*, fields: dict[str, Any], password: str | None, actor: str) -> User:
    """Create a user as the identity provider asks; `user.provisioned` is logged. Raises
    UniquenessException (409) for a taken userName or externalId, InvalidValueException
    (400)."""
    _check_fields(fields)
    active = fields.pop("is_active")
    active = True if active is None else active
    with transaction.atomic():
        _unique(fields)
        user = User(**fields, is_active=active)
        if password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise InvalidValueException(detail=f"password: {' '.join(exc.messages)}") from exc
            user.set_password(password)
        else:
            # People sign in through their identity provider, not with a password here.
            user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:  # a concurrent create took the name
            raise UniquenessException(detail="userName or externalId is taken.") from exc
        activity_record(
            actor=actor,
            verb=Verb.USER_PROVISIONED,
            target=user.username,
            data={"user_id": user.pk, "external_id": user.external_id, "active": active},
        )
    return user


def scim_user_update(*, user_id: int, fields: dict[str, Any], actor: str) -> User | None:
    """Apply what a replace or a patch says to store (`resources.user_fields`) to the user;
    `active` changes go through deactivation / reactivation (audited). Returns the user, or
    None when it was deleted meanwhile."""
    _check_fields(fields)
    active = fields.pop("is_active")
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            return None
        if active is None:
            active = user.is_active
        changed = {name: value for name, value in fields.items() if getattr(user, name) != value}
        if changed:
            _unique({**fields}, exclude=user.pk)
            User.objects.filter(pk=user.pk).update(**changed)
            activity_record(
                actor=actor,
                verb=Verb.USER_UPDATED,
                target=fields["username"],
                data={"user_id": user.pk, "changed": sorted(changed)},
            )
        if user.is_active and not active:
            user_remove_by_provisioning(user_id=user.pk, action="deactivate", actor=actor)
        elif not user.is_active and active:
            user_reactivate_by_provisioning(user_id=user.pk, actor=actor)
    return User.objects.filter(pk=user_id).first()


def scim_user_delete(*, user_id: int, actor: str) -> bool:
    """Delete the user with an audit row (reason `provisioning`); False when there was none.
    Raises LastActiveAdmin (409) for the tenant's last active admin."""
    return user_remove_by_provisioning(user_id=user_id, action="delete", actor=actor) is not None


# --- Groups -----------------------------------------------------------------------------


def _exempt_groups(schema_name: str) -> set[str]:
    return set(policy_get(schema_name).exempt_groups or [])


def _check_group_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidValueException(detail="displayName is required.")
    if len(name) > 150 or has_control_characters(name):
        raise InvalidValueException(detail="displayName: at most 150 characters, no control.")
    return name


def _check_group_external_id(value: Any) -> str | None:
    """A group's externalId as stored: None for none (absent or empty)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 255 or has_control_characters(value):
        raise InvalidValueException(detail="externalId: at most 255 characters, no control.")
    return value


def _group_external_id_set(group: Group, external_id: str | None) -> bool:
    """Store (or clear) a group's externalId; True when it changed. UniquenessException (409)
    when another group has it."""
    row = GroupExternalId.objects.filter(group=group).first()
    if (row.external_id if row else None) == external_id:
        return False
    if external_id is None:
        GroupExternalId.objects.filter(group=group).delete()
        return True
    if GroupExternalId.objects.filter(external_id=external_id).exclude(group=group).exists():
        raise UniquenessException(detail="Another group has this externalId.")
    GroupExternalId.objects.update_or_create(group=group, defaults={"external_id": external_id})
    return True


def _member_ids(values: list[str]) -> list[int]:
    """The members a group write names, all of which must be users of this tenant."""
    ids = {int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 19}
    if len(ids) != len(set(values)) or User.objects.filter(pk__in=ids).count() != len(ids):
        raise InvalidValueException(detail="members: every value must be a user's id here.")
    return sorted(ids)


def scim_group_create(*, name: Any, external_id: Any, members: list[str], actor: str) -> Group:
    name = _check_group_name(name)
    external_id = _check_group_external_id(external_id)
    try:
        with transaction.atomic():
            if Group.objects.filter(name=name).exists():
                raise UniquenessException(detail=f"A group named '{name}' exists.")
            group = Group.objects.create(name=name)
            _group_external_id_set(group, external_id)
            ids = _member_ids(members)
            group.user_set.add(*ids)
            activity_record(
                actor=actor,
                verb=Verb.GROUP_CREATED,
                target=name,
                data={"group_id": group.pk, "external_id": external_id, "members": len(ids)},
            )
    except IntegrityError as exc:  # a concurrent create took the name or the externalId
        raise UniquenessException(detail="displayName or externalId is taken.") from exc
    return group


def scim_group_update(
    *,
    schema_name: str,
    group_id: int,
    name: Any,
    external_id: Any,
    members: list[str],
    actor: str,
) -> Group | None:
    """Replace a group's name, externalId and members (a PUT, or a PATCH applied to the
    group)."""
    name = _check_group_name(name)
    external_id = _check_group_external_id(external_id)
    try:
        return _group_update(schema_name, group_id, name, external_id, members, actor)
    except IntegrityError as exc:  # a concurrent write took the name or the externalId
        raise UniquenessException(detail="displayName or externalId is taken.") from exc


def _group_update(
    schema_name: str,
    group_id: int,
    name: str,
    external_id: str | None,
    members: list[str],
    actor: str,
) -> Group | None:
    with transaction.atomic():
        group = Group.objects.select_for_update().filter(pk=group_id).first()
        if group is None:
            return None
        if name != group.name:
            if group.name in _exempt_groups(schema_name):
                raise ConflictException(
                    detail=f"'{group.name}' is an exempt group in the cleanup policy; rename it "
                    "there first."
                )
            if Group.objects.filter(name=name).exclude(pk=group.pk).exists():
                raise UniquenessException(detail=f"A group named '{name}' exists.")
            group.name = name
            group.save(update_fields=["name"])
        external_id_changed = _group_external_id_set(group, external_id)
        ids = set(_member_ids(members))
        before = set(group.user_set.values_list("pk", flat=True))
        group.user_set.remove(*(before - ids))
        group.user_set.add(*(ids - before))
        activity_record(
            actor=actor,
            verb=Verb.GROUP_UPDATED,
            target=group.name,
            data={
                "group_id": group.pk,
                "added": sorted(ids - before),
                "removed": sorted(before - ids),
                **({"external_id": external_id} if external_id_changed else {}),
                "at": timezone.now().isoformat(),
            },
        )
    return group


def scim_group_delete(*, schema_name: str, group_id: int, actor: str) -> bool:
    with transaction.atomic():
        group = Group.objects.select_for_update().filter(pk=group_id).first()
        if group is None:
            return False
        if group.name in _exempt_groups(schema_name):
            raise ConflictException(
                detail=f"'{group.name}' is an exempt group in the cleanup policy; remove it "
                "there first."
            )
        activity_record(
            actor=actor, verb=Verb.GROUP_DELETED, target=group.name, data={"group_id": group.pk}
        )
        group.delete()
    return True
