from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name

from fleet.backfill import registry_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the public registry of active runs from every tenant schema (after a rolling "
        "deploy of the registry; otherwise it is kept in step with the reports)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        with transaction.atomic():
            counts = registry_rebuild(connection, get_public_schema_name())
        self.stdout.write(
            f"{counts['tenants']} tenant schemas read, {counts['active']} active runs recorded."
        )
