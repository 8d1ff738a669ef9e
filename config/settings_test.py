"""Settings for the test suite: the real ones, plus a throwaway key and a fast hasher."""

import os
import secrets

# The same settings whatever the shell or a developer's `.env` holds: no `.env` file,
# production mode, and a fresh key (processes the tests start inherit all three).
os.environ.update(ENV_FILE="", DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50))

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The test client speaks plain HTTP; the production default would redirect it to HTTPS.
SECURE_SSL_REDIRECT = False

# Tests get their own Redis database, so a `make run` worker never eats their tasks.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CELERY_BROKER_URL = CELERY_RESULT_BACKEND = REDIS_URL
CACHES["default"]["LOCATION"] = REDIS_URL  # noqa: F405
# Connections close after each task or thread, so the test database can be dropped at the end.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
CLEANUP_FANOUT_JITTER_S = 0
