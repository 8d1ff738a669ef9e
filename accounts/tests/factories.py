"""Users as tests want them: a role, a password the test hasher made, and activity given in
days before now."""

from datetime import datetime, timedelta
from typing import Any

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.api_tokens import secret_hash, token_mint, token_text
from accounts.models import ApiToken, User
from core.testing import PASSWORD
from core.testing.factories import SchemaModelFactory
from tenants.models import Tenant


def _days_ago(days: float | None, now: datetime) -> datetime | None:
    return None if days is None else now - timedelta(days=days)


class UserFactory(SchemaModelFactory[User]):
    """`UserFactory.create(username="ann", login_days_ago=80)`; `schema="alpha"` makes them in a
    tenant from outside it. Days count back from `now` (given, or the time of the call); an
    explicit `last_login`, `last_seen` or `date_joined` wins over them. A user joined when
    first seen unless told otherwise, so an account is never younger than its activity."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        now = factory.LazyFunction(timezone.now)
        login_days_ago: float | None = None
        seen_days_ago: float | None = None
        joined_days_ago: float | None = None

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)
    role = ""  # a member: no role in the API
    last_login = factory.LazyAttribute(lambda user: _days_ago(user.login_days_ago, user.now))
    last_seen = factory.LazyAttribute(lambda user: _days_ago(user.seen_days_ago, user.now))
    date_joined = factory.LazyAttribute(
        lambda user: (
            _days_ago(user.joined_days_ago, user.now)
            or min(moment for moment in (user.now, user.last_login, user.last_seen) if moment)
        )
    )

    @factory.post_generation
    def groups(self, create: bool, names: Any, **_: Any) -> None:
        """`groups=["vip"]`: made if missing."""
        if create and names:
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in names))


def api_token_make(
    *,
    schema: str,
    user: User,
    scopes: list[str] | tuple[str, ...],
    name: str = "script",
    days: float = 90,
    **fields: Any,
) -> tuple[ApiToken, str]:
    """An API token of `user` in `schema` (its tenant's id bound in), and its text: as
    `POST /api/tokens/` makes one, minus the checks (tests of the checks use the API).
    `fields` set any column (`created_at`, `last_used_at`, `revoked_at`...)."""
    prefix, secret = token_mint()
    now = timezone.now()
    tenant_id = Tenant.objects.get(schema_name=schema).pk
    values: dict[str, Any] = {
        "user": user,
        "name": name,
        "prefix": prefix,
        "secret_hash": secret_hash(secret),
        "scopes": list(scopes),
        "tenant_id": tenant_id,
        "created_at": now,
        "created_by": user.username,
        "expires_at": now + timedelta(days=days),
        **fields,
    }
    with schema_context(schema):
        token = ApiToken.objects.create(**values)
    return token, token_text(prefix, secret)
