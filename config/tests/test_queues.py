"""Runs and housekeeping travel on separate queues of the real broker
(docs/architecture.md#the-fleet).

A long trigger-all, or hung cleanups, then never delay the fan-out and the reaper: workers
consuming `default` pick those up whatever waits on `cleanup`.
"""

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from cleanup.tasks import run_tenant
from config.celery import app as celery_app
from core.testing.broker import queued_tasks
from fleet.tasks import fan_out, reap_stale_runs


def names(queue: str) -> list[str]:
    return [name for name, _, _ in queued_tasks(settings.CELERY_BROKER_URL, queue)]


def test_a_run_is_queued_on_cleanup_and_the_fan_out_and_reaper_on_default() -> None:
    run_tenant.apply_async(args=["alpha"], kwargs={"report_id": 1, "trigger": "manual"})
    fan_out.delay()
    reap_stale_runs.delay()

    assert names("cleanup") == ["cleanup.run_tenant"]
    assert names("default") == ["cleanup.fan_out", "cleanup.reap_stale_runs"]


@pytest.mark.django_db
def test_beat_publishes_its_entries_on_default() -> None:
    for entry in PeriodicTask.objects.filter(task__startswith="cleanup."):
        options = ModelEntry(entry, app=celery_app).options
        celery_app.send_task(entry.task, **options)

    assert sorted(names("default")) == ["cleanup.fan_out", "cleanup.reap_stale_runs"]
    assert names("cleanup") == []


def test_a_worker_started_without_q_consumes_every_queue() -> None:
    assert set(celery_app.amqp.queues) == {"cleanup", "default", "notices", "webhooks"}


def test_deliveries_travel_on_webhooks_and_the_sweeper_on_default() -> None:
    celery_app.send_task("webhooks.deliver", args=["alpha", 1])
    celery_app.send_task("webhooks.sweep")
    assert names("webhooks") == ["webhooks.deliver"]
    assert names("default") == ["webhooks.sweep"]


@pytest.mark.django_db
def test_beat_sweeps_webhooks_every_minute_and_purges_them_daily() -> None:
    entries = PeriodicTask.objects.filter(task__startswith="webhooks.")
    assert {(e.task, e.interval.every, e.interval.period) for e in entries} == {
        ("webhooks.sweep", 1, "minutes"),
        ("webhooks.purge", 1, "days"),
    }
