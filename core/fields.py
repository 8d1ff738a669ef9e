"""Serializer fields that take JSON types at their word, and whose OpenAPI schema states every
rule they check.

DRF coerces by default (`"5"` → 5, `0` → False, `7` → "7"), so a body that contradicts the
OpenAPI document would be accepted. The API is JSON-only: these fields reject wrong types.

The document must also refuse what the server refuses, so that a client generated from it (or
a fuzzer) never sends a body it allows and the server answers 400. DRF's CharField refuses NUL
and, once it has trimmed the value, a blank one: `StrictCharField`'s schema says both with a
`pattern`, and with `control_characters=False` it refuses (and says it refuses) every control
character. Patterns use only what ECMA-262 and Python's `re` read alike: `\\uXXXX` escapes of
characters of the Basic Multilingual Plane, classes, groups and anchors.
"""

import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from django.contrib.auth.password_validation import (
    CommonPasswordValidator,
    MinimumLengthValidator,
    NumericPasswordValidator,
    get_default_password_validators,
)
from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from core.validators import CONTROL_CHARACTERS_MESSAGE, has_control_characters

BMP = range(0x10000)
# What `StrictCharField(control_characters=False)` refuses beyond its pattern.
ASTRAL_FORMAT_CHARACTERS = (
    "No format character outside the BMP either (e.g. the invisible tag characters "
    "U+E0000-U+E007F), which the pattern cannot express."
)


def _class_body(codes: Iterable[int]) -> str:
    """A regex character class's body (no brackets) holding exactly `codes` (BMP only), as
    ranges of `\\uXXXX` escapes."""
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(
        f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges
    )


@lru_cache
def _codes(kind: str) -> frozenset[int]:
    predicates: dict[str, Callable[[str], bool]] = {
        # What str.strip() removes, hence what DRF's trimming removes: all in the BMP.
        "space": str.isspace,
        # Control (Cc) and format characters (Cf), the server's own rule: the pattern says
        # what `StrictCharField(control_characters=False)` refuses.
        "control": has_control_characters,
        # What str.isdigit() counts as a digit (Django's NumericPasswordValidator).
        "digit": str.isdigit,
        "surrogate": lambda c: unicodedata.category(c) == "Cs",
    }
    return frozenset(code for code in BMP if predicates[kind](chr(code)))


def text_pattern(*, control_characters: bool, blank: bool) -> str:
    """The pattern of a string the server accepts: no NUL (DRF refuses it) or, with
    `control_characters` False, no control character at all; and unless `blank`, at least one
    character that is not whitespace (DRF trims the value, then refuses it blank)."""
    forbidden = _codes("control") if not control_characters else frozenset({0})
    allowed_anywhere = f"[^{_class_body(forbidden)}]*"
    if blank:
        return f"^{allowed_anywhere}$"
    some_text = f"[^{_class_body(forbidden | _codes('space'))}]"
    return f"^{allowed_anywhere}{some_text}{allowed_anywhere}$"


def template_pattern(placeholders: Iterable[str], *, line_breaks: bool) -> str:
    """The pattern of a tenant's non-blank text with placeholders: braces only as one of
    `placeholders` (`{name}`), no control or format character — but tab, line feed and
    carriage return when `line_breaks`. (A field that allows blank gets drf-spectacular's
    `oneOf` with `maxLength: 0`: this pattern must not match "" too.)"""
    forbidden = _codes("control") - ({9, 10, 13} if line_breaks else set())
    names = "|".join(placeholders)
    # Ended by a lookahead, not `$`: a fuzzer that folds maxLength into a pattern ending in
    # `…)*$` rewrites it and drops the backslash of `\}`, which ECMA-262 then refuses.
    return f"^(?:[^{{}}{_class_body(forbidden)}]|\\{{(?:{names})\\}})+(?![\\s\\S])"


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictCharField(serializers.CharField):
    """A string, never a coerced number. `control_characters=False` refuses every control
    character (tab and newline included).

    Some rules are a service's (shared with commands and Django admin), which reports them
    with the other fields' problems: `defer_blank` lets a blank value through to it (as "")
    though the document, like `allow_blank=False`, says it is refused; `schema_pattern` is
    the pattern the service's rule is written as, for the document.
    """

    default_error_messages = {
        "invalid": "Not a valid string.",
        "control_characters": CONTROL_CHARACTERS_MESSAGE,
    }

    def __init__(
        self,
        *,
        control_characters: bool = True,
        defer_blank: bool = False,
        schema_pattern: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.control_characters = control_characters
        self.defer_blank = defer_blank
        self.schema_pattern = schema_pattern

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if self.defer_blank and isinstance(data, str) and not data.strip():
            return ""
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not self.control_characters and has_control_characters(value):
            self.fail("control_characters")
        return value


class StrictCharFieldSchema(OpenApiSerializerFieldExtension):
    """Adds the `pattern` of what StrictCharField accepts, unless a RegexValidator of the
    field gives one (drf-spectacular writes that one: it is the stricter rule)."""

    target_class = StrictCharField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> Any:
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        if not field.control_characters:
            # ECMA-262 patterns (without the `u` flag) cannot name a character outside the
            # BMP, so the words say what the pattern cannot.
            schema["description"] = " ".join(
                filter(None, [schema.get("description"), ASTRAL_FORMAT_CHARACTERS])
            )
        if field.schema_pattern:
            schema["pattern"] = field.schema_pattern
        elif not any(isinstance(v, RegexValidator) for v in field.validators):
            schema.setdefault(
                "pattern",
                text_pattern(
                    control_characters=field.control_characters,
                    # Trimmed, a value of spaces is blank; untrimmed, only "" is.
                    blank=field.allow_blank or not field.trim_whitespace,
                ),
            )
        return schema


class NewPasswordField(StrictCharField):
    """A password to set, taken as typed (untrimmed). The service checks it with Django's
    password validators; the document states what of them a schema can: the minimum length
    and "not all digits" (MinimumLengthValidator, NumericPasswordValidator)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("write_only", True)
        super().__init__(**kwargs)


class NewPasswordFieldSchema(OpenApiSerializerFieldExtension):
    target_class = NewPasswordField
    match_subclasses = True
    priority = 1  # before StrictCharFieldSchema, which would match it too

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> Any:
        schema = StrictCharFieldSchema(self.target).map_serializer_field(auto_schema, direction)
        if self.target.max_length is not None:
            schema["maxLength"] = self.target.max_length
        rules, unstated = [], ""
        for validator in get_default_password_validators():
            if isinstance(validator, MinimumLengthValidator):
                schema["minLength"] = validator.min_length
                rules.append(f"at least {validator.min_length} characters")
            elif isinstance(validator, NumericPasswordValidator):
                # One character of the BMP that is neither a digit nor NUL (nor half of a
                # surrogate pair, which ECMA-262 without the u flag sees): stricter than the
                # server for a password of astral characters only, never looser.
                not_digit = _bmp_class_except(_codes("digit") | _codes("surrogate") | {0})
                schema["pattern"] = f"^[^\\u0000]*{not_digit}[^\\u0000]*$"
                rules.append("not only digits")
            elif isinstance(validator, CommonPasswordValidator):
                unstated = " A commonly used password (Django's list) is also a 400."
        # Wrapped, so that drf-spectacular puts its own `minLength: 1` (and the field's
        # validators, already stated here) beside these rules instead of over them.
        wrapped: dict[str, Any] = {"allOf": [schema]}
        if rules or unstated:
            wrapped["description"] = f"Taken as typed: {', '.join(rules)}.{unstated}"
        return wrapped


def _bmp_class_except(excluded: frozenset[int]) -> str:
    """A positive character class of every BMP character not in `excluded`."""
    return f"[{_class_body(code for code in BMP if code not in excluded)}]"


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# Addresses Django's EmailValidator accepts, in the part a pattern both ECMA-262 and Python
# read alike can state: a dot-atom local part at an ASCII host name whose top-level label is
# letters. (Django also takes quoted local parts, international and IP-literal hosts and
# `localhost`: the document is stricter there, never looser.)
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ATOM = "[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+"
EMAIL_PATTERN = f"^{_ATOM}(?:[.]{_ATOM})*@(?:{_LABEL}[.])+[A-Za-z][A-Za-z-]{{0,61}}[A-Za-z]$"


class StrictEmailFieldSchema(OpenApiSerializerFieldExtension):
    target_class = StrictEmailField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema["pattern"] = EMAIL_PATTERN
        return schema


class StrictRegexField(serializers.RegexField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDateTimeField(serializers.DateTimeField):
    """An ISO 8601 string in ASCII only. DRF also takes a datetime object, and Django's parser
    matches `\\d`, which accepts any script's digits (Arabic-Indic ones spell a valid date)."""

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not value.isascii():
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]")
        return super().to_internal_value(value)
