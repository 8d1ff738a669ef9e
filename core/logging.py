"""Event-style log lines: `<time> <level> <logger> <event> key=value ...`.

Code logs an event name with structured `extra=` fields; this formatter prints those
fields, so `cleanup.run.finished tenant=acme report_id=7 removed=12` is greppable.
"""

import logging

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if fields:
            line += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return line
