"""A notice as the policy would write it, for the admins: the policy editor's preview and
"send me a test" (docs/architecture.md#notices-and-the-keep-link).

Both fill the placeholders with sample values — the admin's own first name, a removal date
`notice_days` from now, the tenant's address — and a keep link that keeps nobody (it names
no notice: the keep page says the link does not work).
"""

import logging
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from cleanup.services.mail import TenantMail, tenant_mail
from cleanup.services.notice_text import NoticeWords, notice_words
from core.dispatch import task_publish
from core.errors import ServiceError
from core.mail import connection_close, connection_open, deliver, message_build
from policy.rules import PolicySpec

logger = logging.getLogger(__name__)

# At most this many test notices per admin in TEST_NOTICE_WINDOW_S: enough to try a few
# drafts, too few to make "send me a test" a way to mail anyone much.
TEST_NOTICE_LIMIT = 5
TEST_NOTICE_WINDOW_S = 600
SAMPLE_KEEP_PATH = "keep/this-is-a-test/"


class NoticeTestNoAddress(ServiceError):
    detail = "Your account has no email address to send the test to."


class NoticeTestThrottled(ServiceError):
    status_code = 429
    detail = (
        f"At most {TEST_NOTICE_LIMIT} test notices in {TEST_NOTICE_WINDOW_S // 60} minutes: "
        "try again later."
    )


class NoticeTestBrokerUnavailable(ServiceError):
    status_code = 503
    detail = "The test could not be queued (the task broker is unavailable); nothing was sent."


def notice_sample(
    *, spec: PolicySpec, tenant: TenantMail, first_name: str, now: datetime
) -> NoticeWords:
    """What a notice of `spec` would say to someone called `first_name`, written `now`."""
    return notice_words(
        spec=spec,
        tenant_name=tenant.name,
        first_name=first_name,
        removal_at=now + timedelta(days=max(spec.notice_days, 1)),
        keep_url=tenant.link(SAMPLE_KEEP_PATH),
        sign_in_url=tenant.url,
    )


def notice_test_request(*, schema_name: str, user: User, spec: PolicySpec) -> str:
    """Queue a test notice of `spec` (the saved policy with the editor's draft applied) to
    `user`, a tenant admin; return the address it goes to. The task
    (`cleanup.send_test_notice`, queue `notices`) sends it.

    Raises NoticeTestNoAddress, NoticeTestThrottled (429) past TEST_NOTICE_LIMIT per admin
    in TEST_NOTICE_WINDOW_S, or NoticeTestBrokerUnavailable (503).
    """
    if not user.email:
        raise NoticeTestNoAddress()
    key = f"cleanup:test-notice:{schema_name}:{user.pk}"
    cache.add(key, 0, timeout=TEST_NOTICE_WINDOW_S)
    if cache.incr(key) > TEST_NOTICE_LIMIT:
        raise NoticeTestThrottled()
    try:
        task_publish("cleanup.send_test_notice", args=[schema_name, user.pk, asdict(spec)])
    except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
        cache.decr(key)
        raise NoticeTestBrokerUnavailable() from exc
    return user.email


def notice_test_send(*, schema_name: str, user_id: int, snapshot: dict[str, Any]) -> bool:
    """Send the test notice to the user (if still there, with an address); say whether the
    server accepted it. Raises MailUnavailable or MailRejected as `core.mail.deliver` does."""
    tenant = tenant_mail(schema_name)
    if tenant is None:
        return False
    with schema_context(schema_name):
        user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return False
    spec = PolicySpec.from_snapshot(snapshot)
    words = notice_sample(
        spec=spec,
        tenant=tenant,
        first_name=user.first_name or user.get_username(),
        now=timezone.now(),
    )
    message = message_build(
        subject=f"[TEST] {words.subject}",
        text=words.text,
        html=words.html,
        to=user.email,
        from_email=tenant.from_email,
        reply_to=spec.notice_reply_to,
        headers={"Auto-Submitted": "auto-generated"},
    )
    connection = connection_open()
    try:
        deliver(connection, message)
    finally:
        connection_close(connection)
    logger.info("cleanup.test_notice.sent", extra={"tenant": schema_name, "user_id": user_id})
    return True
