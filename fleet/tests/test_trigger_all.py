"""Operators' trigger-all: constant work per request through the registry, skip reasons, no
half state when the broker refuses, and each run creating its own report in a real worker."""

import time
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from cleanup.models import CleanupReport
from cleanup.services.start import cleanup_report_create
from core.testing import ROOT, client
from core.testing.broker import broker_at, free_port, queued_messages, queued_tasks
from fleet.services.trigger import cleanup_trigger_many
from policy.models import CleanupPolicy
from tenants.models import Tenant

TRIGGER = "/api/platform/cleanup/trigger/"
Status = CleanupReport.Status


def trigger(operator: dict[str, str], body: dict[str, Any]) -> Any:
    return client(ROOT, operator["access"]).post(TRIGGER, body, format="json")


def registry(*schemas: str) -> dict[str, tuple[str, int | None]]:
    rows = CleanupPolicy.objects.filter(tenant__schema_name__in=schemas).values_list(
        "tenant__schema_name", "active_report_status", "active_report_id"
    )
    return {schema: (status, report_id) for schema, status, report_id in rows}


def bare_tenants(prefix: str, count: int) -> list[str]:
    """Tenant and policy rows only: trigger-all never enters a tenant schema."""
    tenants = Tenant.objects.bulk_create(
        [Tenant(schema_name=f"{prefix}{i:03d}", name=f"{prefix} {i}") for i in range(count)]
    )
    CleanupPolicy.objects.bulk_create([CleanupPolicy(tenant=t) for t in tenants])
    return [t.schema_name for t in tenants]


def dispatched() -> list[tuple[str, str, dict[str, Any]]]:
    """(schema, task id, kwargs) of every run the `cleanup.publish_runs` messages carry."""
    messages = queued_messages(settings.CELERY_BROKER_URL, "default")
    return [
        (schema, task_id, task_kwargs)
        for name, (runs, task_kwargs), _, _ in messages
        if name == "cleanup.publish_runs"
        for schema, task_id in runs
    ]


@pytest.mark.django_db
def test_named_tenants_are_queued_and_the_others_skipped_with_their_reason(
    operator: dict[str, str], tenant_a: Tenant, tenant_b: Tenant
) -> None:
    (gamma,) = bare_tenants("gamma", 1)
    (delta,) = bare_tenants("delta", 1)
    (no_policy,) = Tenant.objects.bulk_create([Tenant(schema_name="nopolicy", name="No policy")])
    Tenant.objects.filter(schema_name=delta).update(is_active=False)
    with schema_context("beta"):
        running = cleanup_report_create(schema_name="beta", trigger="manual")
        CleanupReport.objects.filter(pk=running.pk).update(status=Status.RUNNING)
    CleanupPolicy.objects.filter(tenant=tenant_b).update(active_report_status=Status.RUNNING)
    CleanupPolicy.objects.filter(tenant__schema_name=gamma).update(
        active_report_status=Status.AWAITING_APPROVAL, active_report_id=41
    )

    names = ["alpha", "beta", gamma, delta, "nopolicy", "ghost", "public", "alpha"]
    response = trigger(operator, {"tenants": names, "dry_run": True})

    assert response.status_code == 202, response.content
    body = response.json()
    body_trigger_id = body.pop("trigger_id")
    assert isinstance(body_trigger_id, int)
    assert body == {
        "runs": [{"tenant": "alpha"}],
        "skipped": [
            {"tenant": "beta", "reason": f"A cleanup is already running (report {running.pk})."},
            {"tenant": gamma, "reason": "A cleanup is already awaiting approval (report 41)."},
            {"tenant": delta, "reason": "This tenant is suspended."},
            {"tenant": no_policy.schema_name, "reason": "This tenant has no cleanup policy."},
            {"tenant": "ghost", "reason": "No such tenant."},
            {"tenant": "public", "reason": "No such tenant."},
        ],
    }
    # alpha's slot is reserved for the run's task, which creates the report itself.
    policy = CleanupPolicy.objects.get(tenant=tenant_a)
    assert (policy.active_report_status, policy.active_report_id) == ("queued", None)
    assert policy.active_task_kwargs == {
        "trigger": "platform",
        "triggered_by": "operator",
        "dry_run": True,
        "reserved": True,
    }
    assert dispatched() == [("alpha", policy.active_task_id, policy.active_task_kwargs)]
    with schema_context("alpha"):
        assert not CleanupReport.objects.exists()

    again = trigger(operator, {"tenants": ["alpha"]}).json()
    assert again == {
        "trigger_id": body_trigger_id + 1,
        "runs": [],
        "skipped": [{"tenant": "alpha", "reason": "A cleanup is already queued."}],
    }


@pytest.mark.django_db
def test_trigger_all_queues_every_active_idle_tenant_and_lists_no_suspended_one(
    operator: dict[str, str], tenant_a: Tenant, tenant_b: Tenant
) -> None:
    Tenant.objects.filter(pk=tenant_b.pk).update(is_active=False)

    body = trigger(operator, {}).json()

    assert body == {"trigger_id": body["trigger_id"], "runs": [{"tenant": "alpha"}], "skipped": []}
    assert registry("alpha", "beta") == {"alpha": ("queued", None), "beta": ("", None)}
    (queued,) = dispatched()
    assert queued[2]["dry_run"] is None  # each tenant's policy decides


@pytest.mark.django_db
def test_trigger_all_costs_the_same_queries_for_3_and_for_30_tenants(
    operator: dict[str, str],
) -> None:
    few, many = bare_tenants("few", 3), bare_tenants("many", 30)
    Tenant.objects.filter(schema_name__in=many).update(is_active=False)
    counts = []
    trigger(operator, {"tenants": ["ghost"]})  # the operator's first request also sets last_seen
    for schemas, others in ((few, many), (many, few)):
        Tenant.objects.filter(schema_name__in=schemas).update(is_active=True)
        Tenant.objects.filter(schema_name__in=[*others, "alpha", "beta"]).update(is_active=False)
        # One tenant of each batch is busy: skipping costs no extra query either.
        CleanupPolicy.objects.filter(tenant__schema_name=schemas[0]).update(
            active_report_status=Status.RUNNING, active_report_id=7
        )
        with CaptureQueriesContext(connection) as queries:
            response = trigger(operator, {"dry_run": True})
        assert response.status_code == 202
        assert len(response.json()["runs"]) == len(schemas) - 1
        counts.append(len(queries))

    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_with_the_broker_down_trigger_all_answers_503_and_leaves_the_registry_as_it_was(
    operator: dict[str, str], tenant_a: Tenant, tenant_b: Tenant
) -> None:
    CleanupPolicy.objects.filter(tenant=tenant_b).update(
        active_report_status=Status.RUNNING, active_report_id=3
    )
    before = list(CleanupPolicy.objects.order_by("pk").values())

    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        response = trigger(operator, {"tenants": ["alpha", "beta"]})

    assert response.status_code == 503
    assert response.json() == {"detail": "The task queue is unavailable; try again shortly."}
    assert list(CleanupPolicy.objects.order_by("pk").values()) == before
    with schema_context("alpha"):
        assert not CleanupReport.objects.exists()


@pytest.mark.django_db
def test_a_run_whose_reservation_was_released_does_nothing(tenant_a: Tenant) -> None:
    """A message that reached Redis although its publish failed (and was released)."""
    from cleanup.tasks import run_tenant

    result = run_tenant.apply(
        args=["alpha"], kwargs={"trigger": "platform", "reserved": True}, task_id="stray"
    ).get()

    assert result is None
    with schema_context("alpha"):
        assert not CleanupReport.objects.exists()
    assert registry("alpha") == {"alpha": ("", None)}


@pytest.mark.django_db
def test_a_reserved_run_of_a_tenant_suspended_meanwhile_frees_its_slot(
    operator: dict[str, str], tenant_a: Tenant
) -> None:
    from cleanup.tasks import run_tenant

    trigger(operator, {"tenants": ["alpha"]})
    ((schema, task_id, task_kwargs),) = dispatched()
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=False)

    assert run_tenant.apply(args=[schema], kwargs=task_kwargs, task_id=task_id).get() is None

    assert registry("alpha") == {"alpha": ("", None)}
    with schema_context("alpha"):
        assert not CleanupReport.objects.exists()


@pytest.mark.django_db
def test_two_copies_of_a_reserved_run_make_one_report(
    operator: dict[str, str], tenant_a: Tenant
) -> None:
    from cleanup.tasks import run_tenant

    trigger(operator, {"tenants": ["alpha"], "dry_run": True})
    ((schema, task_id, task_kwargs),) = dispatched()

    first = run_tenant.apply(args=[schema], kwargs=task_kwargs, task_id=task_id).get()
    second = run_tenant.apply(args=[schema], kwargs=task_kwargs, task_id=task_id).get()

    assert first["status"] == "succeeded" and second is None
    with schema_context("alpha"):
        (report,) = CleanupReport.objects.all()
    assert (report.pk, report.trigger, report.triggered_by, report.dry_run) == (
        first["report_id"],
        "platform",
        "operator",
        True,
    )
    assert report.task_id == task_id
    assert registry("alpha") == {"alpha": ("", None)}


def test_trigger_all_runs_reach_a_real_worker_and_create_their_own_reports(
    make_live_tenant, celery_worker
) -> None:  # type: ignore[no-untyped-def]
    first, second = make_live_tenant(), make_live_tenant()
    schemas = (first.schema_name, second.schema_name)

    started = cleanup_trigger_many(
        schema_names=list(schemas), dry_run=True, triggered_by="operator"
    )

    assert (started.queued, started.skipped) == (list(schemas), [])
    deadline = time.monotonic() + 60
    while set(registry(*schemas).values()) != {("", None)}:
        assert time.monotonic() < deadline, f"runs never finished: {registry(*schemas)}"
        time.sleep(0.2)
    for tenant in (first, second):
        with schema_context(tenant.schema_name):
            (report,) = CleanupReport.objects.all()
        assert (report.status, report.trigger, report.triggered_by, report.dry_run) == (
            "succeeded",
            "platform",
            "operator",
            True,
        )
        policy = CleanupPolicy.objects.get(tenant=tenant)
        assert (policy.last_report_id, policy.last_report_status) == (report.pk, "succeeded")
    assert queued_tasks(settings.CELERY_BROKER_URL, "cleanup") == []
