"""What the run tests share: users described relative to now, the policy, a run, and time
passing."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db.models import F
from django.utils import timezone

from accounts.models import ApiToken, User, UserActivitySource
from accounts.tests.factories import UserFactory
from cleanup.models import CleanupAuditEntry, CleanupNotice, CleanupReport
from cleanup.services import stages
from cleanup.services.execution import cleanup_run
from cleanup.services.stages import Batch
from cleanup.services.start import cleanup_report_create
from cleanup.tests.factories import CleanupNoticeFactory
from policy.models import CleanupPolicy
from tenants.models import Tenant
from webhooks.services.events import UsersEvent

D, G = 90, 30  # the tests' inactive_days and never_logged_in_days
DAY = timedelta(days=1)
LONG_AGO = timedelta(days=2000)


def user_from_case(name: str, now: datetime, attrs: dict[str, Any]) -> User:
    """A user whose `last_login`, `last_seen` and `date_joined` are given in days from `now`
    (a table of them reads best that way); `group` puts them in a group, `notice` gives them
    one (days from now when it was sent, or "pending"); other keys are User fields. Joined
    long ago unless `date_joined` says otherwise."""
    fields: dict[str, Any] = {"date_joined": now - LONG_AGO}
    for key, value in attrs.items():
        if key in ("last_login", "last_seen", "date_joined"):
            fields[key] = now + value * DAY
        elif key == "group":
            fields["groups"] = [value]
        elif key != "notice":
            fields[key] = value
    user = UserFactory.create(username=name, **fields)
    if "notice" in attrs:
        notice_give(user, None if attrs["notice"] == "pending" else now + attrs["notice"] * DAY)
    return user


BatchFn = Callable[[int, int], Batch]


def each_batch(
    monkeypatch: pytest.MonkeyPatch, stage: str, around: Callable[[BatchFn, int, int], Batch]
) -> None:
    """Run `around(batch, after_pk, size)` in place of each batch of a stage ("warn",
    "remove", "expire"), inside the batch's transaction; `batch(after_pk, size)` runs the
    real one."""
    name = f"{stage}_batches"
    real = getattr(stages, name)

    def prepare(*args: Any) -> BatchFn:
        batch = real(*args)

        # The users event (a webhook wants the batch's users) passes through to the real batch.
        def wrapped(after_pk: int, size: int, event: UsersEvent | None = None) -> Batch:
            return around(lambda a, s: batch(a, s, event), after_pk, size)

        return wrapped

    monkeypatch.setattr(stages, name, prepare)


def notice_give(user: User, sent_at: datetime | None) -> CleanupNotice:
    """A notice of an earlier run (made up: only its report must exist)."""
    return CleanupNoticeFactory.create(user=user, sent_at=sent_at)


def notices_send(report: CleanupReport) -> int:
    """What the outbox's sender does once the mail server accepted a run's notices: mark
    them sent."""
    return CleanupNotice.objects.filter(report=report, status="pending").update(
        sent_at=timezone.now(), status="sent"
    )


def days_pass(days: float) -> None:
    """Move every recorded time in the schema `days` into the past, as if that many days
    went by: users' activity, notices, runs, API tokens."""
    ago = days * DAY
    for model, fields in (
        (User, ("last_login", "last_seen", "date_joined")),
        (UserActivitySource, ("last_at",)),
        (CleanupNotice, ("created_at", "sent_at", "due_at")),
        (CleanupReport, ("created_at", "started_at", "finished_at")),
        (
            CleanupAuditEntry,
            ("last_login", "last_seen", "date_joined", "noticed_at", "restored_at"),
        ),
        (
            ApiToken,
            ("created_at", "last_used_at", "expires_at", "revoked_at", "restored_at"),
        ),
    ):
        for field in fields:
            model.objects.filter(**{f"{field}__isnull": False}).update(**{field: F(field) - ago})


def set_policy(tenant: Tenant, **fields: Any) -> None:
    defaults = {
        "inactive_days": D,
        "never_logged_in_days": G,
        "exempt_groups": ["vip"],
        "max_removal_ratio": 1.0,
        "dry_run": False,
        # Most run tests are about who is removed: no warning first. The lifecycle's tests
        # set notice_days themselves.
        "notice_days": 0,
    }
    CleanupPolicy.objects.filter(tenant=tenant).update(**{**defaults, **fields})


def run(tenant: Tenant, batch_size: int = 1000, **report_fields: Any) -> CleanupReport:
    report = cleanup_report_create(
        schema_name=tenant.schema_name, trigger="manual", **report_fields
    )
    return cleanup_run(report_id=report.pk, batch_size=batch_size)


def usernames(users: Any) -> set[str]:
    return set(users.values_list("username", flat=True))


def active_names(names: Any) -> set[str]:
    return usernames(User.objects.filter(username__in=names, is_active=True))
