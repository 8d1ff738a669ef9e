from typing import Any

from django.db import models
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import get_creation_fakes_migrations, schema_exists

from core.validators import no_control_characters
from tenants.clone import tenant_schema_create


class Tenant(TenantMixin):
    """A customer. Its users, reports and audit trail live in its own schema."""

    name = models.CharField(max_length=100, validators=[no_control_characters])
    created_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(default=True)

    auto_create_schema = True
    # Deleting a tenant row drops its schema: there is nothing left to keep it for.
    auto_drop_schema = True

    class Meta:
        ordering = ["schema_name"]

    def __str__(self) -> str:
        return self.schema_name

    def create_schema(
        self, check_if_exists: bool = False, sync_schema: bool = True, verbosity: int = 1
    ) -> Any:
        """django-tenants' schema creation, but cloning the template in a time that does not
        grow with the number of tenants (`tenants.clone`); django-tenants' own path where
        that clone cannot be used."""
        cloning = sync_schema and get_creation_fakes_migrations()
        base = self.get_base_schema() if cloning else None
        exists = check_if_exists and bool(base) and schema_exists(self.schema_name)
        if base and not exists and tenant_schema_create(base, self.schema_name):
            return True
        return super().create_schema(
            check_if_exists=check_if_exists, sync_schema=sync_schema, verbosity=verbosity
        )


class Domain(DomainMixin):
    def __str__(self) -> str:
        return self.domain
