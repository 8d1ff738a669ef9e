"""The console's users and groups as SCIM resources (scim2-models), and what this service
announces on its discovery endpoints (docs/api.md#scim).

What is stored: for a user `userName` (Django's username), `externalId`, `name.givenName`,
`name.familyName`, one email (the primary one sent, else the first), `active`, and the
groups it is in (read-only here: membership is written through Groups); for a group its
`externalId` (accounts.GroupExternalId: Django's Group has no column for it), `displayName`
and members (by id). The Schemas endpoint
announces only what is stored, so a client (or the conformance checker) never sends an
attribute it expects back and does not get; other attributes in a request are accepted and
ignored, as RFC 7643 allows for attributes a service does not support.
"""

from typing import Any

from django.contrib.auth.models import Group as DjangoGroup
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Email,
    ETag,
    Filter,
    Group,
    GroupMember,
    GroupMembership,
    Meta,
    Name,
    Patch,
    ResourceType,
    Schema,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)

from accounts.models import User as ConsoleUser

# What a page of a list holds at most (and the `count` a larger one is cut to).
MAX_RESULTS = 200

CONFIG = ServiceProviderConfig(
    documentation_uri=None,
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=False),
    authentication_schemes=[
        AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken,
            name="Bearer token",
            description="An API token of this tenant with the scope `scim`, sent as "
            "`Authorization: Bearer cc_...`.",
            primary=True,
        )
    ],
)

# The attributes each schema announces (see the module's docstring).
_USER_ATTRIBUTES = {"userName", "name", "emails", "active", "groups"}
_NAME_SUB_ATTRIBUTES = {"givenName", "familyName"}
_EMAIL_SUB_ATTRIBUTES = {"value"}
_GROUP_ATTRIBUTES = {"displayName", "members"}
_MEMBER_SUB_ATTRIBUTES = {"value", "$ref", "type"}


def _trimmed(schema: Schema, keep: set[str], subs: dict[str, set[str]]) -> Schema:
    attributes = []
    for attribute in schema.attributes or []:
        if attribute.name not in keep:
            continue
        if attribute.name in subs and attribute.sub_attributes:
            attribute = attribute.model_copy(
                update={
                    "sub_attributes": [
                        sub for sub in attribute.sub_attributes if sub.name in subs[attribute.name]
                    ]
                }
            )
        if attribute.name == "active":
            # Every account is active or not: `active` cannot be removed, only set.
            attribute = attribute.model_copy(update={"required": True})
        attributes.append(attribute)
    return schema.model_copy(update={"attributes": attributes})


def schemas(base_url: str) -> list[Schema]:
    """The User and Group schemas, cut to what is stored."""
    found = []
    for model, keep, subs in (
        (User, _USER_ATTRIBUTES, {"name": _NAME_SUB_ATTRIBUTES, "emails": _EMAIL_SUB_ATTRIBUTES}),
        (Group, _GROUP_ATTRIBUTES, {"members": _MEMBER_SUB_ATTRIBUTES}),
    ):
        schema = _trimmed(model.to_schema(), keep, subs)
        schema.meta = Meta(resource_type="Schema", location=f"{base_url}Schemas/{schema.id}")
        found.append(schema)
    return found


def resource_types(base_url: str) -> list[ResourceType]:
    types = []
    for model in (User, Group):
        resource_type = ResourceType.from_resource(model)
        resource_type.meta = Meta(
            resource_type="ResourceType", location=f"{base_url}ResourceTypes/{resource_type.id}"
        )
        types.append(resource_type)
    return types


def service_provider_config(base_url: str) -> ServiceProviderConfig:
    config = CONFIG.model_copy()
    config.meta = Meta(
        resource_type="ServiceProviderConfig", location=f"{base_url}ServiceProviderConfig"
    )
    return config


PROVIDER = ScimProvider(models=[User, Group], config=CONFIG)


def user_resource(user: ConsoleUser, base_url: str, groups: list[DjangoGroup]) -> User:
    """A user as SCIM shows it."""
    full_name = f"{user.first_name} {user.last_name}".strip()
    return User(
        id=str(user.pk),
        external_id=user.external_id,
        user_name=user.username,
        name=Name(given_name=user.first_name or None, family_name=user.last_name or None)
        if full_name
        else None,
        # Not validated again: the address was accepted when stored (Django's validator takes
        # some pydantic's refuses, such as reserved domains), and showing it must not fail.
        emails=[Email.model_construct(value=user.email)] if user.email else None,
        active=user.is_active,
        groups=[
            GroupMembership(
                value=str(group.pk),
                display=group.name,
                ref=f"{base_url}Groups/{group.pk}",  # type: ignore[arg-type]  # validated to a Reference
                type="direct",
            )
            for group in groups
        ]
        or None,
        meta=Meta(
            resource_type="User",
            created=user.date_joined,
            location=f"{base_url}Users/{user.pk}",
        ),
    )


def group_resource(group: DjangoGroup, base_url: str, members: list[ConsoleUser]) -> Group:
    external = getattr(group, "external", None)  # no row: no externalId
    return Group(
        id=str(group.pk),
        external_id=external.external_id if external else None,
        display_name=group.name,
        members=[
            GroupMember(
                value=str(member.pk),
                ref=f"{base_url}Users/{member.pk}",  # type: ignore[arg-type]  # validated to a Reference
                type="User",
            )
            for member in members
        ]
        or None,
        meta=Meta(resource_type="Group", location=f"{base_url}Groups/{group.pk}"),
    )


def user_fields(resource: User) -> dict[str, Any]:
    """What a User resource (created, replaced, or patched) says to store."""
    emails = resource.emails or []
    primary = next((email for email in emails if email.primary), emails[0] if emails else None)
    name = resource.name
    return {
        "username": resource.user_name,
        "external_id": resource.external_id,
        "first_name": (name.given_name if name else None) or "",
        "last_name": (name.family_name if name else None) or "",
        "email": (primary.value if primary else None) or "",
        # None: not said (a PATCH removing it); the account keeps its status.
        "is_active": None if resource.active is None else bool(resource.active),
    }
