"""gunicorn's logger for this project: its access log and error log never show a notice's
keep-link token (`core.logging.redact`).

The access log prints every request's path, and an error handling a request prints it
too; a keep link's path is its token, which keeps an account. Named in
infra/gunicorn.conf.py (`logger_class`).
"""

from typing import Any

from gunicorn.glogging import Logger

from core.logging import KeepTokenFilter

# One instance: a logger keeps a filter only once, so a configuration reload (which runs
# setup again) adds nothing.
_KEEP_TOKENS = KeepTokenFilter()


class RedactingLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(_KEEP_TOKENS)
