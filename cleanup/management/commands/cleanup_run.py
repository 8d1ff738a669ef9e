import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cleanup.models import CleanupReport
from cleanup.services.start import CleanupAlreadyActive, TenantNotFound, cleanup_start
from core.errors import ServiceError


class Command(BaseCommand):
    help = "Run one tenant's cleanup now, in this process, and print its report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", required=True, help="the tenant's schema name")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            default=None,
            help="only report; default: the policy's dry_run",
        )
        parser.add_argument("--apply", dest="dry_run", action="store_false", help="remove users")
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        schema = options["schema"]
        try:
            report = cleanup_start(
                schema_name=schema,
                trigger=CleanupReport.Trigger.MANUAL,
                triggered_by="manage.py",
                dry_run=options["dry_run"],
                batch_size=options["batch_size"],
            )
        except (ValueError, TenantNotFound) as exc:
            raise CommandError(f"No tenant with schema name '{schema}'.") from exc
        except CleanupAlreadyActive as exc:
            raise CommandError(f"A cleanup is already running (report {exc.report_id}).") from exc
        except ServiceError as exc:
            raise CommandError(exc.detail) from exc
        fields = [
            "id",
            "status",
            "dry_run",
            "action",
            "users_eligible",
            "users_matched",
            "users_warned",
            "users_deactivated",
            "users_deleted",
            "users_removed",
            "counts_are_would",
            "started_at",
            "finished_at",
            "error",
        ]
        summary = {name: getattr(report, name) for name in fields}
        self.stdout.write(json.dumps(summary, default=str, indent=2))
        if report.status == CleanupReport.Status.FAILED:
            raise CommandError(report.error)
