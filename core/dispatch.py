"""Publishing Celery tasks by name: the one place a service starts background work.

A service asks for `"cleanup.run_tenant"` by its name and never imports the task function,
so services and tasks do not import each other: tasks are an interface over the services,
as the API is. The broker needs only the name — the queue comes from the routes in
settings (CELERY_TASK_ROUTES), which match names — and a task's own options (retries,
acks_late, time limits) are the worker's, where the task is registered.

Every publish retries as CLEANUP_PUBLISH_RETRY_POLICY says, then raises what the broker
raised (kombu and redis raise many types for "broker unreachable"). What a failed publish
means — a withdrawn run, a released reservation, a mail left for later — is the caller's
to decide.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from celery import current_app
from django.conf import settings


def task_publish(
    name: str,
    *,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    task_id: str | None = None,
    countdown: float | None = None,
    producer: Any = None,
) -> None:
    """Publish task `name` with `args` and `kwargs`, as `task_id` (default: a new id), to
    run in `countdown` seconds, through `producer` if given (see `producer`)."""
    current_app.send_task(
        name,
        args=list(args),
        kwargs=kwargs or {},
        task_id=task_id,
        countdown=countdown,
        producer=producer,
        retry_policy=settings.CLEANUP_PUBLISH_RETRY_POLICY,
        # A task's result is in the database (a run's report): nothing reads Celery's
        # result backend, so no publish waits on it (CELERY_TASK_IGNORE_RESULT).
        ignore_result=True,
    )


@contextmanager
def producer() -> Iterator[Any]:
    """One broker connection for many publishes: pass it to `task_publish` as `producer`.
    Inside its `batch(n)` block (kombu's publish batch) the publishes go to Redis in
    pipelines of `n`, one round trip each, flushed on leaving the block."""
    with current_app.producer_or_acquire() as held:
        yield held
