"""Event-style log lines: `<time> <level> <logger> <event> key=value ...`, or with
LOG_FORMAT=json one JSON object per line.

Code logs an event name with structured `extra=` fields; these formatters print those
fields, so `cleanup.run.finished tenant=acme report_id=7 removed=12` is greppable, and a
log shipper gets `{"event": "cleanup.run.finished", "tenant": "acme", ...}`.
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _extra(record)
        if fields:
            line += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return line


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
        return json.dumps(entry, default=_text, ensure_ascii=False)
