"""A run over the cap, end to end (docs/architecture.md#oversight): it waits removing nobody, the
tenant's admins
are mailed through a real SMTP server, an admin approves through the API, and the run then
removes at most what it showed — even though more users went inactive meanwhile."""

from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.tests.factories import UserFactory
from cleanup.models import CleanupAuditEntry, CleanupReport
from cleanup.services.admin_mail import admin_event, admins_notify
from cleanup.services.execution import cleanup_run
from cleanup.tests.support import D, active_names, run, set_policy, usernames
from core.testing import TENANT_A, client
from core.testing.smtp import SmtpServer
from tenants.models import Tenant


def idle(prefix: str, count: int) -> list[str]:
    now = timezone.now()
    return [
        UserFactory.create(username=f"{prefix}{i}", now=now, login_days_ago=D + 1).username
        for i in range(count)
    ]


def test_a_run_over_the_cap_waits_mails_the_admins_and_once_approved_removes_at_most_what_it_showed(
    in_tenant_a: Tenant, admin_a: dict[str, Any], smtp_server: SmtpServer
) -> None:
    set_policy(in_tenant_a, action="deactivate", max_removal_ratio=0.5, on_cap="ask")
    shown = idle("gone", 3)
    now = timezone.now()
    kept = [
        UserFactory.create(username=f"fresh{i}", now=now, login_days_ago=1).username
        for i in range(2)
    ]

    report = run(in_tenant_a)

    assert report.status == "awaiting_approval" and report.users_removed == 3
    assert active_names(shown + kept) == set(shown + kept)
    assert not CleanupAuditEntry.objects.exists()

    event = admin_event(report)
    assert event is not None
    assert admins_notify(schema_name="alpha", report_id=report.pk, event=event) == 1
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == ["admin@alpha.test"]
    assert f"/reports/{report.pk}" in mail.part("text/plain")

    # Two more accounts go idle before anyone answers: the approval still covers three.
    late = idle("late", 2)
    response = client(TENANT_A, admin_a["access"]).post(f"/api/reports/{report.pk}/approve/")
    assert response.status_code == 202, response.content
    assert response.json()["removal_limit"] == 3

    with schema_context("alpha"):  # what the worker does with the task
        report = cleanup_run(report_id=report.pk, batch_size=2)

    assert report.status == "succeeded", report.error
    assert (report.users_deactivated, report.users_removed) == (3, 3)
    removed = usernames(CleanupAuditEntry.objects.filter(report=report))
    assert len(removed) == 3 and removed <= set(shown + late)
    assert active_names(shown + late + kept) == set(shown + late + kept) - removed
    assert User.objects.filter(is_active=False).count() == 3
    assert CleanupReport.objects.get(pk=report.pk).approved_by == "admin"


def test_a_rejected_run_removes_nobody(in_tenant_a: Tenant, admin_a: dict[str, Any]) -> None:
    set_policy(in_tenant_a, action="delete", max_removal_ratio=0.5, on_cap="ask")
    shown = idle("gone", 3)
    report = run(in_tenant_a)

    response = client(TENANT_A, admin_a["access"]).post(f"/api/reports/{report.pk}/reject/")

    assert response.status_code == 200
    assert response.json()["status"] == "aborted" and "admin" in response.json()["error"]
    assert usernames(User.objects.filter(username__in=shown)) == set(shown)
