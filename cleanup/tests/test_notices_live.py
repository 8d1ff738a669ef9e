"""The notices' sender with committed data: concurrent senders, and the real Celery worker
consuming the `notices` queue, against a real SMTP server (aiosmtpd)."""

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from cleanup.models import CleanupNotice, CleanupReport
from cleanup.services.admin_mail import admins_notify_enqueue
from cleanup.services.notices import notices_send, notices_send_enqueue
from cleanup.services.transitions import report_finish
from cleanup.tests.factories import CleanupReportFactory
from core.testing.smtp import SmtpServer
from tenants.models import Tenant

Status = CleanupReport.Status


def outbox_make(schema: str, count: int, *, status: str = Status.SUCCEEDED) -> CleanupReport:
    """A report of a real run and `count` unsent notices of users inactive for 80 days."""
    with schema_context(schema):
        report = CleanupReportFactory.create(status=status)
        long_ago = timezone.now() - timedelta(days=80)
        users = User.objects.bulk_create(
            User(username=f"u{i:04}", email=f"u{i:04}@live.test", last_login=long_ago)
            for i in range(count)
        )
        CleanupNotice.objects.bulk_create(
            CleanupNotice(
                user_id=user.pk,
                email=user.email,
                report=report,
                due_at=timezone.now() + timedelta(days=14),
            )
            for user in users
        )
    return report


def unsent(schema: str) -> int:
    with schema_context(schema):
        return CleanupNotice.objects.filter(sent_at__isnull=True).count()


def in_thread(target: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            target()
        finally:
            connection.close()

    return run


def test_two_senders_at_once_never_send_a_notice_twice(
    make_live_tenant: Callable[..., Tenant], smtp_server: SmtpServer, settings: Any
) -> None:
    settings.NOTICE_DAILY_CAP_MIN = settings.NOTICE_DAILY_CAP_RATIO = 0  # the whole outbox
    schema = make_live_tenant().schema_name
    outbox_make(schema, 300)
    start = threading.Barrier(2)
    outcomes: list[int] = []

    def sender() -> None:
        start.wait()
        outcomes.append(notices_send(schema_name=schema, batch_size=10).sent)

    threads = [threading.Thread(target=in_thread(sender)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    per_address = Counter(message.to for message in smtp_server.messages)
    assert len(per_address) == 300
    assert set(per_address.values()) == {1}
    assert sum(outcomes) == 300
    assert unsent(schema) == 0


def test_a_sender_skips_the_notices_another_sender_holds(
    make_live_tenant: Callable[..., Tenant], smtp_server: SmtpServer
) -> None:
    schema = make_live_tenant().schema_name
    outbox_make(schema, 15)
    locked, release = threading.Event(), threading.Event()

    def other_sender_mid_batch() -> None:
        with schema_context(schema), transaction.atomic():
            list(CleanupNotice.objects.order_by("id").select_for_update()[:5])
            locked.set()
            release.wait(60)

    holder = threading.Thread(target=in_thread(other_sender_mid_batch))
    holder.start()
    assert locked.wait(30)
    try:
        first = notices_send(schema_name=schema)
    finally:
        release.set()
        holder.join(30)
    second = notices_send(schema_name=schema)

    assert (first.sent, second.sent) == (10, 5)
    # While they were held, the first sender came back for them later.
    assert first.follow_up_in is not None
    assert second.follow_up_in is None
    assert set(Counter(message.to for message in smtp_server.messages).values()) == {1}
    assert len(smtp_server.messages) == 15


def test_two_senders_at_once_send_no_more_than_the_daily_cap_between_them(
    make_live_tenant: Callable[..., Tenant], smtp_server: SmtpServer, settings: Any
) -> None:
    settings.NOTICE_DAILY_CAP_MIN, settings.NOTICE_DAILY_CAP_RATIO = 15, 0
    schema = make_live_tenant().schema_name
    outbox_make(schema, 40)
    start = threading.Barrier(2)
    outcomes: list[int] = []

    def sender() -> None:
        start.wait()
        outcomes.append(notices_send(schema_name=schema, batch_size=4).sent)

    threads = [threading.Thread(target=in_thread(sender)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert sum(outcomes) == 15
    assert len(smtp_server.messages) == 15
    assert set(Counter(message.to for message in smtp_server.messages).values()) == {1}
    assert unsent(schema) == 25


# --- The real worker on the `notices` queue


@pytest.mark.usefixtures("celery_worker")
def test_a_run_that_ends_gets_its_notices_and_the_admin_email_out_through_the_worker(
    make_live_tenant: Callable[..., Tenant], smtp_server: SmtpServer
) -> None:
    schema = make_live_tenant().schema_name
    report = outbox_make(schema, 3, status=Status.RUNNING)
    with schema_context(schema):
        CleanupReport.objects.filter(pk=report.pk).update(users_deactivated=2, users_removed=2)
        report.refresh_from_db()

        report_finish(report, Status.SUCCEEDED, from_statuses=(Status.RUNNING,))

    smtp_server.wait_for(lambda: len(smtp_server.messages) == 4)
    # The server accepts a message before the worker's transaction marks it sent.
    smtp_server.wait_for(lambda: unsent(schema) == 0)
    assert sorted(message.to for message in smtp_server.messages) == [
        "admin@live.test",
        "u0000@live.test",
        "u0001@live.test",
        "u0002@live.test",
    ]
    [admin_mail] = smtp_server.to("admin@live.test")
    assert admin_mail.message["Subject"].endswith(f"Cleanup run #{report.pk} removed 2 users")


@pytest.mark.usefixtures("celery_worker")
def test_the_worker_retries_a_notice_until_the_mail_server_takes_it(
    make_live_tenant: Callable[..., Tenant], smtp_server: SmtpServer, settings: Any
) -> None:
    settings.NOTICE_RETRY_BASE_S = 1
    schema = make_live_tenant().schema_name
    outbox_make(schema, 1)
    smtp_server.refuse_rcpt["u0000@live.test"] = "451 4.3.0 Mail server temporarily unavailable"

    notices_send_enqueue(schema)
    smtp_server.wait_for(lambda: len(smtp_server.refused) >= 1)
    with schema_context(schema):
        notice = CleanupNotice.objects.get()
    assert notice.sent_at is None
    smtp_server.refuse_rcpt.clear()  # the server is back

    # The sender's own countdown (NOTICE_RETRY_BASE_S) brings it back: nothing enqueues it.
    smtp_server.wait_for(lambda: len(smtp_server.messages) == 1)
    # The server accepts a message before the worker's transaction marks it sent.
    smtp_server.wait_for(lambda: unsent(schema) == 0)
    with schema_context(schema):
        notice.refresh_from_db()
    assert notice.sent_at is not None
    assert notice.attempts >= 1
    assert "451" in notice.last_error


@pytest.mark.usefixtures("celery_worker")
def test_the_worker_retries_an_admin_email_until_the_mail_server_takes_it(
    make_live_tenant: Callable[..., Tenant], smtp_server: SmtpServer, settings: Any
) -> None:
    settings.NOTICE_RETRY_BASE_S = 1
    schema = make_live_tenant().schema_name
    report = outbox_make(schema, 0, status=Status.FAILED)
    smtp_server.refuse_rcpt["admin@live.test"] = "451 4.7.1 Greylisted, try again later"

    admins_notify_enqueue(schema, report.pk, "failed")
    smtp_server.wait_for(lambda: len(smtp_server.refused) >= 1)
    smtp_server.refuse_rcpt.clear()

    smtp_server.wait_for(lambda: len(smtp_server.messages) == 1)
    assert smtp_server.messages[0].to == "admin@live.test"
