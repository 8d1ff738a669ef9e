"""Writes for tenants: provisioning and removal. Each owns its transaction."""

import logging
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django_tenants.utils import schema_exists

from tenants.models import Domain, Tenant

logger = logging.getLogger(__name__)

# Names no tenant may take, as its schema name or as the first label of its host: django-tenants
# strips `www.` from the request's host, so tenant `www` would be unreachable, and the others
# would pass for part of the platform.
RESERVED_NAMES = frozenset(
    {"www", "api", "admin", "static", "media", "mail", "app", "root", "public"}
)
# A schema name is also its default host's first label (`_` becomes `-`), which must not end
# with `-`: so it ends with a letter or a digit.
_SCHEMA_NAME = "[a-z](?:[a-z0-9_]{0,61}[a-z0-9])?"
_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# The API's document states these two as the fields' patterns (lowercase only; the service
# lowercases a domain first). Only what ECMA-262 and Python's `re` read alike.
SCHEMA_NAME_PATTERN = (
    f"^(?!(?:{'|'.join(sorted(RESERVED_NAMES | {settings.TENANT_BASE_SCHEMA}))})$)(?!pg_)"
    f"{_SCHEMA_NAME}$"
)
DOMAIN_PATTERN = (
    f"^(?!(?:{'|'.join(sorted(RESERVED_NAMES))})(?:[.]|$))(?=.{{1,253}}$){_LABEL}(?:[.]{_LABEL})*$"
)
SCHEMA_NAME_RE = re.compile(_SCHEMA_NAME)  # fullmatch: `$` would allow a final "\n"
DOMAIN_RE = re.compile(f"(?=.{{1,253}}$){_LABEL}(?:[.]{_LABEL})*")


def schema_name_validate(schema_name: str) -> None:
    if not isinstance(schema_name, str) or not SCHEMA_NAME_RE.fullmatch(schema_name):
        raise ValidationError(
            "Use 1-63 characters: a lowercase letter, then lowercase letters, digits or '_', "
            "ending with a letter or a digit."
        )
    if schema_name in RESERVED_NAMES:
        raise ValidationError(f"'{schema_name}' is reserved: choose another schema name.")
    if schema_name.startswith("pg_"):
        raise ValidationError(f"'{schema_name}' is reserved by PostgreSQL.")
    if schema_name == settings.TENANT_BASE_SCHEMA:
        raise ValidationError(f"'{schema_name}' is reserved for the tenant template.")


def tenant_default_domain(schema_name: str) -> str:
    return f"{schema_name.replace('_', '-')}.{settings.BASE_DOMAIN}"


def tenant_create_check(
    *,
    schema_name: str | None,
    name: str | None,
    domain: str | None,
    admin_username: str | None,
    admin_password: str | None,
) -> None:
    """What `tenant_create` refuses, every field's problem at once: a malformed, reserved or
    taken schema name or domain, a blank name or admin username, a weak password. A field
    given as None is not checked (its shape was wrong, and the caller says so); a domain of
    None or "" is the schema's default one. Reads only.

    Raises ValidationError with per-field messages (`admin_username`, `admin_password` for
    the first admin's)."""
    errors: dict[str, list[str]] = {}
    if schema_name is not None:
        try:
            schema_name_validate(schema_name)
        except ValidationError as exc:
            errors["schema_name"] = exc.messages
    if name is not None and not name.strip():
        errors["name"] = ["A tenant needs a name."]
    elif name is not None:
        try:
            # The model field's rules (length, no control characters): this is the door every
            # tenant comes through, whatever called it.
            Tenant._meta.get_field("name").run_validators(name.strip())
        except ValidationError as exc:
            errors["name"] = exc.messages
    domain_given = bool(domain)
    # The default domain is made of the schema name: a bad one is reported once, on it.
    if domain_given or (schema_name is not None and "schema_name" not in errors):
        domain = (domain or tenant_default_domain(schema_name or "")).strip().lower()
        if not DOMAIN_RE.fullmatch(domain):
            errors["domain"] = [f"'{domain}' is not a valid host name."]
        elif domain_given and (label := domain.split(".")[0]) in RESERVED_NAMES:
            # A default domain's first label is the schema name, refused above if reserved.
            errors["domain"] = [f"'{label}' is reserved: choose another first label for the host."]
        elif Domain.objects.filter(domain=domain).exists():
            errors["domain"] = [f"The domain '{domain}' is already taken."]
    if admin_username is not None and not admin_username:
        errors["admin_username"] = ["The first admin needs a username."]
    elif admin_username is not None:
        try:
            # Django's own username rules (letters, digits and @/./+/-/_, at most 150), which
            # create_user() does not check.
            get_user_model()._meta.get_field("username").run_validators(admin_username)
        except ValidationError as exc:
            errors["admin_username"] = exc.messages
    if admin_password is not None:
        try:
            validate_password(admin_password)
        except ValidationError as exc:
            errors["admin_password"] = exc.messages
    if (
        schema_name is not None
        and "schema_name" not in errors
        and (Tenant.objects.filter(schema_name=schema_name).exists() or schema_exists(schema_name))
    ):
        errors["schema_name"] = [f"A tenant with schema name '{schema_name}' already exists."]
    if errors:
        raise ValidationError(errors)


def tenant_provision(*, schema_name: str, name: str, domain: str | None = None) -> Tenant:
    """Create the tenant's row, its schema (cloned from the template) and its primary domain
    (the schema's default one when `domain` is None or "").

    In the caller's transaction, which makes the rest of a new tenant
    (`fleet.services.tenants.tenant_create`): PostgreSQL's DDL is transactional, so a rollback
    leaves no schema behind either. Checks nothing itself: `tenant_create_check` first.
    """
    domain = (domain or tenant_default_domain(schema_name)).strip().lower()
    with transaction.atomic():
        tenant = Tenant(schema_name=schema_name, name=name.strip())
        tenant.save(verbosity=0)
        Domain.objects.create(domain=domain, tenant=tenant, is_primary=True)
    return tenant


def tenant_delete(*, tenant: Tenant) -> None:
    """Drop the tenant's schema and its rows (domain, policy: its schedule goes with it)."""
    with transaction.atomic():
        tenant.delete(force_drop=True)
    logger.info("tenant.deleted", extra={"schema_name": tenant.schema_name})


def template_schema_sync(verbosity: int = 1) -> None:
    """Create (if missing) and migrate the template schema new tenants are cloned from."""
    from django.core.management import call_command
    from django.db import connection

    template = settings.TENANT_BASE_SCHEMA
    if not schema_exists(template):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{template}"')
    call_command(
        "migrate_schemas", tenant=True, schema_name=template, interactive=False, verbosity=verbosity
    )
