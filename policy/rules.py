"""The cleanup policy's rules, in one place (docs/architecture.md#cleanup-semantics): its fields,
their defaults and
ranges, the rules between fields, the safety cap and when the next scheduled run is.

Everything else derives from here: the model's defaults, validators and check constraints
(`policy.models.CleanupPolicy`), the API's shape checks and OpenAPI bounds
(`cleanup.serializers`), the write service and the admin form (`policy_check`), the run and
the preview (`cap_exceeded`), and every recompute of `next_run_at` (`next_run_at`).

This module imports no model, so `policy.models` can import it.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q

from core.scopes import TOKEN_MAX_DAYS
from policy import schedule

# Inclusive bounds of the whole-number fields.
RANGES: dict[str, tuple[int, int]] = {
    "inactive_days": (1, 3650),
    "never_logged_in_days": (1, 3650),
    "notice_days": (0, 365),
    "delete_after_days": (1, 3650),
    # API tokens (docs/architecture.md#api-tokens): the longest expiry a new token may have,
    # and how long unused before a run revokes one (null: never).
    "token_max_days": (1, TOKEN_MAX_DAYS),
    "token_inactive_days": (1, 3650),
}
# max_removal_ratio is a share from 1% to 100%: the dashboard shows and edits it as a whole
# percentage, and a smaller share (5e-324 was accepted once) reads as "0%" and means "never
# remove anyone", which is what dry_run is for.
RATIO_MIN, RATIO_MAX = 0.01, 1.0
RATIO_MESSAGE = "Must be from 0.01 to 1 (1% to 100% of eligible users)."


@dataclass(frozen=True)
class PolicySpec:
    """A policy as a plain value, with every field's default: what a run applies, what the
    preview tries, what each report snapshots."""

    inactive_days: int = 90
    never_logged_in_days: int = 30
    action: str = "deactivate"
    dry_run: bool = True
    exempt_groups: list[str] = field(default_factory=list)
    max_removal_ratio: float = 0.5
    on_cap: str = "ask"
    notice_days: int = 14
    delete_after_days: int | None = None
    notify_admins: bool = True
    # A matched user whose notice the address refused: `hold` (not removed, listed for the
    # admins) or `proceed` (removed as a user without an address is).
    on_undeliverable: str = "hold"
    # The tenant's own words (empty: the built-in text) and the notice's language.
    notice_subject: str = ""
    notice_body: str = ""
    notice_reply_to: str = ""
    notice_language: str = "en"
    enabled: bool = True
    schedule: str = "0 3 * * *"
    timezone: str = "UTC"
    token_max_days: int = TOKEN_MAX_DAYS
    token_inactive_days: int | None = 90

    @classmethod
    def from_policy(cls, policy: object) -> "PolicySpec":
        """The fields of a saved policy (a `policy.models.CleanupPolicy`: this module imports
        no model, see the module's docstring)."""
        return cls(**{name: getattr(policy, name) for name in POLICY_FIELDS})

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> "PolicySpec":
        """The policy a report snapshotted. Fields added since take their defaults (which
        for notice_days means a report queued before the upgrade warns first: the safe way)."""
        return cls(**{name: snapshot[name] for name in POLICY_FIELDS if name in snapshot})

    def snapshot(self) -> dict[str, Any]:
        return asdict(self)


# Every field an admin edits.
POLICY_FIELDS = tuple(f.name for f in fields(PolicySpec))
# Fields added with the account lifecycle (docs/architecture.md#notices-and-the-keep-link): a PUT
# may leave them out (they keep
# their value), so scripts written before them keep working.
LIFECYCLE_FIELDS = (
    "on_cap",
    "notice_days",
    "delete_after_days",
    "notify_admins",
    "on_undeliverable",
    "notice_subject",
    "notice_body",
    "notice_reply_to",
    "notice_language",
)
# The same for the API tokens' fields, added after them.
TOKEN_FIELDS = ("token_max_days", "token_inactive_days")
# What a PUT may leave out.
OPTIONAL_FIELDS = LIFECYCLE_FIELDS + TOKEN_FIELDS
DEFAULTS = PolicySpec()


def range_validators(name: str) -> list[Any]:
    """The model field's validators for a whole-number field."""
    low, high = RANGES[name]
    return [MinValueValidator(low), MaxValueValidator(high)]


def ratio_validators() -> list[Any]:
    """The model field's validators for max_removal_ratio."""
    message = RATIO_MESSAGE.replace("%", "%%")  # Django %-formats a validator's message
    return [
        MinValueValidator(RATIO_MIN, message=message),
        MaxValueValidator(RATIO_MAX, message=message),
    ]


def range_condition(name: str) -> Q:
    """The database's check of a whole-number field's range (nulls pass: see the caller)."""
    low, high = RANGES[name]
    return Q(**{f"{name}__gte": low, f"{name}__lte": high})


RATIO_CONDITION = Q(max_removal_ratio__gte=RATIO_MIN, max_removal_ratio__lte=RATIO_MAX)
# The restore window only follows a deactivation (docs/architecture.md#notices-and-the-keep-link).
DELETE_AFTER_DAYS_CONDITION = Q(delete_after_days__isnull=True) | (
    Q(action="deactivate") & range_condition("delete_after_days")
)


def policy_check(values: Mapping[str, Any]) -> None:
    """The rules between fields, on a whole policy (`values` has every field). Raises
    ValidationError naming the field to change. Ranges and types are checked before this,
    by the serializer or the model form."""
    errors = notice_fields_check(values)
    if values.get("delete_after_days") is not None and values.get("action") != "deactivate":
        errors["delete_after_days"] = [
            'Only with action "deactivate": a deleted account has no restore window. '
            "Set it to null, or the action to deactivate."
        ]
    if errors:
        raise ValidationError(errors)


# The tenant's notice text (docs/architecture.md#notices-and-the-keep-link): plain text with
# these placeholders and no other braces. Filled in by a plain substitution of these names
# (cleanup.services.notice_text), never by str.format or a template language: a text such as
# "{0.__class__}" or "{{ settings.SECRET_KEY }}" must reach no object of the server, so it is
# refused here, and would be printed as typed were it ever stored.
NOTICE_PLACEHOLDERS = ("first_name", "tenant", "removal_date", "keep_url", "sign_in_url")
NOTICE_LANGUAGES = ("en", "de")
NOTICE_SUBJECT_MAX_LENGTH = 200
NOTICE_BODY_MAX_LENGTH = 10_000
_PLACEHOLDER = re.compile(r"\{(" + "|".join(NOTICE_PLACEHOLDERS) + r")\}")
# What is left of a brace once the known placeholders are taken out: the unknown one, or a
# stray brace, shown in the error with a little of its context.
_STRAY_BRACE = re.compile(r"\{+[^{}\n]{0,40}\}*|\}+")
_LINE_BREAKS = frozenset("\t\n\r")


def notice_text_problems(text: str, *, line_breaks: bool) -> list[str]:
    """What is wrong with a notice subject or body, in words naming it: unknown placeholders
    or stray braces, and control characters (a body may hold line breaks and tabs)."""
    problems = []
    unknown = list(dict.fromkeys(_STRAY_BRACE.findall(_PLACEHOLDER.sub("", text))))
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in NOTICE_PLACEHOLDERS)
        problems.append(
            f"Unknown placeholder: {', '.join(unknown)}. Use only {known}; braces have no "
            "other use."
        )
    allowed = _LINE_BREAKS if line_breaks else frozenset()
    if any(c not in allowed and unicodedata.category(c) in ("Cc", "Cf") for c in text):
        problems.append(
            "Must not contain control characters"
            + (" other than line breaks and tabs." if line_breaks else " (line breaks, tabs).")
        )
    return problems


def notice_fields_check(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """The notice text's problems by field (empty: none)."""
    errors = {}
    for name, line_breaks in (("notice_subject", False), ("notice_body", True)):
        problems = notice_text_problems(values.get(name) or "", line_breaks=line_breaks)
        if problems:
            errors[name] = problems
    return errors


def cap_exceeded(removing: int, eligible: int, max_removal_ratio: float) -> bool:
    """Whether removing `removing` of `eligible` users is more than the policy allows."""
    return bool(eligible) and removing / eligible > max_removal_ratio


def cap_message(removing: int, eligible: int, max_removal_ratio: float, outcome: str) -> str:
    share = removing / eligible if eligible else 0.0
    return (
        f"Safety cap: the run would remove {removing} of {eligible} eligible users "
        f"({share:.0%}), more than max_removal_ratio {max_removal_ratio:.0%}. {outcome}"
    )


class Scheduled(Protocol):
    """What a schedule is read from: a saved policy or a PolicySpec."""

    @property
    def schedule(self) -> str: ...

    @property
    def timezone(self) -> str: ...


def next_run_at(policy: Scheduled, now: datetime) -> datetime:
    """When the scheduler next runs `policy`: its cron's first time after `now`, in its
    timezone. Recomputed whenever the policy is saved and whenever a run is claimed."""
    return schedule.next_run(policy.schedule, policy.timezone, now)
