"""The fleet's Celery tasks: beat's fan-out and reaper, and trigger-all's expansion into run
tasks. An interface over `fleet.services`, like the platform API. Their names keep the
`cleanup.` prefix they were published under: beat's schedule rows and messages already in a
queue name them."""

from celery import shared_task

from fleet.services.fanout import cleanup_fan_out
from fleet.services.publish import PublishFailed
from fleet.services.reaper import cleanup_reap_stale
from fleet.services.trigger import cleanup_runs_dispatch


@shared_task(
    name="cleanup.publish_runs",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(PublishFailed,),
    retry_backoff=5,
    max_retries=5,
)
def publish_runs(runs: list[list[str]], task_kwargs: dict[str, object]) -> int:
    """Trigger-all's runs, published from a worker in Redis pipelines: `runs` are [schema
    name, task id] pairs whose reservations the request wrote. Retried when the broker
    refuses (a run published twice runs once); should every try fail, the reservations
    stand and the reaper publishes them after CLEANUP_QUEUED_TIMEOUT_S."""
    return cleanup_runs_dispatch(runs, task_kwargs)


@shared_task(name="cleanup.fan_out", ignore_result=True)
def fan_out() -> int:
    """Every minute (django-celery-beat): queue a run for each tenant that is due."""
    return len(cleanup_fan_out())


@shared_task(name="cleanup.reap_stale_runs", ignore_result=True)
def reap_stale_runs() -> int:
    """Every minute: end runs whose worker died, so their tenants are not locked out."""
    return len(cleanup_reap_stale())
