"""Reads of tenants: where a tenant's host is."""

from django.conf import settings

from tenants.models import Domain, Tenant
from tenants.services import tenant_default_domain


def tenant_url(tenant: Tenant, path: str = "") -> str:
    """The absolute URL of `path` on the tenant's host, for links that leave the site (emails):
    TENANT_URL with the tenant's primary domain (the default domain if it has none)."""
    domain = (
        Domain.objects.filter(tenant=tenant, is_primary=True)
        .values_list("domain", flat=True)
        .first()
    ) or tenant_default_domain(tenant.schema_name)
    return settings.TENANT_URL.format(domain=domain) + path.lstrip("/")
