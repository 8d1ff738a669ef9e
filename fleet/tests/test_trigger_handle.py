"""Trigger-all's handle: GET /api/platform/triggers/{id}/ lists each tenant's report id and
status as the runs create them, a page at a time, in a fixed number of queries."""

import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from cleanup.models import CleanupReport
from cleanup.tasks import run_tenant
from core.testing import ROOT, TENANT_A, client
from core.testing.broker import broker_at, free_port
from fleet.models import Trigger, TriggerRun
from fleet.selectors import trigger_run_status, trigger_runs
from fleet.services.trigger import cleanup_trigger_many
from fleet.tests.test_trigger_all import bare_tenants, dispatched
from policy.models import CleanupPolicy, RunOutcome
from tenants.models import Tenant

TRIGGER = "/api/platform/cleanup/trigger/"


def handle(operator: dict[str, str], trigger_id: int | str, query: str = "") -> Any:
    return client(ROOT, operator["access"]).get(f"/api/platform/triggers/{trigger_id}/{query}")


def start(operator: dict[str, str], body: dict[str, Any]) -> int:
    response = client(ROOT, operator["access"]).post(TRIGGER, body, format="json")
    assert response.status_code == 202, response.content
    return int(response.json()["trigger_id"])


def run_all() -> None:
    """Each published run, as a worker would take it."""
    for schema, task_id, task_kwargs in dispatched():
        run_tenant.apply(args=[schema], kwargs=task_kwargs, task_id=task_id).get()


@pytest.mark.django_db
def test_the_handle_shows_report_ids_and_statuses_as_the_runs_create_and_end_them(
    operator: dict[str, str], tenant_a: Tenant, tenant_b: Tenant
) -> None:
    trigger_id = start(operator, {"tenants": ["alpha", "beta", "ghost"], "dry_run": True})

    before = handle(operator, trigger_id).json()
    assert before["created_by"] == "operator"
    assert before["created_at"]
    assert {k: before[k] for k in ("id", "count", "next", "previous", "results")} == {
        "id": trigger_id,
        "count": 2,  # ghost was skipped: it has no run to follow
        "next": None,
        "previous": None,
        "results": [
            {"tenant": "alpha", "report_id": None, "status": "queued"},
            {"tenant": "beta", "report_id": None, "status": "queued"},
        ],
    }

    run_all()

    results = handle(operator, trigger_id).json()["results"]
    reports = {}
    for schema in ("alpha", "beta"):
        with schema_context(schema):
            (report,) = CleanupReport.objects.values_list("pk", "status")
        reports[schema] = report
    assert results == [
        {"tenant": schema, "report_id": reports[schema][0], "status": "succeeded"}
        for schema in ("alpha", "beta")
    ]
    assert {status for _, status in reports.values()} == {"succeeded"}


@pytest.mark.django_db
def test_a_created_report_shows_with_its_id_while_it_is_still_queued(
    operator: dict[str, str], tenant_a: Tenant
) -> None:
    from cleanup.services.start import cleanup_report_create

    trigger_id = start(operator, {"tenants": ["alpha"]})
    ((schema, task_id, _),) = dispatched()
    with schema_context(schema):
        report = cleanup_report_create(
            schema_name=schema, trigger="platform", task_id=task_id, reserved=True
        )

    assert handle(operator, trigger_id).json()["results"] == [
        {"tenant": "alpha", "report_id": report.pk, "status": "queued"}
    ]


@pytest.mark.django_db
def test_a_run_whose_tenant_was_suspended_before_it_started_shows_withdrawn(
    operator: dict[str, str], tenant_a: Tenant, tenant_b: Tenant
) -> None:
    trigger_id = start(operator, {"tenants": ["alpha", "beta"], "dry_run": True})
    Tenant.objects.filter(pk=tenant_b.pk).update(is_active=False)

    run_all()

    assert [(r["tenant"], r["status"]) for r in handle(operator, trigger_id).json()["results"]] == [
        ("alpha", "succeeded"),
        ("beta", "withdrawn"),
    ]
    with schema_context("beta"):
        assert not CleanupReport.objects.exists()


@pytest.mark.django_db
def test_only_a_platform_run_records_its_report_on_a_trigger(tenant_a: Tenant) -> None:
    """A scheduled (fan-out) run creates its report through the same path: no trigger row is
    touched, and none is written."""
    from fleet.services.fanout import cleanup_fan_out

    CleanupPolicy.objects.filter(tenant=tenant_a).update(next_run_at=timezone.now())
    (schema,) = [s for s in cleanup_fan_out() if s == "alpha"]
    run_all_scheduled = [(s, t, k) for s, t, k in _run_messages() if s == schema]
    for s, task_id, kwargs in run_all_scheduled:
        run_tenant.apply(args=[s], kwargs=kwargs, task_id=task_id).get()

    assert not TriggerRun.objects.exists()


def _run_messages() -> list[tuple[str, str, dict[str, Any]]]:
    from django.conf import settings

    from core.testing.broker import queued_messages

    return [
        (args[0], task_id, kwargs)
        for name, args, kwargs, task_id in queued_messages(settings.CELERY_BROKER_URL, "cleanup")
        if name == "cleanup.run_tenant"
    ]


@pytest.mark.django_db
def test_a_page_costs_the_same_queries_for_3_and_for_60_tenants(
    operator: dict[str, str],
) -> None:
    handle(operator, 1)  # the operator's first request also sets last_seen
    counts = []
    for prefix, size in (("few", 3), ("many", 60)):
        schemas = bare_tenants(prefix, size)
        trigger_id = start(operator, {"tenants": schemas, "dry_run": True})
        runs = list(TriggerRun.objects.filter(trigger_id=trigger_id).order_by("pk"))
        # Every state a run can be in: finished (an outcome), active with its report, and
        # still reserved; one tenant's policy row gone (its run shows withdrawn).
        now = timezone.now()
        for i, run in enumerate(runs[:-1]):
            TriggerRun.objects.filter(pk=run.pk).update(report_id=100 + i)
            if i % 2:
                RunOutcome.objects.create(
                    tenant_id=run.tenant_id,
                    report_id=100 + i,
                    status="failed",
                    trigger="platform",
                    dry_run=True,
                    finished_at=now,
                )
            else:
                CleanupPolicy.objects.filter(pk=run.tenant_id).update(
                    active_report_id=100 + i, active_report_status="running", active_task_id=""
                )
        CleanupPolicy.objects.filter(pk=runs[-1].tenant_id).delete()
        with CaptureQueriesContext(connection) as queries:
            body = handle(operator, trigger_id, "?page_size=1000").json()
        assert body["count"] == size
        statuses = [r["status"] for r in body["results"]]
        assert statuses == [
            *("failed" if i % 2 else "running" for i in range(size - 1)),
            "withdrawn",
        ]
        counts.append(len(queries))

    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_the_runs_come_a_page_at_a_time_in_the_order_they_were_queued(
    operator: dict[str, str],
) -> None:
    schemas = bare_tenants("paged", 5)
    trigger_id = start(operator, {"tenants": list(reversed(schemas))})

    first = handle(operator, trigger_id, "?page_size=2").json()
    last = handle(operator, trigger_id, "?page_size=2&page=3").json()

    assert first["count"] == 5
    assert [r["tenant"] for r in first["results"]] == schemas[::-1][:2]
    assert first["previous"] is None
    assert first["next"].endswith(f"/api/platform/triggers/{trigger_id}/?page=2&page_size=2")
    assert [r["tenant"] for r in last["results"]] == [schemas[0]]
    assert last["next"] is None
    assert handle(operator, trigger_id, "?page=4&page_size=2").status_code == 404
    bad = handle(operator, trigger_id, "?page_size=%D9%A3")  # Arabic-Indic 3
    assert bad.status_code == 400
    assert "page_size" in bad.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "trigger_id",
    [
        "999",
        "0",
        str(2**63 - 1),
        str(2**63),
        "9" * 5000,
        "%D9%A3",  # Arabic-Indic 3
        "%EF%BC%91",  # fullwidth 1
        "-1",
        "1.0",
        "1%00",
        "%20" + "1",
    ],
)
def test_an_unknown_or_odd_trigger_id_is_a_404(operator: dict[str, str], trigger_id: str) -> None:
    response = handle(operator, trigger_id)

    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.django_db
def test_a_tenant_admins_token_gets_no_trigger(
    operator: dict[str, str], admin_a: dict[str, str], tenant_a: Tenant
) -> None:
    trigger_id = start(operator, {"tenants": ["alpha"]})

    on_root = client(ROOT, admin_a["access"]).get(f"/api/platform/triggers/{trigger_id}/")
    on_tenant = client(TENANT_A, admin_a["access"]).get(f"/api/platform/triggers/{trigger_id}/")

    assert on_root.status_code in (401, 403)
    assert on_tenant.status_code == 404
    assert "alpha" not in on_root.content.decode() + on_tenant.content.decode()


@pytest.mark.django_db
def test_with_the_broker_down_no_trigger_is_left(
    operator: dict[str, str], tenant_a: Tenant
) -> None:
    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        response = client(ROOT, operator["access"]).post(TRIGGER, {}, format="json")

    assert response.status_code == 503
    assert not Trigger.objects.exists()
    assert not TriggerRun.objects.exists()


def test_a_real_worker_fills_in_the_report_ids(make_live_tenant, celery_worker) -> None:  # type: ignore[no-untyped-def]
    tenants = [make_live_tenant(), make_live_tenant()]
    started = cleanup_trigger_many(
        schema_names=[t.schema_name for t in tenants], dry_run=True, triggered_by="operator"
    )
    trigger = Trigger.objects.get(pk=started.trigger_id)
    try:
        deadline = time.monotonic() + 60
        while True:
            seen = [
                (r.schema_name, r.report_id, trigger_run_status(r)) for r in trigger_runs(trigger)
            ]  # type: ignore[attr-defined]
            if all(status == "succeeded" for _, _, status in seen):
                break
            assert time.monotonic() < deadline, f"runs never finished: {seen}"
            time.sleep(0.2)
        for tenant, (schema, report_id, _) in zip(tenants, seen, strict=True):
            with schema_context(tenant.schema_name):
                (report,) = CleanupReport.objects.all()
            assert (schema, report_id) == (tenant.schema_name, report.pk)
    finally:
        trigger.delete()
