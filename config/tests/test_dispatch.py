"""Tasks are published by name (`core.dispatch`): every name a service publishes is a task a
worker knows, routed to its queue by that name, and a publish keeps its id and delay."""

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings

from config.celery import app as celery_app
from core.dispatch import producer, task_publish
from core.testing.broker import queued_messages

ROOT = Path(settings.BASE_DIR)
APPS = ("core", "tenants", "activity", "accounts", "policy", "cleanup", "fleet", "config")


def published_names() -> dict[str, list[str]]:
    """Every task name the code passes to `task_publish`, with where: {name: [file:line]}."""
    found: dict[str, list[str]] = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                called = node.func
                name = (
                    called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
                )
                if name != "task_publish" or not node.args:
                    continue
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path}:{node.lineno}: a name, literally"
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.setdefault(first.value, []).append(where)
    return found


def test_every_name_a_service_publishes_is_a_registered_and_routed_task() -> None:
    names = published_names()
    celery_app.loader.import_default_modules()  # what a worker imports: every app's tasks

    assert set(names) == {
        "cleanup.run_tenant",
        "cleanup.publish_runs",
        "cleanup.send_notices",
        "cleanup.notify_admins",
        "cleanup.send_test_notice",
    }
    for name, where in names.items():
        assert name in celery_app.tasks, (name, where)
        assert name in settings.CELERY_TASK_ROUTES, (name, where)


@pytest.mark.parametrize(
    ("name", "queue"),
    [
        ("cleanup.run_tenant", "cleanup"),
        ("cleanup.publish_runs", "default"),
        ("cleanup.send_notices", "notices"),
        ("cleanup.notify_admins", "notices"),
    ],
)
def test_a_task_published_by_name_reaches_its_queue_with_its_id_and_arguments(
    name: str, queue: str
) -> None:
    task_publish(name, args=["alpha"], kwargs={"report_id": 7}, task_id=f"id-of-{name}")

    assert queued_messages(settings.CELERY_BROKER_URL, queue) == [
        (name, ["alpha"], {"report_id": 7}, f"id-of-{name}")
    ]


def test_a_delayed_publish_carries_its_eta_and_a_batch_sends_them_all() -> None:
    with producer() as held, held.batch(10):
        task_publish("cleanup.send_notices", args=["alpha"], countdown=60, producer=held)
        task_publish("cleanup.send_notices", args=["beta"], producer=held)

    messages = queued_messages(settings.CELERY_BROKER_URL, "notices")
    assert [args for _, args, _, _ in messages] == [["alpha"], ["beta"]]
    etas = [raw["headers"]["eta"] for raw in raw_messages("notices")]
    assert etas[0] is not None and etas[1] is None


def raw_messages(queue: str) -> list[dict[str, Any]]:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)
    return [json.loads(raw) for raw in reversed(client.lrange(queue, 0, -1))]


@pytest.mark.django_db
def test_every_routed_task_and_every_beat_entry_names_a_task_a_worker_has() -> None:
    """Beat's schedule rows and messages already queued name tasks by name: moving a task's
    code to another app must not change the name a worker knows it by."""
    from django_celery_beat.models import PeriodicTask

    celery_app.loader.import_default_modules()
    beat = set(PeriodicTask.objects.values_list("task", flat=True))

    assert beat == {
        "cleanup.fan_out",
        "cleanup.reap_stale_runs",
        "webhooks.sweep",
        "webhooks.purge",
    }
    assert (beat | set(settings.CELERY_TASK_ROUTES)) <= set(celery_app.tasks)
