from typing import Any

from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from tenants.services import template_schema_sync


class Command(MigrateSchemasCommand):
    """django-tenants' migrate_schemas, which also keeps the tenant template schema migrated.

    New tenants are cloned from the template with their migrations faked, so a stale
    template would produce tenants missing tables.
    """

    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        migrating_every_tenant = self.sync_tenant and not options.get("schema_name")
        if migrating_every_tenant and not options.get("app_label"):
            template_schema_sync(verbosity=options.get("verbosity", 1))
