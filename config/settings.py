"""Settings, all from the environment (django-environ); `.env` is read if present.

Every variable is documented in `.env.example`.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from core.envfile import env_file_read
from core.secret_key import MISSING_DEVELOPMENT_KEY, require_strong_secret, secret_from_file
from core.serving import development_url, gunicorn_bind

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# The file read for variables the environment does not set (it never overrides them);
# set only in the environment. Empty: read none (the test settings, so a developer's
# `.env` cannot change how tests behave).
ENV_FILE = env_file_read()

DEBUG = env.bool("DEBUG", default=False)
# Read literally, not through django-environ, which takes a value starting with "$" for the
# name of another variable: about one key in 50 that Django generates starts with "$".
# Unset or empty, the key is read from SECRET_KEY_FILE (docker compose generates one there).
# There is no fallback, whatever DEBUG says: a key written in the code is a key anyone can
# sign sessions and tokens with.
SECRET_KEY = os.environ.get("SECRET_KEY", "") or secret_from_file(
    "SECRET_KEY", os.environ.get("SECRET_KEY_FILE", "")
)
# Tokens are signed with SECRET_KEY unless a key of their own is set.
JWT_SIGNING_KEY = os.environ.get("JWT_SIGNING_KEY", "")
if not DEBUG:
    require_strong_secret("SECRET_KEY", SECRET_KEY)
    if JWT_SIGNING_KEY:
        require_strong_secret("JWT_SIGNING_KEY", JWT_SIGNING_KEY)
elif not SECRET_KEY:
    raise ImproperlyConfigured(MISSING_DEVELOPMENT_KEY)

# Tenants live on subdomains of BASE_DOMAIN; the public (operators') site on BASE_DOMAIN itself.
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- HTTPS: on by default with DEBUG off, each can be turned off on its own (e.g. the SSL
# redirect where the load balancer already redirects). /healthz and /readyz are answered
# before SecurityMiddleware, so load-balancer probes over plain HTTP are never redirected.
# Behind a proxy that terminates TLS and sets X-Forwarded-Proto (and strips a client's):
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https
SECURE_PROXY_SSL_HEADER = tuple(env.list("SECURE_PROXY_SSL_HEADER", default=[])) or None
if SECURE_PROXY_SSL_HEADER and len(SECURE_PROXY_SSL_HEADER) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER must be a header and a value: HTTP_X_FORWARDED_PROTO,https"
    )
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)

# Content-Security-Policy (django-csp): scripts only from this origin, never inline (the
# API docs use drf-spectacular's split view, whose init script is a URL of its own).
# Inline styles are allowed: Swagger UI's page and Django admin's templates carry some.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

SHARED_APPS = [
    # `tenants` comes first so its `migrate`/`migrate_schemas` (which also refresh the
    # template schema new tenants are cloned from) win over django-tenants' own.
    "tenants",
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "accounts",
    # Also a tenant app: in each schema, blacklisted refresh tokens point at that schema's
    # user table (operators' in public, each tenant's in its own).
    "rest_framework_simplejwt.token_blacklist",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI's files, served from /static/ instead of a CDN.
    "drf_spectacular_sidecar",
    "csp",
    "django_celery_beat",
    # Also a tenant app: operators' actions are logged in public, tenant admins' in their schema.
    "activity",
    # Each tenant's policy, the registry of its active run and the finished runs' history:
    # public-schema tables, so the fleet is read without visiting tenant schemas.
    "policy",
    # The operators' work across tenants (no models of its own).
    "fleet",
    # Also a tenant app: endpoints, events and deliveries in each tenant's schema; the
    # registry of tenants with webhooks (what the sweeper visits) in public.
    "webhooks",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "accounts",
    # Blacklisted refresh tokens point at the per-schema user table.
    "rest_framework_simplejwt.token_blacklist",
    "cleanup",
    "activity",
    "webhooks",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# New tenants are cloned from this schema (kept migrated by `manage.py migrate`) instead of
# running every migration: ~10x faster tenant creation.
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# `migrate_schemas` migrates the schemas that are behind (schemas already up to date are
# skipped) in parallel processes: `multiprocessing` (django-tenants' executor) or `standard`
# (one after another). Each process holds its own database connection.
MIGRATION_EXECUTOR = env("MIGRATION_EXECUTOR", default="multiprocessing")
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("MIGRATION_PROCESSES", default=4)
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False

MIDDLEWARE = [
    "core.health.HealthCheckMiddleware",
    "django_tenants.middleware.main.TenantMainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # After the security headers (its 403s carry them too), before anything authenticates.
    "tenants.middleware.SuspendedTenantMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/cleanup_console")
}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
# Persistent connections, health-checked so a restarted PostgreSQL costs no failed request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
# django-tenants then issues `SET search_path` only when the connection may not hold the
# current schema's — after a schema switch (set_tenant), a new connection, a rollback or a
# savepoint rollback (which undo a SET made in them) — instead of before every cursor: a
# cleanup batch sent about eight of them. core/tests/test_search_path.py proves each case.
TENANT_LIMIT_SET_CALLS = env.bool("TENANT_LIMIT_SET_CALLS", default=True)
# PgBouncer in front of PostgreSQL: session pooling only. django-tenants picks the tenant
# with `SET search_path`, a session setting issued in its own statement; under transaction
# pooling the next transaction may run on another server connection (with whatever
# search_path its last client left), so one tenant could read another's rows. In session
# pooling a client keeps its server connection until it disconnects, and PgBouncer's
# server_reset_query (DISCARD ALL) clears search_path before the next client gets it.
DATABASE_POOL_MODE = env.str("DATABASE_POOL_MODE", default="session")
if DATABASE_POOL_MODE == "transaction":
    raise ImproperlyConfigured(
        "DATABASE_POOL_MODE=transaction is not supported: django-tenants switches tenants "
        "with SET search_path, which leaks between clients under transaction pooling. Run "
        "PgBouncer with pool_mode = session (README, Connection pooling)."
    )
if DATABASE_POOL_MODE != "session":
    raise ImproperlyConfigured(
        f"DATABASE_POOL_MODE must be session (PgBouncer's pool_mode, or no pooler), "
        f"not {DATABASE_POOL_MODE!r}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Django's backend, refusing service accounts: they sign in nowhere (API or Django admin),
# even if someone gave one a password.
AUTHENTICATION_BACKENDS = ["accounts.backends.PersonBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The languages a notice can be written in (the policy's `notice_language`); the built-in
# text's translations live in cleanup/locale/ (the compiled .mo is committed: no gettext
# needed to build or run).
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The built dashboard (spa/dist) is served by whitenoise under /static/.
SPA_DIST_DIR = BASE_DIR / "spa" / "dist"
STATICFILES_DIRS = [SPA_DIST_DIR] if SPA_DIST_DIR.is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Redis: broker, result backend, cache. Every call has a short timeout so a hung
# Redis behaves like a dead one instead of hanging requests.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=2.0)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.str("CACHE_URL", default=REDIS_URL),
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {
            "socket_connect_timeout": REDIS_TIMEOUT,
            "socket_timeout": REDIS_TIMEOUT,
        },
    }
}

# --- Celery
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than the longest run, or Redis re-delivers a task still running (acks_late).
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 600,
    "socket_timeout": REDIS_TIMEOUT,
    "socket_connect_timeout": REDIS_TIMEOUT,
    # Publishing must fail fast when the broker is gone: the API answers 503.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_TIMEOUT
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_TIMEOUT
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 1}}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Queues (docs/architecture.md#the-fleet): runs on `cleanup`, housekeeping (fan-out, reaper) on
# `default`, so a
# long trigger-all or hung runs never delay the tick; `notices` is for emails. A worker
# started without -Q consumes all three; `-Q cleanup` etc. scales each on its own machines.
CELERY_TASK_DEFAULT_QUEUE = "default"
# `webhooks` carries deliveries (docs/webhooks.md): network-bound, each up to
# WEBHOOK_TIMEOUT_S, so a slow receiver never delays runs, emails or the tick.
CELERY_TASK_QUEUES = [
    Queue(name, routing_key=name) for name in ("default", "cleanup", "notices", "webhooks")
]
CELERY_TASK_ROUTES = {
    "cleanup.run_tenant": {"queue": "cleanup"},
    "cleanup.fan_out": {"queue": "default"},
    "cleanup.reap_stale_runs": {"queue": "default"},
    "cleanup.send_notices": {"queue": "notices"},
    "cleanup.notify_admins": {"queue": "notices"},
    "cleanup.send_test_notice": {"queue": "notices"},
    # Trigger-all's expansion into run tasks: housekeeping, quick.
    "cleanup.publish_runs": {"queue": "default"},
    "webhooks.deliver": {"queue": "webhooks"},
    "webhooks.sweep": {"queue": "default"},
    "webhooks.purge": {"queue": "default"},
    "webhooks.notify_disabled": {"queue": "notices"},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# `GET /metrics` on the root host answers only with `Authorization: Bearer <METRICS_TOKEN>`;
# unset, it is a 404. Held to SECRET_KEY's rules when DEBUG is off.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
if METRICS_TOKEN and not DEBUG:
    require_strong_secret("METRICS_TOKEN", METRICS_TOKEN)

# `text`: `<time> <level> <logger> <event> key=value ...`; `json`: one JSON object per line
# (time, level, logger, event and the extra fields), for log shippers.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {
            "()": "core.logging.KeyValueFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "core.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Through the root's handler only: Django's own (a plain console one with DEBUG on)
        # would print django.request's "Bad Request: /keep/<token>/" unredacted, and twice.
        # (Its mail_admins handler goes too; ADMINS is empty, so it never sent anything.)
        "django": {"handlers": [], "level": "INFO"},
    },
}

# --- Cleanup engine
# Users per batch: one transaction each (re-check, audit, remove). A batch's fixed cost (its
# window, plan, report update, round trips, commit) was about a quarter of 1,000 users' work.
CLEANUP_BATCH_SIZE = env.int("CLEANUP_BATCH_SIZE", default=2000)
# A running cleanup with no heartbeat for this long is ended `failed` (worker lost).
CLEANUP_STALE_AFTER_S = env.int("CLEANUP_STALE_AFTER_S", default=300)
# A cleanup still queued after this long has its task published again, at most once per
# period (the task may be lost; runs are idempotent). It is never failed for waiting.
CLEANUP_QUEUED_TIMEOUT_S = env.int("CLEANUP_QUEUED_TIMEOUT_S", default=3600)
# A batch waits at most this long for a user row another transaction holds locked, then the
# run ends `failed` (instead of hanging until the task's time limit).
CLEANUP_LOCK_TIMEOUT_MS = env.int("CLEANUP_LOCK_TIMEOUT_MS", default=5000)
# A run awaiting approval (on_cap "ask") that nobody approves or rejects within this many
# hours is ended `aborted`, "approval expired", by the reaper (docs/architecture.md#oversight).
CLEANUP_APPROVAL_TTL_H = env.int("CLEANUP_APPROVAL_TTL_H", default=72)
# Scheduled runs start within this many seconds of being due (spreads load at 03:00).
CLEANUP_FANOUT_JITTER_S = env.int("CLEANUP_FANOUT_JITTER_S", default=30)
# Publishing a run: try twice, quickly; the API answers 503 rather than make a client wait.
CLEANUP_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# The report in the database is a run's result; nothing reads Celery's result backend.
CELERY_TASK_IGNORE_RESULT = True

# --- Email (docs/architecture.md#notices-and-the-keep-link): users' notices and tenant admins' run
# EMAIL_URL (django-environ): smtp://host:25, smtp+tls://user:password@host:587 (STARTTLS),
# smtp+ssl://user:password@host:465, consolemail:// (printed by the worker). Development
# prints mails; production defaults to an SMTP server on localhost. A notice that cannot be
# sent protects its user, so a mail server that is missing or down removes nobody early.
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
# Seconds any SMTP call may take: a hung mail server counts as down instead of holding a
# worker (and the notices it has locked) until the task's time limit.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Mails come from this address; notices show the tenant's name as the sender's name.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"noreply@{BASE_DOMAIN}")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in emails and in commands' output: `{domain}` is the tenant's primary domain. In
# development they follow the port gunicorn binds (GUNICORN_BIND), so a stack moved to
# another port mails links that work.
try:
    _development_url = development_url(gunicorn_bind())
except ValueError as exc:
    raise ImproperlyConfigured(f"GUNICORN_BIND: {exc}") from exc
TENANT_URL = env.str("TENANT_URL", default=_development_url if DEBUG else "https://{domain}/")
if "{domain}" not in TENANT_URL or not TENANT_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"TENANT_URL must be an http(s) URL containing {{domain}}, not {TENANT_URL!r}"
    )
# Notices sent per tenant per minute (0: no limit), and per transaction: a batch shares one
# SMTP connection, and is what a crash between the mail server's "accepted" and the commit
# can send twice.
NOTICE_RATE_PER_MINUTE = env.int("NOTICE_RATE_PER_MINUTE", default=600)
NOTICE_BATCH_SIZE = env.int("NOTICE_BATCH_SIZE", default=100)
# Notices sent per tenant in any 24 hours: the larger of NOTICE_DAILY_CAP_MIN and
# NOTICE_DAILY_CAP_RATIO of the tenant's user accounts (rounded up); the rest wait until the
# window has room. Both 0: no cap.
NOTICE_DAILY_CAP_MIN = env.int("NOTICE_DAILY_CAP_MIN", default=100)
NOTICE_DAILY_CAP_RATIO = env.float("NOTICE_DAILY_CAP_RATIO", default=0.1)
if NOTICE_DAILY_CAP_MIN < 0 or not 0 <= NOTICE_DAILY_CAP_RATIO <= 1:
    raise ImproperlyConfigured(
        "NOTICE_DAILY_CAP_MIN must be at least 0 and NOTICE_DAILY_CAP_RATIO between 0 and 1, "
        f"not {NOTICE_DAILY_CAP_MIN!r} and {NOTICE_DAILY_CAP_RATIO!r}"
    )
# After a failed send a notice waits NOTICE_RETRY_BASE_S * 2**(attempts - 1) seconds, at
# most NOTICE_RETRY_MAX_S, and is tried again. A mail server that cannot be reached is never
# given up on; an address the server refuses for now (4xx) is, NOTICE_GIVE_UP_H hours after
# its first such refusal: the notice becomes `undeliverable` (a 5xx makes it so at once).
NOTICE_RETRY_BASE_S = env.int("NOTICE_RETRY_BASE_S", default=60)
NOTICE_RETRY_MAX_S = env.int("NOTICE_RETRY_MAX_S", default=3600)
NOTICE_GIVE_UP_H = env.float("NOTICE_GIVE_UP_H", default=72)
if NOTICE_GIVE_UP_H < 0:
    raise ImproperlyConfigured(f"NOTICE_GIVE_UP_H must be at least 0, not {NOTICE_GIVE_UP_H!r}")
# A keep link works until this many days after the removal date its notice announced.
NOTICE_KEEP_LINK_DAYS = env.int("NOTICE_KEEP_LINK_DAYS", default=7)

# --- Webhooks (docs/webhooks.md)
# 1: plain http:// and private or loopback addresses are allowed as endpoints (local
# receivers; `make run` sets it). Never in production: it opens the inside to SSRF.
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
# One deadline for a whole attempt: resolve, connect, TLS, send, read the answer's start.
WEBHOOK_TIMEOUT_S = env.float("WEBHOOK_TIMEOUT_S", default=10.0)
# How long an attempt holds its delivery, and how long a published task may take to be
# picked up, before the sweeper publishes it again (a lost message, a killed worker).
WEBHOOK_LEASE_S = env.int("WEBHOOK_LEASE_S", default=60)
# An endpoint whose every attempt failed for this many hours is disabled.
WEBHOOK_DISABLE_AFTER_H = env.int("WEBHOOK_DISABLE_AFTER_H", default=24)
# A CA bundle to verify endpoints' certificates with instead of the system's (a private CA).
WEBHOOK_CA_FILE = env.str("WEBHOOK_CA_FILE", default="") or None

# --- REST API
REST_FRAMEWORK = {
    # API tokens (`Bearer cc_...`) first: a JWT is never mistaken for one, and the token
    # class leaves every other header to the JWT class.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "accounts.authentication.TenantJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Login throttling's client address: X-Forwarded-For is read through this many proxies
    # (accounts.throttling.client_ip). 0 trusts no header.
    "NUM_PROXIES": env.int("TRUSTED_PROXY_COUNT", default=0),
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # Obtaining a token counts as logging in: API-only users must not look inactive.
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY or SECRET_KEY,
    "ISSUER": "cleanup-console",
    "AUDIENCE": "cleanup-console",
    "AUTH_HEADER_TYPES": ("Bearer",),
}
# A session (login) ends this many days after it began, however often its refresh token
# rotates.
JWT_SESSION_MAX_DAYS = env.int("JWT_SESSION_MAX_DAYS", default=30)
# Failed logins allowed per window: per username and client address (on one tenant), and per
# client address (on all tenants together). Failures from one address never refuse a login
# from another.
LOGIN_FAILURES_PER_USERNAME = env.int("LOGIN_FAILURES_PER_USERNAME", default=5)
LOGIN_FAILURES_PER_IP = env.int("LOGIN_FAILURES_PER_IP", default=50)
LOGIN_FAILURE_WINDOW_S = env.int("LOGIN_FAILURE_WINDOW_S", default=15 * 60)
# Failed API-token attempts allowed per client address (all tenants together) in the same
# window; past it, every token from that address is refused with 429 until the window ends.
TOKEN_FAILURES_PER_IP = env.int("TOKEN_FAILURES_PER_IP", default=50)
# An authenticated request refreshes the user's last_seen at most this often.
LAST_SEEN_INTERVAL_S = 3600

SPECTACULAR_SETTINGS = {
    "TITLE": "Cleanup console API",
    "DESCRIPTION": (
        "Multi-tenant user cleanup. Tenant endpoints answer on the tenant's host "
        "(acme.example.com), platform endpoints on the root host. Tokens are bound to the "
        "host (tenant) they were obtained on."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The document and its UI are public and take no credentials: a token sent along is
    # ignored rather than refused.
    "SERVE_AUTHENTICATION": [],
    "GET_LIB_DOC_EXCLUDES": "core.schema.lib_doc_excludes",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's assets from this server (drf-spectacular-sidecar), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge image from validator.swagger.io: nothing is loaded from elsewhere.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "ReportStatusEnum": "cleanup.models.CleanupReport.Status",
        "ReasonEnum": "cleanup.models.CleanupAuditEntry.Reason",
        "ActionEnum": "policy.models.CleanupPolicy.Action",
        "ActivityVerbEnum": "activity.models.ActivityEvent.Verb",
        "AuditActionEnum": "cleanup.models.CleanupAuditEntry.Action",
        "TenantRoleEnum": "accounts.models.User.Role",
        "MeRoleEnum": ["admin", "auditor", "operator"],
        "WebhookEventTypeEnum": "webhooks.serializers.EVENT_CHOICES",
        "DeliveryStatusEnum": "webhooks.models.Delivery.Status",
        "TokenStatusEnum": "accounts.serializers.TOKEN_STATUSES",
        "TokenRevokedReasonEnum": "accounts.models.ApiToken.Reason",
        "UserKindEnum": "accounts.models.User.Kind",
        "ScopeEnum": "core.scopes.ALL_SCOPES",
    },
}
