"""The OpenAPI document states the server's rules: what its patterns and enums allow, the
server accepts. Rule by rule, with many more values than the end-to-end fuzz
(test_fuzz.py, "every body the document allows is accepted") can afford to send."""

import re
import unicodedata
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
from croniter import croniter
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from core.fields import ASTRAL_FORMAT_CHARACTERS, EMAIL_PATTERN, StrictCharField
from policy.schedule import CRON_PATTERN, next_run, timezones, validate_cron, validate_timezone

RULES = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


@cache
def document() -> dict[str, Any]:
    return SchemaGenerator(urlconf="config.urls_openapi").get_schema(request=None, public=True)  # type: ignore[no-any-return]


def component(name: str) -> dict[str, Any]:
    return document()["components"]["schemas"][name]  # type: ignore[no-any-return]


def request_bodies() -> dict[str, dict[str, Any]]:
    """Every component a request body uses, by name."""
    names = set()
    for item in document()["paths"].values():
        for operation in item.values():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                names.add(body["schema"]["$ref"].rsplit("/", 1)[1])
    return {name: component(name) for name in sorted(names)}


def string_rules(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path, schema) of every string a request body holds, nested objects and lists too."""
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(path: str, node: dict[str, Any]) -> None:
        if "$ref" in node:
            walk(path, component(node["$ref"].rsplit("/", 1)[1]))
        for part in node.get("allOf", []) + node.get("oneOf", []):
            walk(path, part)
        if node.get("type") == "string" and node.get("maxLength") != 0:  # 0: blank only
            found.append((path, node))
        if node.get("type") == "array":
            walk(f"{path}[]", node["items"])
        for name, child in node.get("properties", {}).items():
            walk(f"{path}.{name}", child)

    walk("", schema)
    return found


@pytest.mark.parametrize("name", list(request_bodies()))
def test_every_string_of_a_request_body_is_bounded_by_a_pattern_an_enum_or_a_format(
    name: str,
) -> None:
    # A new field of a plain CharField would let NUL and blanks through the document.
    for path, rule in string_rules(component(name)):
        assert {"pattern", "enum", "format"} & set(rule), f"{name}{path}: {rule}"


# --- Cron


@RULES
@given(st.from_regex(CRON_PATTERN, fullmatch=True))
def test_every_schedule_the_pattern_allows_is_one_croniter_parses(expression: str) -> None:
    assert croniter.is_valid(expression)
    try:
        validate_cron(expression)
    except ValidationError as exc:  # the one refusal the document describes, not patterns
        assert "never fires" in exc.messages[0]


@pytest.mark.parametrize(
    "expression",
    [
        "0 3 * * *",
        "*/15 * * * *",
        "30 4 * * mon-fri",
        "0 0 29 2 *",
        "0 3 L * *",
        "0 3 * * 1#2",
        "0 3 ? * MON",
        "0,30 8-18/2 1,15 jan-jun,DEC 0-6",
    ],
)
def test_common_schedules_match_the_pattern_and_are_accepted(expression: str) -> None:
    assert re.search(component("CronExpression")["pattern"], expression)
    validate_cron(expression)


@pytest.mark.parametrize(
    "expression",
    ["0 3 * *", "0 3 * * * *", "61 3 * * *", "0 24 * * *", "H 3 * * *", "0 3 15W * *", ""],
)
def test_what_the_pattern_refuses_the_server_refuses(expression: str) -> None:
    assert not re.search(component("CronExpression")["pattern"], expression)
    with pytest.raises(ValidationError, match="5-field cron expression"):
        validate_cron(expression)


# --- Timezones


def test_the_document_lists_the_timezones_the_server_accepts() -> None:
    assert set(component("Timezone")["enum"]) == timezones()


def test_every_listed_timezone_can_be_scheduled() -> None:
    now = datetime.now(UTC)
    for name in component("Timezone")["enum"]:
        validate_timezone(name)
        assert next_run("0 3 * * *", name, now) > now


# --- Text


TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            "\x00\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x7f\x85\xa0\u1680\u2000\u200b\u2028\u3000\ufeff"
        ),
        st.characters(codec="utf-8"),
    ),
    max_size=12,
)


def accepts(field: serializers.CharField, value: str) -> bool:
    try:
        field.run_validation(value)
    except serializers.ValidationError:
        return False
    return True


FIELDS = {
    "trimmed": StrictCharField(max_length=150),
    "trimmed, blank allowed": StrictCharField(max_length=150, allow_blank=True),
    "untrimmed": StrictCharField(max_length=150, trim_whitespace=False),
    "no control characters": StrictCharField(max_length=150, control_characters=False),
}


def rule_of(field: StrictCharField) -> dict[str, Any]:
    """The field's schema in a request body, as the document would state it."""

    class Body(serializers.Serializer):
        value = field

    body = Body(context={"view": None})  # a context: no view to build one from
    return AutoSchema()._map_serializer(body, "request")["properties"]["value"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", list(FIELDS))
@RULES
@given(value=TEXT)
@example(value="\x00")
@example(value=" \u3000 ")
@example(value="a\tb")
@example(value="\u0085abc")
def test_a_string_the_document_allows_is_one_the_field_accepts(kind: str, value: str) -> None:
    field = FIELDS[kind]
    rule = rule_of(field)
    pattern = rule.get("pattern") or rule["oneOf"][0]["pattern"]
    allowed = bool(re.search(pattern, value)) or (value == "" and field.allow_blank)
    if not field.control_characters and any(
        ord(c) > 0xFFFF and unicodedata.category(c) == "Cf" for c in value
    ):
        # Refused in words: the pattern cannot name characters outside the BMP.
        allowed = allowed and ASTRAL_FORMAT_CHARACTERS not in rule.get("description", "")
    if allowed and rule.get("minLength", 0) <= len(value) <= 150:
        assert accepts(field, value)


def test_format_characters_outside_the_bmp_are_refused_and_said_to_be() -> None:
    field = FIELDS["no control characters"]
    assert ASTRAL_FORMAT_CHARACTERS in rule_of(field)["description"]
    assert not accepts(field, "a\U000e0020b")  # an invisible tag character


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("trimmed", "\x00"),
        ("trimmed", "a\x00b"),
        ("trimmed", " \t\u3000\u2028 "),
        ("untrimmed", "a\x00"),
        ("no control characters", "a\tb"),
        ("no control characters", "a\x85b"),
    ],
)
def test_what_the_document_refuses_the_field_refuses(kind: str, value: str) -> None:
    field = FIELDS[kind]
    rule = rule_of(field)
    assert not re.search(rule.get("pattern") or rule["oneOf"][0]["pattern"], value)
    assert not accepts(field, value)


# --- New passwords


def password_rule() -> dict[str, Any]:
    admin = component("TenantAdminInputRequest")["properties"]["password"]
    return admin["allOf"][0]  # type: ignore[no-any-return]


@RULES
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=8, max_size=12))
@example("١٢٣٤٥٦٧٨")  # Arabic-Indic digits: all digits to Django too
@example("²³¹⁴⁵⁶⁷⁸")  # str.isdigit() says digits, though \\d does not
def test_a_new_password_the_document_allows_passes_the_password_rules_it_states(
    password: str,
) -> None:
    rule = password_rule()
    if re.search(rule["pattern"], password) and len(password) >= rule["minLength"]:
        try:
            validate_password(password)
        except ValidationError as exc:  # the one rule no pattern states
            assert exc.messages == ["This password is too common."]


# --- Email addresses


@RULES
@given(st.from_regex(EMAIL_PATTERN, fullmatch=True).filter(lambda address: len(address) <= 254))
def test_an_address_the_document_allows_is_one_django_accepts(address: str) -> None:
    EmailValidator()(address)
