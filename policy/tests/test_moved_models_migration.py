"""The migration that gives the policy's models their own app moves no data: rows written by
the old `tenants` models are read back, whole, through the new `policy` models, and the
content types — with the permissions and admin history that point at them — follow, in the
public schema and in every tenant's."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from policy.models import CleanupPolicy, RunOutcome
from tenants.models import Tenant

pytestmark = pytest.mark.django_db

BEFORE = [("tenants", "0007_policy_ratio_from_one_percent"), ("policy", None)]
MOVED = ("cleanuppolicy", "runoutcome")


def migrate(targets: list[tuple[str, str | None]]) -> Any:
    """Migrate the public schema to `targets`; return the project's state there (its apps)."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    ContentType.objects.clear_cache()
    nodes = [(app, name) for app, name in targets if name is not None]
    return executor.loader.project_state(nodes).apps


def labels(schema: str) -> dict[str, str]:
    with schema_context(schema):
        rows = ContentType.objects.filter(model__in=MOVED).values_list("model", "app_label")
        return dict(rows)


def test_the_policy_rows_and_their_content_types_come_through_the_move_unchanged(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    old = migrate(BEFORE)
    assert labels("public") == labels("alpha") == dict.fromkeys(MOVED, "tenants")

    # Written as the old code wrote them, through the models as they were.
    OldPolicy = old.get_model("tenants", "CleanupPolicy")
    OldOutcome = old.get_model("tenants", "RunOutcome")
    now = timezone.now()
    OldPolicy.objects.filter(tenant_id=tenant_a.pk).update(
        inactive_days=123,
        exempt_groups=["vip", "board"],
        max_removal_ratio=0.25,
        schedule="5 4 * * 1",
        timezone="Europe/Paris",
        next_run_at=now + timedelta(days=2),
        last_report_id=41,
        last_report_status="failed",
        last_report_finished_at=now - timedelta(hours=3),
        active_report_id=42,
        active_report_status="running",
        active_task_kwargs={"trigger": "schedule", "reserved": True},
        notices_sent=7,
    )
    for tenant, report_id, removed in ((tenant_a, 40, 5), (tenant_a, 41, 0), (tenant_b, 9, 2)):
        OldOutcome.objects.create(
            tenant_id=tenant.pk,
            report_id=report_id,
            status="succeeded" if removed else "failed",
            trigger="schedule",
            dry_run=False,
            started_at=now - timedelta(hours=4),
            finished_at=now - timedelta(hours=3),
            users_removed=removed,
        )
    policies = list(OldPolicy.objects.order_by("pk").values())
    outcomes = list(OldOutcome.objects.order_by("pk").values())
    # What points at the old content type: the operators' admin history and a permission.
    old_type = ContentType.objects.get(app_label="tenants", model="cleanuppolicy")
    operator = get_user_model().objects.create_superuser("op", "op@x.test", "op-pass-123456")
    entry = LogEntry.objects.create(
        user=operator,
        content_type=old_type,
        object_id=str(tenant_a.pk),
        object_repr=f"policy of {tenant_a.pk}",
        action_flag=CHANGE,
    )

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    # Fields added since the move come with their defaults.
    added = {"token_max_days": 366, "token_inactive_days": 90}
    assert list(CleanupPolicy.objects.order_by("pk").values()) == [
        {**policy, **added} for policy in policies
    ]
    assert list(RunOutcome.objects.order_by("pk").values()) == outcomes
    policy = CleanupPolicy.objects.get(tenant=tenant_a)
    assert (policy.inactive_days, policy.exempt_groups, policy.active_report_status) == (
        123,
        ["vip", "board"],
        "running",
    )
    assert sorted(tenant_a.run_outcomes.values_list("report_id", flat=True)) == [40, 41]
    for schema in ("public", "alpha", "beta", "tenant_template"):
        assert labels(schema) == dict.fromkeys(MOVED, "policy"), schema
    new_type = ContentType.objects.get_for_model(CleanupPolicy)
    assert new_type.pk == old_type.pk
    assert Permission.objects.get(codename="change_cleanuppolicy").content_type == new_type
    entry.refresh_from_db()
    with override_settings(ROOT_URLCONF="config.urls_public"):  # the operators' admin
        assert entry.get_admin_url() == f"/admin/policy/cleanuppolicy/{tenant_a.pk}/change/"


def test_the_move_changes_no_table_index_or_constraint() -> None:
    """The models' tables are the ones the `tenants` migrations made: same names, and the
    constraints and indexes the database holds are those the models declare."""
    with connection.cursor() as cursor:
        for model in (CleanupPolicy, RunOutcome):
            table = model._meta.db_table
            described = connection.introspection.get_constraints(cursor, table)
            declared = {c.name for c in (*model._meta.constraints, *model._meta.indexes)}
            assert declared <= set(described), table
    assert (CleanupPolicy._meta.db_table, RunOutcome._meta.db_table) == (
        "tenants_cleanuppolicy",
        "tenants_runoutcome",
    )
