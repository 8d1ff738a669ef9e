"""Activity signals from the tenant's own systems (`POST /api/signals/`,
docs/api.md#activity-signals): "this user was active through `source` at `at`".

A request is checked entry by entry in plain Python (a serializer per entry cost more than
the database's work for 10,000 of them), its users resolved in one query and its accepted
entries written in one statement (`accounts.activity.activity_write_sql`), in one
transaction. An entry is either written whole or reported; the request is never half
applied, and replaying it changes nothing.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.activity import RESERVED_SOURCES, activity_write
from accounts.selectors import AMBIGUOUS, users_resolve
from core.validators import has_control_characters

MAX_SIGNALS = 10_000
USER_MAX_LENGTH = 255
# A signal may be this far ahead of the server's clock (the sender's clock may run fast);
# further ahead it is refused, so a wrong clock cannot keep an account for years.
FUTURE_TOLERANCE = timedelta(minutes=5)
# Older times say nothing a policy of at most 3650 days could use; refusing them also keeps
# out the years before 1 that Python cannot read back.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
SOURCE_PATTERN = "^[a-z0-9][a-z0-9_.-]{0,31}$"
# RFC 3339, ASCII digits only (`\d` would take any script's digits).
AT_PATTERN = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?"
    "([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_SOURCE = re.compile(SOURCE_PATTERN)
_AT = re.compile(AT_PATTERN)
_KEYS = frozenset({"user", "at", "source"})


@dataclass
class SignalsOutcome:
    accepted: int = 0
    unknown: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _entry_problem(entry: Any, now: datetime) -> tuple[str, datetime, str] | str:
    """The entry as (user, at, source), or why it is refused."""
    if not isinstance(entry, dict):
        return "Not an object {user, at, source}."
    if entry.keys() != _KEYS:
        missing = sorted(_KEYS - entry.keys())
        extra = sorted(str(key) for key in entry.keys() - _KEYS)
        return "; ".join(
            part
            for part in (
                f"missing: {', '.join(missing)}" if missing else "",
                f"unknown fields: {', '.join(extra)[:200]}" if extra else "",
            )
            if part
        )
    user, at, source = entry["user"], entry["at"], entry["source"]
    if not isinstance(user, str) or not user or len(user) > USER_MAX_LENGTH:
        return (
            f"user: a username, email address or external id of 1 to {USER_MAX_LENGTH} characters."
        )
    if has_control_characters(user):
        return "user: must not contain control characters."
    if not isinstance(source, str) or not _SOURCE.fullmatch(source):
        return "source: lowercase letters, digits, '_', '.' or '-', 1 to 32 characters."
    if source in RESERVED_SOURCES:
        return f"source: '{source}' is the console's own; name your system (sso, app, vpn...)."
    if not isinstance(at, str) or not _AT.fullmatch(at):
        return "at: not a date and time with its offset (RFC 3339, e.g. 2026-03-14T09:30:00Z)."
    try:
        when = datetime.fromisoformat(at.upper().replace("Z", "+00:00"))
    except ValueError:
        return "at: not a date and time that exists."
    if when < EARLIEST:
        return "at: before 2000-01-01."
    if when > now + FUTURE_TOLERANCE:
        return "at: more than 5 minutes in the future."
    # In UTC: RFC 3339 allows offsets up to ±23:59, PostgreSQL reads only up to ±15:59.
    return user, when.astimezone(UTC), source


def signals_record(entries: list[Any], *, now: datetime | None = None) -> SignalsOutcome:
    """Record the valid entries of known users; name the unknown users (who are never
    created) and the refused entries by index. `entries` is a list of at most MAX_SIGNALS
    items of any JSON value (the API checks the list itself)."""
    now = now or timezone.now()
    outcome = SignalsOutcome()
    valid: list[tuple[int, str, datetime, str]] = []
    for index, entry in enumerate(entries):
        checked = _entry_problem(entry, now)
        if isinstance(checked, str):
            outcome.rejected.append({"index": index, "reason": checked})
        else:
            valid.append((index, *checked))
    resolved = users_resolve({user for _index, user, _at, _source in valid})
    unknown: dict[str, None] = {}
    written: list[tuple[int, int, datetime, str]] = []
    for index, user, at, source in valid:
        user_id = resolved.get(user)
        if user_id is None:
            unknown.setdefault(user)
        elif user_id == AMBIGUOUS:
            outcome.rejected.append(
                {
                    "index": index,
                    "reason": "user: several users have this email address; "
                    "name them by username or external id.",
                }
            )
        else:
            written.append((index, user_id, at, source))
    if written:
        with transaction.atomic():
            existing = set(
                activity_write(
                    [user_id for _i, user_id, _at, _s in written],
                    [source for _i, _u, _at, source in written],
                    [at for _i, _u, at, _s in written],
                )
            )
        for index, user_id, _at, _source in written:
            if user_id in existing:
                outcome.accepted += 1
            else:  # deleted between the lookup and the write
                unknown.setdefault(entries[index]["user"])
    outcome.unknown = list(unknown)
    outcome.rejected.sort(key=lambda item: item["index"])
    return outcome
