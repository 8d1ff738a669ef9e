"""Drill: the worker delivering a webhook is SIGKILLed while the receiver holds the request
(docs/webhooks.md#delivery). The delivery stays pending; once its lease runs out the sweeper
publishes it again and another worker delivers it: at least once, the same webhook-id."""

import signal
from typing import TypedDict

from standardwebhooks import Webhook

from faults.stack import Stack, purge_queue, running, wait_for
from webhooks.tests.receiver import Answer, receiver_running


class Env(TypedDict):
    WEBHOOK_ALLOW_PRIVATE: str
    WEBHOOK_LEASE_S: str


# A loopback receiver over plain HTTP, and a short lease so the drill need not wait a minute.
ENV: Env = {"WEBHOOK_ALLOW_PRIVATE": "1", "WEBHOOK_LEASE_S": "3"}


def delivery(stack: Stack, schema: str) -> tuple[str, int]:
    ((status, attempts),) = stack.sql(
        "SELECT status, attempts FROM webhooks_delivery", schema=schema
    )
    return status, attempts


def test_a_worker_killed_mid_delivery_loses_nothing(stack: Stack) -> None:
    schema = "hooked"
    stack.tenant_create(schema)
    purge_queue(stack)
    with receiver_running() as receiver:
        receiver.answers = [Answer(hold=True)]  # the first attempt never gets its answer
        out = stack.python(
            "from django.db import transaction\n"
            "from django_tenants.utils import schema_context\n"
            "from webhooks.services.endpoints import endpoint_create\n"
            "from webhooks.services.events import webhook_event_emit\n"
            f"with schema_context({schema!r}):\n"
            f"    endpoint, secret = endpoint_create(url={receiver.url!r}, events=['*'],"
            " actor='admin')\n"
            "    with transaction.atomic():\n"
            "        webhook_event_emit(type='exemption.created', data={'exemption_id': 7})\n"
            "print(secret)\n",
            **ENV,
        )
        secret = out.strip().splitlines()[-1]

        worker = stack.worker_start("webhooks-killed", queues="webhooks", **ENV)
        with running(stack, worker):
            assert receiver.arrived.wait(90), "the first attempt never reached the receiver"
            stack.stop(worker, signal.SIGKILL)
            assert worker.returncode == -signal.SIGKILL
        receiver.release.set()
        assert delivery(stack, schema) == ("pending", 0)  # nothing recorded, nothing lost

        with running(stack, stack.worker_start("webhooks-after", queues="webhooks", **ENV)):
            # Beat's sweeper, by hand: once the dead worker's lease is over it publishes the
            # delivery again.
            wait_for(
                lambda: (
                    "'hooked': 1"
                    in stack.python(
                        "from webhooks.services.upkeep import webhooks_sweep\n"
                        "print(webhooks_sweep())\n",
                        **ENV,
                    )
                ),
                "the sweeper to publish the delivery again",
                every=1,
            )
            wait_for(lambda: delivery(stack, schema) == ("delivered", 1), "the delivery")
        first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert Webhook(secret).verify(second.body, second.headers)["data"] == {"exemption_id": 7}
