"""Runs and what they leave behind, as the engine would have written them."""

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.tests.factories import UserFactory
from cleanup.models import CleanupAuditEntry, CleanupExemption, CleanupNotice, CleanupReport
from cleanup.services.start import cleanup_report_create
from core.testing.factories import SchemaModelFactory
from policy.models import CleanupPolicy
from policy.rules import PolicySpec


class CleanupReportFactory(SchemaModelFactory[CleanupReport]):
    """A real (not dry) manual run that finished without removing anyone. Its policy
    snapshot is whole: the defaults, `policy_fields` over them, and the report's own
    `action` and `dry_run`."""

    class Meta:
        model = CleanupReport

    class Params:
        policy_fields: dict[str, Any] = {}

    status = CleanupReport.Status.SUCCEEDED
    trigger = CleanupReport.Trigger.MANUAL
    dry_run = False
    action = factory.LazyAttribute(lambda report: report.policy_fields.get("action", "deactivate"))
    policy = factory.LazyAttribute(
        lambda report: PolicySpec(
            **{**report.policy_fields, "action": report.action, "dry_run": report.dry_run}
        ).snapshot()
    )
    users_eligible = 0
    users_matched = 0


class CleanupNoticeFactory(SchemaModelFactory[CleanupNotice]):
    """A warning a run wrote, not yet sent, due in 14 days; its user made when not given."""

    class Meta:
        model = CleanupNotice
        exclude = ("user",)

    class Params:
        due_in_days: float = 14

    user = factory.SubFactory(UserFactory)
    user_id = factory.SelfAttribute("user.pk")
    email = factory.SelfAttribute("user.email")
    report = factory.SubFactory(CleanupReportFactory)
    due_at = factory.LazyAttribute(
        lambda notice: timezone.now() + timedelta(days=notice.due_in_days)
    )
    sent_at = None
    # `sent` exactly when sent_at is set (a check constraint of the table).
    status = factory.LazyAttribute(
        lambda notice: CleanupNotice.Status.SENT if notice.sent_at else CleanupNotice.Status.PENDING
    )


class CleanupAuditEntryFactory(SchemaModelFactory[CleanupAuditEntry]):
    """One user a run deactivated for being inactive; the user need not exist."""

    class Meta:
        model = CleanupAuditEntry

    report = factory.SubFactory(CleanupReportFactory)
    user_id = factory.Sequence(lambda n: 100_000 + n)
    username = factory.Sequence(lambda n: f"gone{n}")
    email = factory.LazyAttribute(lambda entry: f"{entry.username}@example.com")
    last_login = factory.LazyFunction(lambda: timezone.now() - timedelta(days=200))
    last_seen = None
    date_joined = factory.LazyFunction(lambda: timezone.now() - timedelta(days=400))
    reason = CleanupAuditEntry.Reason.INACTIVE
    action = CleanupAuditEntry.Action.DEACTIVATED


class CleanupExemptionFactory(SchemaModelFactory[CleanupExemption]):
    """A user an admin exempted from cleanup, with no end date."""

    class Meta:
        model = CleanupExemption

    user = factory.SubFactory(UserFactory)
    reason = "kept by hand"
    created_by = "admin"


def report_in_registry(schema: str, status: str, age: timedelta) -> CleanupReport:
    """A `queued` report created `age` ago (never published since), a `running` one whose
    worker last beat `age` ago, or one awaiting approval since `age` ago — and the registry
    as the report's services would have left it then."""
    with schema_context(schema):
        report = cleanup_report_create(schema_name=schema, trigger="manual")
        then = timezone.now() - age
        CleanupReport.objects.filter(pk=report.pk).update(
            status=status,
            created_at=then,
            **(
                {"started_at": then, "heartbeat_at": then}
                if status == CleanupReport.Status.RUNNING
                else {}
            ),
        )
        CleanupPolicy.objects.filter(tenant__schema_name=schema).update(
            active_report_status=status, active_report_since=then, active_report_heartbeat_at=then
        )
        report.refresh_from_db()
        return report
