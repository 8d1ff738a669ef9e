import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fleet.services.tenants import tenant_create


class Command(BaseCommand):
    help = "Create a tenant: schema, domain, cleanup policy and first tenant admin, all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", required=True, help="schema name, e.g. acme")
        parser.add_argument("--name", required=True, help="display name, e.g. 'Acme Inc.'")
        parser.add_argument("--domain", help="host name; default <schema>.<BASE_DOMAIN>")
        parser.add_argument("--admin-username", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument(
            "--admin-password",
            default=os.environ.get("TENANT_ADMIN_PASSWORD"),
            help="default: the TENANT_ADMIN_PASSWORD environment variable",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["admin_password"]:
            raise CommandError("Give --admin-password or set TENANT_ADMIN_PASSWORD.")
        try:
            tenant = tenant_create(
                schema_name=options["schema"],
                name=options["name"],
                domain=options["domain"],
                admin_username=options["admin_username"],
                admin_email=options["admin_email"],
                admin_password=options["admin_password"],
            )
        except ValidationError as exc:
            lines = [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
            raise CommandError("Tenant not created.\n" + "\n".join(lines)) from exc
        domain = tenant.get_primary_domain()
        self.stdout.write(self.style.SUCCESS(f"Created tenant {tenant.schema_name} at {domain}"))
