import logging
from typing import Any

from django.conf import settings
from django_tenants.management.commands import SyncCommon
from django_tenants.management.commands.migrate_schemas import (
    GET_EXECUTOR_FUNCTION,
    MigrateSchemasCommand,
)
from django_tenants.utils import get_public_schema_name, get_tenant_migration_order

from tenants.models import Tenant
from tenants.schemas import migrations_on_disk, schemas_up_to_date
from tenants.services import template_schema_sync

logger = logging.getLogger(__name__)

# Options under which migrate does something even where every migration is applied, or
# aims somewhere other than "latest": those runs visit every schema, as django-tenants does.
_OPTIONS_THAT_VISIT_EVERY_SCHEMA = ("app_label", "prune", "run_syncdb")


class Command(MigrateSchemasCommand):
    """django-tenants' migrate_schemas, skipping schemas already up to date.

    Schemas that already have every migration are found in one query and left alone
    (running migrate on each costs about a second, i.e. over half an hour for 2,000
    tenants); the rest are migrated in parallel (MIGRATION_EXECUTOR). It also keeps the
    tenant template schema migrated: new tenants are cloned from it with their migrations
    faked, so a stale template would produce tenants missing tables.
    """

    def handle(self, *args: Any, **options: Any) -> None:
        every_schema = not options.get("schema_name")
        if every_schema and not options.get("executor"):
            # `--check` ends migrate with sys.exit(), which a pool worker cannot report:
            # django-tenants' multiprocessing executor would wait for it forever.
            parallel_ok = not options.get("check_unapplied")
            options["executor"] = settings.MIGRATION_EXECUTOR if parallel_ok else "standard"
        if not every_schema or any(options.get(o) for o in _OPTIONS_THAT_VISIT_EVERY_SCHEMA):
            super().handle(*args, **options)
            if self.sync_tenant and every_schema and not options.get("app_label"):
                template_schema_sync(verbosity=options.get("verbosity", 1))
            return

        SyncCommon.handle(self, *args, **options)
        public = get_public_schema_name()
        if self.sync_public:
            self._executor(1).run_migrations(tenants=[public])
        if not self.sync_tenant:
            return

        template = settings.TENANT_BASE_SCHEMA
        tenants = Tenant.objects.exclude(schema_name=public).values_list("schema_name", flat=True)
        order = get_tenant_migration_order()
        schemas = list(tenants.order_by(*order) if order else tenants)
        current = schemas_up_to_date([*schemas, template], migrations_on_disk())
        behind = [schema for schema in schemas if schema not in current]
        logger.info(
            "tenants.migrate.planned",
            extra={"schemas": len(schemas), "behind": len(behind), "executor": self.executor},
        )
        if int(options.get("verbosity", 1)) >= 1:
            self.stdout.write(
                f"{len(schemas) - len(behind)} of {len(schemas)} tenant schemas already up to "
                f"date; migrating {len(behind)}."
            )
        if behind:
            self._executor(len(behind)).run_migrations(tenants=behind)
        if template not in current:
            template_schema_sync(verbosity=options.get("verbosity", 1))

    def _executor(self, schema_count: int) -> Any:
        # Forking a pool for a single schema only adds start-up time.
        codename = self.executor
        if codename == "multiprocessing" and schema_count < 2:
            codename = "standard"
        return GET_EXECUTOR_FUNCTION(codename=codename)(self.args, self.options)
