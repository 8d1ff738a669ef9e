"""Users as tests want them: a role, a password the test hasher made, and activity given in
days before now."""

from datetime import datetime, timedelta
from typing import Any

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from core.testing import PASSWORD
from core.testing.factories import SchemaModelFactory


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
