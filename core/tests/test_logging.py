"""Log lines: key=value by default, one JSON object per line with LOG_FORMAT=json."""

import json
import logging
import secrets
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.logging import JsonFormatter, KeyValueFormatter, redact

ROOT = Path(__file__).resolve().parents[2]


def record(
    msg: str = "cleanup.run.finished", exc_info: Any = None, **extra: Any
) -> logging.LogRecord:
    logger = logging.getLogger("cleanup.tasks")
    return logger.makeRecord(
        logger.name, logging.WARNING, __file__, 1, msg, (), exc_info, extra=extra
    )


def one_json_line(text: str) -> dict[str, Any]:
    assert "\n" not in text
    parsed = json.loads(text)
    assert isinstance(parsed, dict)
    return parsed


def test_a_record_with_extra_fields_becomes_one_json_object() -> None:
    line = JsonFormatter().format(record(tenant="acme", report_id=7, removed=12))

    parsed = one_json_line(line)

    assert parsed["level"] == "WARNING"
    assert parsed["logger"] == "cleanup.tasks"
    assert parsed["event"] == "cleanup.run.finished"
    assert datetime.fromisoformat(parsed["time"]).tzinfo is not None
    assert (parsed["tenant"], parsed["report_id"], parsed["removed"]) == ("acme", 7, 12)


def test_extra_fields_json_cannot_encode_are_written_as_text() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    error = ValueError("broker\nlost")

    parsed = one_json_line(
        JsonFormatter().format(record(started_at=when, error=error, amount=Decimal("1.5")))
    )

    assert parsed["started_at"] == "2026-01-02T03:04:05+00:00"
    assert parsed["error"] == "broker\nlost"
    assert parsed["amount"] == "1.5"


def test_an_exception_with_its_traceback_stays_on_the_one_line() -> None:
    try:
        raise RuntimeError("database\ngone")
    except RuntimeError:
        line = JsonFormatter().format(record("cleanup.run.crashed", exc_info=sys.exc_info()))

    parsed = one_json_line(line)

    assert parsed["event"] == "cleanup.run.crashed"
    assert "Traceback (most recent call last)" in parsed["exc_info"]
    assert "RuntimeError: database\ngone" in parsed["exc_info"]


def test_a_message_with_arguments_is_formatted_into_the_event() -> None:
    logger = logging.getLogger("x")
    rec = logger.makeRecord("x", logging.INFO, __file__, 1, "took %s s", (3,), None)

    assert one_json_line(JsonFormatter().format(rec))["event"] == "took 3 s"


def test_the_key_value_format_is_unchanged() -> None:
    formatter = KeyValueFormatter("%(levelname)s %(name)s %(message)s")

    line = formatter.format(record(tenant="acme", report_id=7))

    assert line == "WARNING cleanup.tasks cleanup.run.finished tenant=acme report_id=7"


def log_once(log_format: str | None) -> subprocess.CompletedProcess[str]:
    """A fresh Django process, configured from the environment, logging one event."""
    code = (
        "import django, logging\n"
        "django.setup()\n"
        "logging.getLogger('cleanup.tasks').warning("
        "'cleanup.run.finished', extra={'tenant': 'acme', 'report_id': 7})\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "ENV_FILE": "", "DEBUG": "1"}
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    if log_format is not None:
        env["LOG_FORMAT"] = log_format
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_log_format_json_makes_every_process_log_json_lines() -> None:
    result = log_once("json")

    assert result.returncode == 0, result.stderr
    parsed = one_json_line(result.stderr.strip())
    assert (parsed["event"], parsed["tenant"], parsed["report_id"]) == (
        "cleanup.run.finished",
        "acme",
        7,
    )


@pytest.mark.parametrize("log_format", [None, "text"])
def test_the_default_log_format_is_key_value(log_format: str | None) -> None:
    result = log_once(log_format)

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith(
        "WARNING cleanup.tasks cleanup.run.finished tenant=acme report_id=7"
    )


def test_an_unknown_log_format_is_refused_at_start_up() -> None:
    result = log_once("xml")

    assert result.returncode != 0
    assert "LOG_FORMAT must be" in result.stderr


# --- Keep-link tokens never reach a log line

TOKEN = "eyJ1IjozMTEsIm4iOjEwNDIsImUiOjE3NzQwNjIwMDB9:1xWl8r:AK5qSecretSignature"


class FakeRequest:
    def __str__(self) -> str:
        return f"<WSGIRequest: GET '/keep/{TOKEN}/'>"


def bad_request_record() -> logging.LogRecord:
    """What django.request logs for a 400 answer: the path as an argument, the request as an
    extra field."""
    logger = logging.getLogger("django.request")
    return logger.makeRecord(
        logger.name,
        logging.WARNING,
        __file__,
        1,
        "%s: %s",
        ("Bad Request", f"/keep/{TOKEN}/"),
        None,
        extra={"status_code": 400, "request": FakeRequest()},
    )


def test_the_key_value_format_redacts_keep_tokens_in_the_message_and_the_fields() -> None:
    line = KeyValueFormatter("%(levelname)s %(name)s %(message)s").format(bad_request_record())

    assert line == (
        "WARNING django.request Bad Request: /keep/[redacted]/ status_code=400 "
        "request=<WSGIRequest: GET '/keep/[redacted]/'>"
    )


def test_the_json_format_redacts_keep_tokens_in_the_message_and_the_fields() -> None:
    parsed = one_json_line(JsonFormatter().format(bad_request_record()))

    assert parsed["event"] == "Bad Request: /keep/[redacted]/"
    assert parsed["request"] == "<WSGIRequest: GET '/keep/[redacted]/'>"
    assert parsed["status_code"] == 400


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (f"GET /keep/{TOKEN}/ HTTP/1.1", "GET /keep/[redacted]/ HTTP/1.1"),
        (f"/keep/{TOKEN}", "/keep/[redacted]"),
        (f"/keep/{TOKEN.replace(':', '%3A')}/?x=1", "/keep/[redacted]/?x=1"),
        (
            f'"https://acme.example.com/keep/{TOKEN}/"',
            '"https://acme.example.com/keep/[redacted]/"',
        ),
        ("/keep/ and /keeper/x and /api/keep", "/keep/ and /keeper/x and /api/keep"),
    ],
)
def test_redact_replaces_the_segment_after_keep_and_nothing_else(text: str, redacted: str) -> None:
    assert redact(text) == redacted
