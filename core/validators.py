"""Validators shared by models, services and serializers (no app imports here)."""

import unicodedata

from django.core.exceptions import ValidationError

CONTROL_CHARACTERS_MESSAGE = (
    "Must not contain control characters (line breaks, tabs, invisible formatting marks)."
)


def has_control_characters(value: str) -> bool:
    """Whether `value` holds a control (Cc) or format (Cf) character, in any plane."""
    return any(unicodedata.category(c) in ("Cc", "Cf") for c in value)


def no_control_characters(value: str) -> None:
    """Refuse control (Cc: CR, LF, tab, NUL...) and format (Cf: zero-width and bidirectional
    marks...) characters. A tenant's name goes into email subjects and sender names, logs,
    CSV exports and pages, where such characters split header lines or disguise the text."""
    if has_control_characters(str(value)):
        raise ValidationError(CONTROL_CHARACTERS_MESSAGE, code="control_characters")
