"""The tenant's own words (docs/architecture.md#notices-and-the-keep-link): subject and body
with five placeholders and nothing else (no template language reaches the server's
objects), a reply-to address, the language (English, German: dates too), the editor's
preview and "send me a test". Received through a real SMTP server (aiosmtpd)."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from accounts.models import User
from activity.models import ActivityEvent
from cleanup.services.notice_test import TEST_NOTICE_LIMIT
from cleanup.services.notices import notices_send
from cleanup.tasks import send_test_notice
from cleanup.tests.factories import CleanupNoticeFactory, CleanupReportFactory
from core.testing import TENANT_A, TENANT_B, client
from core.testing.broker import queued_tasks
from core.testing.smtp import SmtpServer
from policy.models import CleanupPolicy
from policy.rules import PolicySpec
from tenants.models import Tenant

POLICY = "/api/cleanup/policy/"
NOTICE_FIELDS = ("notice_subject", "notice_body", "notice_reply_to", "notice_language")


def saved() -> dict[str, Any]:
    return dict(
        CleanupPolicy.objects.filter(tenant__schema_name="alpha").values(*NOTICE_FIELDS).get()
    )


def activity_count() -> int:
    with schema_context("alpha"):
        return ActivityEvent.objects.count()


INJECTIONS = [
    "{0.__class__}",
    "{keep_url.__globals__}",
    "{{ settings.SECRET_KEY }}",
    "{keep_url!r}",
    "{first_name:>99999999}",
    "{__import__}",
    "{% debug %} {",
    "}",
    "{tenant.name}",
    "{removal_date[0]}",
]


@pytest.mark.parametrize("field", ["notice_subject", "notice_body"])
@pytest.mark.parametrize("text", INJECTIONS)
def test_anything_but_the_five_placeholders_is_a_400_naming_it_and_saves_nothing(
    admin_a: dict[str, str], field: str, text: str
) -> None:
    before, logged = saved(), activity_count()

    response = client(TENANT_A, admin_a["access"]).patch(
        POLICY, {field: f"Hello {{first_name}} {text}"}, format="json"
    )

    assert response.status_code == 400
    [message] = response.json()[field]
    assert "Unknown placeholder" in message
    assert text.strip(" {%") in message or "}" in message
    assert settings.SECRET_KEY not in response.content.decode()
    assert (saved(), activity_count()) == (before, logged)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"notice_body": "x" * 100_000}, "notice_body"),
        ({"notice_subject": "s" * 201}, "notice_subject"),
        ({"notice_subject": "line\r\nBcc: x@y"}, "notice_subject"),
        ({"notice_body": "bell \x07"}, "notice_body"),
        ({"notice_language": "fr"}, "notice_language"),
        ({"notice_reply_to": "a@b\r\nBcc: x@y"}, "notice_reply_to"),
        ({"notice_reply_to": "not an address"}, "notice_reply_to"),
        ({"notice_body": 42}, "notice_body"),
    ],
)
def test_bad_notice_fields_are_400s_and_save_nothing(
    admin_a: dict[str, str], body: dict[str, Any], field: str
) -> None:
    before = saved()

    response = client(TENANT_A, admin_a["access"]).patch(POLICY, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert saved() == before


def test_the_tenants_words_and_reply_to_reach_the_user_with_each_placeholder_filled_once(
    admin_a: dict[str, str], smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    words = {
        "notice_subject": "{tenant}: please sign in before {removal_date}",
        "notice_body": "Hi {first_name},\n\nKeep it: {keep_url}\nOr sign in: {sign_in_url}\n"
        "Literal <b>tags</b> & {{braces}} are not placeholders.".replace("{{braces}}", "x"),
        "notice_reply_to": "helpdesk@alpha.test",
    }
    response = client(TENANT_A, admin_a["access"]).patch(POLICY, words, format="json")
    assert response.status_code == 200, response.json()
    spec = PolicySpec.from_policy(CleanupPolicy.objects.get(tenant=tenant_a))
    with schema_context("alpha"):
        # A first name that looks like a placeholder is a name, not a placeholder.
        user = User.objects.create_user("ann", "ann@alpha.test", first_name="{keep_url}")
        CleanupNoticeFactory.create(
            user=user, report=CleanupReportFactory.create(policy=spec.snapshot())
        )
        notices_send(schema_name="alpha")

    [received] = smtp_server.messages
    subject = received.message["Subject"]
    assert subject.startswith("Alpha: please sign in before ") and "{" not in subject
    text = received.part("text/plain").replace("\r\n", "\n")
    assert text.startswith("Hi {keep_url},\n\nKeep it: https://alpha.localhost/keep/")
    assert "Or sign in: https://alpha.localhost/\n" in text
    html = received.part("text/html")
    assert "Literal &lt;b&gt;tags&lt;/b&gt; &amp; x" in html
    assert '<a href="https://alpha.localhost/keep/' in html
    assert received.message["Reply-To"] == "helpdesk@alpha.test"


def test_a_german_notice_has_a_german_subject_and_date(
    smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    spec = PolicySpec(notice_language="de", timezone="Europe/Berlin", delete_after_days=30)
    due = datetime(2031, 3, 15, 1, 30, tzinfo=UTC)  # a Saturday in Berlin
    with schema_context("alpha"):
        user = User.objects.create_user("jorg", "jorg@alpha.test", first_name="Jörg")
        CleanupNoticeFactory.create(
            user=user, report=CleanupReportFactory.create(policy=spec.snapshot()), due_at=due
        )
        notices_send(schema_name="alpha")

    [received] = smtp_server.messages
    # (Python's parser keeps a space before an encoded word: the header as sent has none.)
    assert received.message["Subject"].strip() == (
        "Alpha: Ihr Konto wird am Samstag, 15. März 2031 deaktiviert"
    )
    text = " ".join(received.part("text/plain").split())
    assert text.startswith("Hallo Jörg,")
    assert "wird es am Samstag, 15. März 2031 deaktiviert." in text
    assert "30 Tage später wird es gelöscht" in text
    assert "Mein Konto behalten" in received.part("text/html")
    assert '<html lang="de">' in received.part("text/html")


def test_the_preview_shows_the_drafts_notice_with_sample_values(
    admin_a: dict[str, str], tenant_a: Tenant
) -> None:
    api = client(TENANT_A, admin_a["access"])
    draft = {"notice_subject": "{tenant} · {first_name}", "notice_body": "Bye {first_name}"}

    response = api.post("/api/cleanup/preview/", draft, format="json")
    german = api.post("/api/cleanup/preview/", {"notice_language": "de"}, format="json")
    bad = api.post("/api/cleanup/preview/", {"notice_body": "{0.__class__}"}, format="json")

    assert response.status_code == 200
    assert response.json()["notice"] == {"subject": "Alpha · admin", "text": "Bye admin"}
    assert german.json()["notice"]["subject"].startswith("Alpha: Ihr Konto wird am ")
    assert bad.status_code == 400 and "notice_body" in bad.json()


def test_send_me_a_test_queues_the_draft_to_the_admin_and_the_task_sends_it(
    admin_a: dict[str, str], smtp_server: SmtpServer, tenant_a: Tenant
) -> None:
    before = saved()
    api = client(TENANT_A, admin_a["access"])

    response = api.post(
        f"{POLICY}test-notice/", {"notice_subject": "Draft for {first_name}"}, format="json"
    )

    assert response.status_code == 202
    assert response.json() == {"to": "admin@alpha.test"}
    assert saved() == before  # a draft is not saved
    [(name, args, _)] = queued_tasks(settings.CELERY_BROKER_URL, "notices")
    assert name == "cleanup.send_test_notice" and args[:2] == ["alpha", args[1]]
    assert send_test_notice.apply(args=args).get() is True
    [received] = smtp_server.messages
    assert received.to == "admin@alpha.test"
    assert received.message["Subject"] == "[TEST] Draft for admin"
    assert "/keep/this-is-a-test/" in received.part("text/plain")


def test_send_me_a_test_is_throttled_per_admin(admin_a: dict[str, str], tenant_a: Tenant) -> None:
    api = client(TENANT_A, admin_a["access"])
    statuses = [api.post(f"{POLICY}test-notice/", {}, format="json").status_code for _ in range(7)]

    assert statuses == [202] * TEST_NOTICE_LIMIT + [429, 429]
    assert len(queued_tasks(settings.CELERY_BROKER_URL, "notices")) == TEST_NOTICE_LIMIT


def test_send_me_a_test_refuses_auditors_bad_drafts_and_other_tenants(
    admin_a: dict[str, str], auditor_a: dict[str, str], tenant_b: Tenant
) -> None:
    url = f"{POLICY}test-notice/"
    auditor = client(TENANT_A, auditor_a["access"]).post(url, {}, format="json")
    bad = client(TENANT_A, admin_a["access"]).post(
        url, {"notice_body": "{{ settings.SECRET_KEY }}"}, format="json"
    )
    elsewhere = client(TENANT_B, admin_a["access"]).post(url, {}, format="json")

    assert auditor.status_code == 403
    assert bad.status_code == 400 and "notice_body" in bad.json()
    assert elsewhere.status_code == 401
    assert queued_tasks(settings.CELERY_BROKER_URL, "notices") == []
