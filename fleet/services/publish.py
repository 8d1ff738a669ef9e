"""Publishing `cleanup.run_tenant` messages in bulk, for the fan-out, trigger-all and the
reaper: one producer, a Redis pipeline per PUBLISH_BATCH_SIZE messages."""

import random
from typing import Any, NamedTuple

from core import dispatch

# Run messages per Redis pipeline (kombu's publish batch): one round trip each.
PUBLISH_BATCH_SIZE = 1000


class RunMessage(NamedTuple):
    """One `cleanup.run_tenant` message: the tenant, the task's id and its kwargs."""

    schema_name: str
    task_id: str
    kwargs: dict[str, Any]


class PublishFailed(Exception):
    """The broker refused a batch: the first `published` messages surely reached it; the
    failed batch's delivery is uncertain, and the rest were never sent."""

    def __init__(self, published: int):
        super().__init__(f"publish failed after {published} messages")
        self.published = published


def runs_publish(messages: list[RunMessage], *, jitter_s: float = 0) -> None:
    """Publish run tasks through one producer, PUBLISH_BATCH_SIZE per Redis pipeline (one
    round trip each, kombu's publish batch).

    Raises PublishFailed when the broker refuses. A failed pipeline's delivery is uncertain
    (kombu cannot tell which of its commands Redis ran), so callers publish only *reserved*
    runs and release the reservations of every message from the failed batch on: a message
    that reached Redis after all then does nothing. `jitter_s` delays each run by a random
    0 to jitter_s seconds, so a thousand tenants due at 03:00 do not all start at once.
    """
    published = 0
    try:
        with dispatch.producer() as producer:
            for start in range(0, len(messages), PUBLISH_BATCH_SIZE):
                batch = messages[start : start + PUBLISH_BATCH_SIZE]
                with producer.batch(PUBLISH_BATCH_SIZE):  # flushed on leaving the block
                    for message in batch:
                        dispatch.task_publish(
                            "cleanup.run_tenant",
                            args=[message.schema_name],
                            kwargs=message.kwargs,
                            task_id=message.task_id,
                            countdown=random.uniform(0, jitter_s) if jitter_s else 0,  # noqa: S311 -- not secret
                            producer=producer,
                        )
                published += len(batch)
    except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
        raise PublishFailed(published) from exc
