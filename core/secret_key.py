"""The one rule for a production secret, imported by settings (so: no Django models here)."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

MIN_LENGTH = 50
MIN_UNIQUE_CHARACTERS = 10
# Words that mark a value copied from documentation rather than generated.
PLACEHOLDERS = (
    "change-me",
    "change_me",
    "changeme",
    "example",
    "insecure",
    "secret-key",
    "secret_key",
    "secretkey",
    "placeholder",
    "not-for-production",
)
HOW_TO_GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
MISSING_DEVELOPMENT_KEY = (
    "SECRET_KEY is not set, and there is no development key: the code holds none. Run "
    "`make .env` (`make run` does it too) to write a .env with DEBUG=1 and a generated "
    f"SECRET_KEY, or set SECRET_KEY yourself: {HOW_TO_GENERATE}"
)


def require_strong_secret(name: str, value: str) -> None:
    """Raise ImproperlyConfigured, naming `name`, unless `value` looks generated.

    At least as strict as Django's `check --deploy` (security.W009: 50+ characters, 5+
    distinct, no `django-insecure` prefix), and it also refuses documentation placeholders,
    because a check that only warns lets a copied example key sign sessions and tokens.
    """
    lowered = value.lower()
    if not value:
        problem = "is not set"
    elif len(value) < MIN_LENGTH:
        problem = f"is too short ({len(value)} characters; at least {MIN_LENGTH})"
    elif len(set(value)) < MIN_UNIQUE_CHARACTERS:
        problem = f"has too few distinct characters (at least {MIN_UNIQUE_CHARACTERS})"
    elif lowered.startswith("django-insecure") or any(p in lowered for p in PLACEHOLDERS):
        problem = "is a placeholder, not a generated secret"
    else:
        return
    raise ImproperlyConfigured(
        f"{name} {problem}. With DEBUG off it must be a random secret: generate one with "
        f"{HOW_TO_GENERATE} (for local development, `make .env` writes a .env with DEBUG=1 "
        "and a generated key)."
    )


def secret_from_file(name: str, path: str) -> str:
    """The secret stored in the file at `path` ("" when no path is given), stripped.

    A path that is given but cannot be read stops start-up naming both: the file was meant
    to hold the key, so carrying on without one would only fail later, less clearly.
    """
    if not path:
        return ""
    try:
        return Path(path).read_text().strip()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{name} is not set and {name}_FILE={path} cannot be read ({exc.strerror})."
        ) from exc
