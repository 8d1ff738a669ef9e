"""Starting a run: the task and the command share one service; suspended tenants run nothing."""

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from cleanup.models import CleanupReport
from cleanup.services.start import TenantSuspended, cleanup_enqueue, cleanup_report_create
from cleanup.tasks import run_tenant
from config.celery import app as celery_app
from core.testing import TENANT_A, client
from policy.models import CleanupPolicy
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def suspend(tenant: Tenant) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(is_active=False)


def reports(schema: str) -> list[tuple[str, str]]:
    with schema_context(schema):
        return list(CleanupReport.objects.order_by("id").values_list("status", "error"))


def test_a_suspended_tenant_cannot_queue_a_run_and_no_report_is_written(tenant_a: Tenant) -> None:
    suspend(tenant_a)

    with pytest.raises(TenantSuspended) as refused:
        cleanup_enqueue(schema_name="alpha", trigger="manual")

    assert refused.value.status_code == 403
    assert refused.value.body() == {"detail": "This tenant is suspended."}
    assert reports("alpha") == []


def test_the_tenant_trigger_of_a_suspended_tenant_answers_403_and_queues_nothing(
    admin_a: dict[str, str], tenant_a: Tenant
) -> None:
    suspend(tenant_a)

    response = client(TENANT_A, admin_a["access"]).post(
        "/api/cleanup/trigger/", {"dry_run": True}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "This tenant is suspended."}
    assert reports("alpha") == []


def test_a_run_queued_before_its_tenant_was_suspended_ends_aborted_and_removes_nobody(
    tenant_a: Tenant,
) -> None:
    CleanupPolicy.objects.filter(tenant=tenant_a).update(dry_run=False, max_removal_ratio=1.0)
    with schema_context("alpha"):
        gone = User.objects.create(
            username="idle", date_joined=timezone.now() - timedelta(days=400)
        )
        report = cleanup_report_create(schema_name="alpha", trigger="manual")
    suspend(tenant_a)

    result = run_tenant("alpha", report_id=report.pk, trigger="manual")

    assert result == {"report_id": report.pk, "status": "aborted"}
    [(status, error)] = reports("alpha")
    assert status == "aborted" and "suspended" in error and "Nothing was removed" in error
    with schema_context("alpha"):
        assert User.objects.get(pk=gone.pk).is_active
    assert CleanupPolicy.objects.get(tenant=tenant_a).last_report_status == "aborted"


def test_a_scheduled_run_of_a_suspended_tenant_writes_no_report(tenant_a: Tenant) -> None:
    suspend(tenant_a)

    assert run_tenant("alpha", trigger="schedule") is None
    assert reports("alpha") == []


def test_run_tenant_returns_quietly_for_a_report_that_is_gone(tenant_a: Tenant) -> None:
    assert run_tenant("alpha", report_id=987654, trigger="manual") is None
    assert reports("alpha") == []


def test_the_command_runs_a_cleanup_here_and_prints_its_report(tenant_a: Tenant) -> None:
    out = StringIO()

    call_command("cleanup_run", "--schema", "alpha", "--dry-run", stdout=out)

    printed = json.loads(out.getvalue())
    assert (printed["status"], printed["dry_run"]) == ("succeeded", True)
    with schema_context("alpha"):
        report = CleanupReport.objects.get()
    assert (report.pk, report.trigger, report.triggered_by) == (
        printed["id"],
        "manual",
        "manage.py",
    )


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ("ghost", "No tenant with schema name 'ghost'."),
        ("public", "No tenant with schema name 'public'."),
    ],
)
def test_the_command_refuses_what_is_no_tenant(tenant_a: Tenant, schema: str, message: str) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("cleanup_run", "--schema", schema, stdout=StringIO())


def test_the_command_refuses_a_suspended_tenant_and_writes_no_report(tenant_a: Tenant) -> None:
    suspend(tenant_a)

    with pytest.raises(CommandError, match=re.escape("This tenant is suspended.")):
        call_command("cleanup_run", "--schema", "alpha", stdout=StringIO())

    assert reports("alpha") == []


def test_a_publish_whose_reply_was_lost_after_a_worker_started_keeps_the_report_and_audit(
    tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broker got the task, a worker started it, then the publish call timed out: the
    running report (and the audit of whoever it already removed) must not be withdrawn."""
    from cleanup.models import CleanupAuditEntry

    def delivered_then_reply_lost(name: str, *args: object, **kwargs: object) -> None:
        with schema_context("alpha"):
            report_id = kwargs["kwargs"]["report_id"]  # type: ignore[index]
            CleanupReport.objects.filter(pk=report_id).update(status="running")
            CleanupAuditEntry.objects.create(
                report_id=report_id, user_id=7, username="gone", date_joined=timezone.now()
            )
        raise TimeoutError("no reply from the broker")

    monkeypatch.setattr(celery_app, "send_task", delivered_then_reply_lost)
    report = cleanup_enqueue(schema_name="alpha", trigger="manual")

    assert report.status == "running"
    with schema_context("alpha"):
        assert CleanupReport.objects.filter(pk=report.pk, status="running").exists()
        assert CleanupAuditEntry.objects.filter(report_id=report.pk).count() == 1
