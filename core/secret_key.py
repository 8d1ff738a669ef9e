"""The one rule for a production secret, imported by settings (so: no Django models here)."""

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
        f"{HOW_TO_GENERATE} (or set DEBUG=1 for local development)."
    )
