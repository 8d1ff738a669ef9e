"""Cron schedules evaluated in a tenant's timezone, with croniter and cron-descriptor."""

import zoneinfo
from datetime import UTC, datetime
from functools import lru_cache

from cron_descriptor import ExpressionDescriptor
from croniter import CroniterError, croniter
from django.core.exceptions import ValidationError


@lru_cache(maxsize=1)
def timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_cron(expression: str) -> None:
    """A standard 5-field cron expression (minute hour day-of-month month day-of-week)."""
    if not isinstance(expression, str) or len(expression.split()) != 5:
        raise ValidationError(
            "Enter a 5-field cron expression, e.g. '0 3 * * *' (minute hour day month weekday)."
        )
    if not croniter.is_valid(expression):
        raise ValidationError(f"'{expression}' is not a valid cron expression.")
    try:
        # croniter searches a bounded number of years ahead (its max_years_between_matches)
        # and gives up on a date that does not exist, such as 31 February.
        croniter(expression, datetime.now(UTC)).get_next(datetime)
    except (CroniterError, ValueError, OverflowError) as exc:
        raise ValidationError(
            f"'{expression}' never fires: no such date (e.g. 31 February or 31 April)."
        ) from exc


def validate_timezone(name: str) -> None:
    if name not in timezones():
        raise ValidationError(f"'{name}' is not an IANA timezone name, e.g. 'Europe/Paris'.")


def next_run(expression: str, timezone: str, after: datetime) -> datetime:
    """The first time strictly after `after` that the cron matches, in `timezone`, as UTC."""
    local_after = after.astimezone(zoneinfo.ZoneInfo(timezone))
    nxt: datetime = croniter(expression, local_after).get_next(datetime)
    return nxt.astimezone(zoneinfo.ZoneInfo("UTC"))


def describe(expression: str) -> str:
    """Human text, e.g. 'At 03:00'; the expression itself when it cannot be described."""
    try:
        return str(ExpressionDescriptor(expression, use_24hour_time_format=True))
    except Exception:  # cron-descriptor raises its own assorted errors on odd input
        return expression
