"""Event-style log lines: `<time> <level> <logger> <event> key=value ...`, or with
LOG_FORMAT=json one JSON object per line.

Code logs an event name with structured `extra=` fields; these formatters print those
fields, so `cleanup.run.finished tenant=acme report_id=7 removed=12` is greppable, and a
log shipper gets `{"event": "cleanup.run.finished", "tenant": "acme", ...}`.

No line shows a notice's keep-link token: the token keeps an account, so whoever reads the
logs could keep anyone's; nor an API token's secret, should one end up in a URL or a
message. Both formatters redact them from the whole line (message, extra fields such as
django.request's `request`, traceback), and gunicorn's access and error logs go through
`KeepTokenFilter` (`core.access_log`).
"""

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

# The path segment after /keep/, however it is spelled (percent-encoded colons included),
# up to whatever ends a path in a log line.
_KEEP_TOKEN = re.compile(r"(/keep/)[^/\s?#\"'\\<>]+")
# An API token's secret (docs/architecture.md#api-tokens), wherever one lands by mistake (a
# URL, a pasted header): the prefix stays, to say which token it was.
_API_TOKEN_SECRET = re.compile(r"(cc_[a-z0-9]{8}_)[A-Za-z0-9]{40}")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` with every keep-link token and API token secret replaced by `[redacted]`."""
    text = _KEEP_TOKEN.sub(rf"\g<1>{REDACTED}", text)
    return _API_TOKEN_SECRET.sub(rf"\g<1>{REDACTED}", text)


class KeepTokenFilter(logging.Filter):
    """Redacts keep-link tokens from a record's message, for loggers whose handlers format
    with formatters of their own (gunicorn's). Filters nothing out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _extra(record)
        if fields:
            line += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return redact(line)


def _text(value: Any) -> Any:
    # Datetimes as ISO 8601; anything else JSON cannot encode (exceptions, Decimals,
    # model instances) as its str(), so a log call never fails over an odd extra.
    return value.isoformat() if isinstance(value, datetime) else str(value)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, newlines escaped: a traceback stays on its line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update(_extra(record))
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return redact(json.dumps(entry, default=_text, ensure_ascii=False))
