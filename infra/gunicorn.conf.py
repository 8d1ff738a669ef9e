"""gunicorn settings; every value can be overridden from the environment."""

import os

from core.envfile import env_file_read
from core.serving import gunicorn_bind

# `make run` hands its processes the shell's variables only: `.env` fills in the rest here,
# as it does in settings, so GUNICORN_* set there apply too.
env_file_read()

# Also the port of development links (TENANT_URL's default): core.serving.
bind = gunicorn_bind()
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
accesslog = "-"
errorlog = "-"
# Prints paths with a notice's keep-link token redacted: the token keeps an account.
logger_class = "core.access_log.RedactingLogger"
