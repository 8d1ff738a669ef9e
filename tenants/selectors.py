from django.db.models import Prefetch, QuerySet
from django_tenants.utils import get_public_schema_name

from tenants.models import Domain, Tenant


def tenant_list() -> QuerySet[Tenant]:
    """Every tenant with its policy and primary domain: three queries however many there are."""
    return (
        Tenant.objects.exclude(schema_name=get_public_schema_name())
        .select_related("policy")
        .prefetch_related(Prefetch("domains", queryset=Domain.objects.filter(is_primary=True)))
        .order_by("schema_name")
    )


def tenant_get(schema_name: str) -> Tenant | None:
    return tenant_list().filter(schema_name=schema_name).first()


def tenant_active_schemas() -> list[str]:
    return list(
        Tenant.objects.exclude(schema_name=get_public_schema_name())
        .filter(is_active=True)
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )
