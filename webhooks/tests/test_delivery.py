"""Deliveries to a real HTTP receiver this test starts, by a real Celery worker: signed as
Standard Webhooks says (verified with the `standardwebhooks` package on the receiving side),
retried, replayed, refused when they would go inside, and bounded against hostile answers."""

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from standardwebhooks import Webhook

from accounts.models import User
from accounts.tests.factories import UserFactory
from activity.models import ActivityEvent
from cleanup.tests.support import run, set_policy
from core.testing.smtp import SmtpServer
from tenants.models import Tenant
from webhooks.models import Delivery, Endpoint
from webhooks.services.delivery import delivery_attempt
from webhooks.services.endpoints import endpoint_create, endpoint_secret_rotate
from webhooks.services.events import webhook_event_emit
from webhooks.services.upkeep import webhooks_sweep
from webhooks.tests.receiver import Answer, Receiver, receiver_running

pytestmark = pytest.mark.slow


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    # A receiver on loopback over plain HTTP: what WEBHOOK_ALLOW_PRIVATE (make run) is for.
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with receiver_running() as running:
        yield running


@pytest.fixture
def tenant(make_live_tenant: Callable[..., Tenant]) -> Tenant:
    return make_live_tenant()


def _endpoint(tenant: Tenant, url: str, events: list[str] | None = None) -> tuple[Endpoint, str]:
    with schema_context(tenant.schema_name):
        return endpoint_create(url=url, events=events or ["*"], actor="admin")


def _emit(tenant: Tenant, type: str = "exemption.created", **data: Any) -> Delivery:
    with schema_context(tenant.schema_name), transaction.atomic():
        (delivery,) = webhook_event_emit(type=type, data=data or {"exemption_id": 1})
    return delivery


def _delivery(tenant: Tenant, pk: int) -> Delivery:
    with schema_context(tenant.schema_name):
        return Delivery.objects.prefetch_related("attempt_log").get(pk=pk)


def _wait_status(tenant: Tenant, pk: int, wanted: str, receiver: Receiver, timeout: float = 60):
    import time

    deadline = time.monotonic() + timeout
    while True:
        delivery = _delivery(tenant, pk)
        if delivery.status == wanted:
            return delivery
        assert time.monotonic() < deadline, (delivery.status, delivery.last_error)
        time.sleep(0.05)


def test_a_committed_event_reaches_the_receiver_signed_as_standard_webhooks_says(
    tenant: Tenant, receiver: Receiver, celery_worker: None
) -> None:
    _, secret = _endpoint(tenant, receiver.url)
    delivery = _emit(tenant, exemption_id=7, username="ann")

    (request,) = receiver.wait_for(1)
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "exemption.created"
    assert payload["data"] == {"exemption_id": 7, "username": "ann"}
    assert set(payload) == {"type", "timestamp", "data"}
    assert request.headers["webhook-id"] == f"msg_{delivery.event_id.hex}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.path == "/hook"
    # One signature outside a rotation.
    assert len(request.headers["webhook-signature"].split(" ")) == 1

    done = _wait_status(tenant, delivery.pk, "delivered", receiver)
    assert (done.attempts, done.last_status_code, done.response_excerpt) == (1, 200, "ok")


def test_a_runs_users_event_reaches_the_receiver_verified_naming_exactly_the_removed(
    tenant: Tenant, receiver: Receiver, celery_worker: None
) -> None:
    """A run's users events are written by its batch's own statement (PostgreSQL builds their
    JSON): what arrives must verify with the receiver's library and name exactly the users
    the run removed."""
    _, secret = _endpoint(tenant, receiver.url, events=["users.deactivated"])
    set_policy(tenant, action="deactivate")
    with schema_context(tenant.schema_name):
        joined = timezone.now() - timedelta(days=2000)
        gone = [
            UserFactory.create(
                username=f"gone{i}", email=f"gone{i}@example.com", date_joined=joined
            ).pk
            for i in range(3)
        ]
        kept = UserFactory.create(username="active", login_days_ago=1).pk
        report = run(tenant)

        (request,) = receiver.wait_for(1)
        payload = Webhook(secret).verify(request.body, request.headers)
        assert payload["type"] == "users.deactivated"
        assert payload["data"]["report_id"] == report.pk
        users = payload["data"]["users"]
        assert [u["id"] for u in users] == sorted(gone)
        assert users[0] == {
            "id": gone[0],
            "username": "gone0",
            "email": "gone0@example.com",
            "reason": "never_logged_in",
        }
        assert set(User.objects.filter(is_active=True).values_list("pk", flat=True)) >= {kept}
        assert not User.objects.filter(pk__in=gone, is_active=True).exists()


def test_a_wrong_secret_does_not_verify(tenant: Tenant, receiver: Receiver) -> None:
    _endpoint(tenant, receiver.url)
    delivery = _emit(tenant)
    with schema_context(tenant.schema_name):
        delivery_attempt(delivery_id=delivery.pk)
    (request,) = receiver.received
    from standardwebhooks.webhooks import WebhookVerificationError

    other = endpoint_create.__globals__["secret_make"]()
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(request.body, request.headers)
    tampered = request.body.replace(b"exemption", b"exemptiom")
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint_secret(tenant)).verify(tampered, request.headers)


def endpoint_secret(tenant: Tenant) -> str:
    with schema_context(tenant.schema_name):
        return Endpoint.objects.get().secret


def test_a_receiver_answering_500_then_200_gets_the_event_once_more_and_the_log_shows_both(
    tenant: Tenant, receiver: Receiver, celery_worker: None
) -> None:
    receiver.answers = [Answer(status=500, body=b"database down")]
    _, secret = _endpoint(tenant, receiver.url)
    delivery = _emit(tenant)

    # The second attempt comes 5 s after the first (the schedule's first step), by itself.
    first, second = receiver.wait_for(2, timeout=60)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    for request in (first, second):
        Webhook(secret).verify(request.body, request.headers)
    done = _wait_status(tenant, delivery.pk, "delivered", receiver)
    assert done.attempts == 2
    log = [(a.status_code, a.response_excerpt, a.error) for a in done.attempt_log.all()]
    assert log == [(500, "database down", "HTTP 500"), (200, "ok", "")]
    assert len(receiver.wait_for(2)) == 2  # and nothing more
    with schema_context(tenant.schema_name):
        assert Endpoint.objects.get().failing_since is None  # the success ended the streak


def test_during_a_rotation_both_secrets_verify_and_after_it_only_the_new_one(
    tenant: Tenant, receiver: Receiver
) -> None:
    endpoint, old = _endpoint(tenant, receiver.url)
    with schema_context(tenant.schema_name):
        _, new = endpoint_secret_rotate(endpoint_id=endpoint.pk, actor="admin")
    assert new != old and new.startswith("whsec_")
    delivery = _emit(tenant)
    with schema_context(tenant.schema_name):
        delivery_attempt(delivery_id=delivery.pk)
    (request,) = receiver.received
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(request.body, request.headers)
    assert Webhook(new).verify(request.body, request.headers)

    # 24 hours later the previous secret signs no more.
    with schema_context(tenant.schema_name):
        Endpoint.objects.update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
        delivery = Delivery.objects.get(pk=_emit(tenant).pk)
        delivery_attempt(delivery_id=delivery.pk)
    request = receiver.received[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    assert Webhook(new).verify(request.body, request.headers)
    from standardwebhooks.webhooks import WebhookVerificationError

    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(request.body, request.headers)


def test_a_redirect_is_a_failure_and_is_not_followed_to_the_inside(
    tenant: Tenant, receiver: Receiver
) -> None:
    with receiver_running() as inside:
        receiver.default = Answer(status=302, headers={"Location": inside.url}, body=b"")
        _endpoint(tenant, receiver.url)
        delivery = _emit(tenant)
        with schema_context(tenant.schema_name):
            assert delivery_attempt(delivery_id=delivery.pk) == "pending"
        assert inside.received == []
    done = _delivery(tenant, delivery.pk)
    assert done.last_status_code == 302
    assert "redirects are not followed" in done.last_error
    assert (
        done.next_attempt_at and done.next_attempt_at > timezone.now()
    )  # retried on the schedule, as any failure


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (Answer(delay=5), "Timed out"),
        (Answer(body=b"x" * 50, drip=0.2), ""),
        (Answer(huge=100 * 1024 * 1024), ""),
    ],
    ids=["slow", "dripping", "huge"],
)
def test_a_hostile_answer_costs_at_most_the_timeout_and_a_bounded_excerpt(
    tenant: Tenant, receiver: Receiver, settings: Any, answer: Answer, error: str
) -> None:
    settings.WEBHOOK_TIMEOUT_S = 1.0
    receiver.default = answer
    _endpoint(tenant, receiver.url)
    delivery = _emit(tenant)
    with schema_context(tenant.schema_name):
        delivery_attempt(delivery_id=delivery.pk)
    done = _delivery(tenant, delivery.pk)
    assert done.last_error.startswith(error)
    assert len(done.response_excerpt) <= 1024
    if answer.huge:
        assert done.status == "delivered"  # a 200 with a huge body is a 200
        assert done.response_excerpt == "x" * 1024
    if answer.drip:
        # The status came at once (a 200: delivered); the deadline cut the dripping body.
        assert done.status == "delivered"
        assert len(done.response_excerpt) < 50


def test_replaying_a_delivery_sends_the_same_event_again(
    tenant: Tenant, receiver: Receiver, celery_worker: None
) -> None:
    from webhooks.services.endpoints import delivery_replay

    endpoint, secret = _endpoint(tenant, receiver.url)
    delivery = _emit(tenant)
    _wait_status(tenant, delivery.pk, "delivered", receiver)
    with schema_context(tenant.schema_name):
        replay = delivery_replay(endpoint_id=endpoint.pk, delivery_id=delivery.pk)
    _wait_status(tenant, replay.pk, "delivered", receiver)
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert json.loads(first.body) == json.loads(second.body)
    Webhook(secret).verify(second.body, second.headers)


def test_an_endpoint_failing_for_24_hours_is_disabled_its_admins_emailed_and_the_log_told(
    tenant: Tenant, receiver: Receiver, smtp_server: SmtpServer, celery_worker: None
) -> None:
    receiver.default = Answer(status=503)
    endpoint, _ = _endpoint(tenant, receiver.url)
    waiting = _emit(tenant)  # another pending delivery, which fails with its endpoint
    with schema_context(tenant.schema_name):
        Delivery.objects.filter(pk=waiting.pk).update(
            next_attempt_at=timezone.now() + timedelta(hours=1)
        )
        # Time-shifted: the endpoint has failed every attempt since 25 hours ago.
        Endpoint.objects.update(failing_since=timezone.now() - timedelta(hours=25))
    delivery = _emit(tenant)
    done = _wait_status(tenant, delivery.pk, "failed", receiver)
    assert done.attempts == 1

    with schema_context(tenant.schema_name):
        endpoint.refresh_from_db()
        assert not endpoint.enabled
        assert "24 hours" in endpoint.disabled_reason
        assert Delivery.objects.get(pk=waiting.pk).status == "failed"
        (event,) = ActivityEvent.objects.filter(verb="webhook.disabled")
        assert event.data["endpoint_id"] == endpoint.pk
    smtp_server.wait_for(lambda: len(smtp_server.messages) == 1)
    (received,) = smtp_server.messages
    assert received.to == "admin@live.test"
    assert "disabled" in received.message["Subject"]
    assert receiver.url in received.message.get_body(("plain",)).get_content()
    assert not mail.outbox  # through the real SMTP server, not Django's locmem


def test_a_failing_endpoint_younger_than_24_hours_stays_enabled(
    tenant: Tenant, receiver: Receiver
) -> None:
    receiver.default = Answer(status=500)
    endpoint, _ = _endpoint(tenant, receiver.url)
    with schema_context(tenant.schema_name):
        Endpoint.objects.update(failing_since=timezone.now() - timedelta(hours=23))
        delivery_attempt(delivery_id=_emit(tenant).pk)
        endpoint.refresh_from_db()
    assert endpoint.enabled


def test_the_sweeper_publishes_a_delivery_whose_task_was_lost(
    tenant: Tenant, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_LEASE_S = 0
    _endpoint(tenant, receiver.url)
    delivery = _emit(tenant)
    from config.celery import app

    app.control.purge()  # the task published at commit is lost
    published = webhooks_sweep(now=timezone.now() + timedelta(seconds=1))
    assert published == {tenant.schema_name: 1}
    from core.testing.broker import queued_tasks

    assert queued_tasks(settings.CELERY_BROKER_URL, "webhooks") == [
        ("webhooks.deliver", [tenant.schema_name, delivery.pk], {})
    ]
    app.control.purge()
