"""Cron schedules evaluated in a tenant's timezone, with croniter and cron-descriptor."""

import re
import zoneinfo
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources

from cron_descriptor import ExpressionDescriptor
from croniter import CroniterError, croniter
from django.core.exceptions import ValidationError


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" for c in word)


def _either(*options: str) -> str:
    return "(?:" + "|".join(options) + ")"


def _field(value: str, *extra: str) -> str:
    """One cron field: a comma-separated list of `*`, a value or a range of values, each
    with an optional step, or one of `extra`."""
    item = _either(r"\*", value, f"{value}-{value}") + "(?:/[1-9][0-9]?)?"
    if extra:
        item = _either(item, *extra)
    return f"{item}(?:,{item})*"


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_WEEKDAY = _either("[0-7]", *map(_any_case, _WEEKDAYS))
_NTH_WEEKDAY = f"{_WEEKDAY}#[1-5]"  # the 2nd Monday: 1#2
# What the API accepts as a schedule, and what its OpenAPI document states as the pattern:
# minute, hour, day of month (or `L`, its last day), month (1-12 or jan-dec), day of week
# (0-7 with 0 and 7 Sunday, or sun-sat; or `n#k`, the k-th weekday n of the month), with
# lists, ranges and steps up to 99; `?` for a whole day field. Every such string is one
# croniter parses (a property test checks it): only the common syntax, written in the subset
# of regular expressions ECMA-262 and Python share, so a client validates as the server does.
# What no regular expression says: a date that never comes (31 February), refused below.
CRON_PATTERN = (
    "^"
    + " ".join(
        [
            _field("[0-5]?[0-9]"),
            _field(_either("[01]?[0-9]", "2[0-3]")),
            _either(r"\?", _field(_either("0?[1-9]", "[12][0-9]", "3[01]"), "L")),
            _field(_either("0?[1-9]", "1[0-2]", *map(_any_case, _MONTHS))),
            _either(r"\?", _field(_WEEKDAY), f"{_NTH_WEEKDAY}(?:,{_NTH_WEEKDAY})*"),
        ]
    )
    + "$"
)
CRON_MAX_LENGTH = 100
_CRON_RE = re.compile(CRON_PATTERN)
CRON_INVALID = (
    "Enter a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. "
    "'0 3 * * *' or '30 4 * * mon-fri'."
)


@lru_cache(maxsize=1)
def timezones() -> frozenset[str]:
    """The IANA names a policy may use: the pinned `tzdata` package's, the same on every
    machine (zoneinfo.available_timezones() adds whatever the system's zoneinfo holds, such
    as `localtime`), so the OpenAPI document's list is the one the server checks."""
    return frozenset(tzdata_zones())


def tzdata_zones() -> list[str]:
    return (resources.files("tzdata") / "zones").read_text(encoding="utf-8").split()


def validate_cron(expression: str) -> None:
    """A 5-field cron expression of CRON_PATTERN's syntax that fires some day."""
    if not isinstance(expression, str) or not _CRON_RE.fullmatch(expression):
        raise ValidationError(CRON_INVALID)
    if not croniter.is_valid(expression):  # unreachable while the pattern holds; fail closed
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
