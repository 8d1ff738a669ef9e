"""A new tenant, whole: what provisioning makes (`tenants.services`), its policy
(`policy.services`) and its first admin, in one transaction."""

import logging

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django_tenants.utils import schema_context

from accounts.models import User
from activity.models import ActivityEvent
from activity.services import platform_activity_record
from policy.services import policy_create
from tenants.models import Tenant
from tenants.services import tenant_create_check, tenant_default_domain, tenant_provision

logger = logging.getLogger(__name__)


def tenant_create(
    *,
    schema_name: str,
    name: str,
    admin_username: str,
    admin_email: str,
    admin_password: str,
    domain: str | None = None,
    actor: str = ActivityEvent.SYSTEM_ACTOR,
) -> Tenant:
    """Create a tenant: schema (cloned from the template), domain, policy and first admin,
    and log `tenant.created` in the public schema naming `actor` (the operator; the default
    is for commands, the demo seed and tests).

    All of it happens in one transaction — PostgreSQL's DDL is transactional — so any
    failure leaves nothing behind: no schema, no tenant row, no domain, no event. Raises
    ValidationError with per-field messages on bad input or a taken schema name or domain.
    """
    tenant_create_check(
        schema_name=schema_name,
        name=name,
        domain=domain,
        admin_username=admin_username,
        admin_password=admin_password,
    )
    domain = (domain or tenant_default_domain(schema_name)).strip().lower()

    try:
        with transaction.atomic():
            tenant = tenant_provision(schema_name=schema_name, name=name, domain=domain)
            policy_create(tenant=tenant)
            with schema_context(schema_name):
                get_user_model().objects.create_user(
                    username=admin_username,
                    email=admin_email,
                    password=admin_password,
                    # The tenant-admin role is what the API checks; staff and superuser
                    # *within the tenant schema* open Django admin, to manage users and
                    # groups. Neither grants anything outside the schema.
                    role=User.Role.ADMIN,
                    is_staff=True,
                    is_superuser=True,
                )
            platform_activity_record(
                actor=actor,
                verb=ActivityEvent.Verb.TENANT_CREATED,
                target=schema_name,
                data={"name": tenant.name, "domain": domain, "admin": admin_username},
            )
    except DatabaseError as exc:
        # Lost a race with a concurrent creation of the same schema or domain.
        logger.warning(
            "tenant.create.failed", extra={"schema_name": schema_name, "error": str(exc)}
        )
        raise ValidationError(
            {"schema_name": [f"Could not create '{schema_name}': it was taken concurrently."]}
        ) from exc
    logger.info("tenant.created", extra={"schema_name": schema_name, "domain": domain})
    return tenant
