"""The keep link of a notice: `GET /keep/<token>/` on the tenant's host shows a page with one
button and changes nothing (mail scanners open every link); the button's POST keeps the
account it names (last_seen = now), once, and nothing else; any other token gets a 400 page
and changes nothing, on any host and with any method."""

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from cleanup.models import CleanupNotice
from cleanup.services.keep import keep_token_make
from cleanup.services.notices import notices_send
from cleanup.tests.factories import CleanupNoticeFactory, CleanupReportFactory
from core.testing import ROOT, TENANT_A, TENANT_B
from core.testing.smtp import SmtpServer
from tenants.models import Tenant

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(days=80)


@pytest.fixture(autouse=True)
def _back_to_public() -> Iterator[None]:
    """Requests to a tenant host leave the connection on its schema: don't pass it on."""
    yield
    connection.set_schema_to_public()  # type: ignore[attr-defined]


def warned_user(schema: str, username: str = "ann", **fields: Any) -> tuple[User, CleanupNotice]:
    """A user inactive for 80 days and the (sent) notice a run wrote for them."""
    with schema_context(schema):
        user = User.objects.create_user(
            username=username,
            email=f"{username}@{schema}.test",
            last_login=timezone.now() - LONG_AGO,
            **fields,
        )
        report = CleanupReportFactory.create()
        notice = CleanupNoticeFactory.create(
            user=user,
            report=report,
            due_at=timezone.now() + timedelta(days=14),
            sent_at=timezone.now(),
        )
    return user, notice


def token_for(
    tenant: Tenant, user: User, notice: CleanupNotice, *, expires_in: timedelta = timedelta(days=21)
) -> str:
    return keep_token_make(
        tenant_pk=tenant.pk,
        user_id=user.pk,
        notice_id=notice.pk,
        expires_at=timezone.now() + expires_in,
    )


def state(schema: str, user: User) -> tuple[Any, ...]:
    """Everything a keep link could change, so a refusal can be shown to change none of it."""
    with schema_context(schema):
        row = User.objects.values_list("last_seen", "last_login", "is_active", "token_version")
        return (*row.get(pk=user.pk), Session.objects.count())


def keep(host: str, token: str, method: str = "post", path: str | None = None) -> Any:
    return getattr(Client(HTTP_HOST=host), method)(path or f"/keep/{token}/")


# --- The good path


def test_a_valid_link_keeps_the_account_and_says_so_without_signing_anyone_in(
    tenant_a: Tenant,
) -> None:
    user, notice = warned_user("alpha")
    before = timezone.now()

    response = keep(TENANT_A, token_for(tenant_a, user, notice))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Your account is kept" in page
    assert "ann" in page
    with schema_context("alpha"):
        user.refresh_from_db()
    assert user.last_seen is not None and user.last_seen >= before
    assert user.is_active
    # No session, no cookie: the link proves presence, it is no login.
    assert "sessionid" not in response.cookies
    assert "Set-Cookie" not in response
    with schema_context("alpha"):
        assert Session.objects.count() == 0
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_second_post_says_the_account_is_already_kept_and_writes_nothing(
    tenant_a: Tenant,
) -> None:
    user, notice = warned_user("alpha")
    token = token_for(tenant_a, user, notice)
    first = keep(TENANT_A, token)
    after_first = state("alpha", user)

    second = keep(TENANT_A, token)

    assert (first.status_code, second.status_code) == (200, 200)
    assert "Your account is kept" in first.content.decode()
    assert "already kept" in second.content.decode()
    assert state("alpha", user) == after_first


def test_the_get_page_names_the_tenant_what_happens_and_when_and_keeps_nobody(
    tenant_a: Tenant,
) -> None:
    user, notice = warned_user("alpha")
    token = token_for(tenant_a, user, notice)
    unchanged = state("alpha", user)

    response = keep(TENANT_A, token, method="get")

    assert response.status_code == 200
    page = response.content.decode()
    assert tenant_a.name in page
    assert "deactivated on" in page
    with schema_context("alpha"):
        due = notice.due_at.strftime("%-d %B %Y")
    assert due in page
    # One plain form that posts the token to the link's own (canonical) address: no script.
    assert page.count("<form") == 1
    assert f'<form method="post" action="/keep/{token}/">' in page
    assert "Keep my account" in page and "<script" not in page
    assert "Set-Cookie" not in response
    assert state("alpha", user) == unchanged


def test_scanners_keep_nobody_twenty_gets_and_a_head_then_the_post_keeps(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    """What a security gateway does to every link of every mail, then the person's click."""
    user, notice = warned_user("alpha")
    other, other_notice = warned_user("beta")
    token = token_for(tenant_a, user, notice)
    unchanged = state("alpha", user), state("beta", other)

    responses = [keep(TENANT_A, token, method="get") for _ in range(20)]
    responses.append(keep(TENANT_A, token, method="head"))
    responses.append(keep(TENANT_A, token, method="get", path=f"/keep/{token}"))

    assert {r.status_code for r in responses} == {200}
    assert (state("alpha", user), state("beta", other)) == unchanged
    # Another tenant's token posted here keeps nobody, in either tenant.
    assert keep(TENANT_A, token_for(tenant_b, other, other_notice)).status_code == 400
    assert (state("alpha", user), state("beta", other)) == unchanged

    kept = keep(TENANT_A, token)

    assert kept.status_code == 200
    with schema_context("alpha"):
        user.refresh_from_db()
    assert user.last_seen is not None
    assert state("beta", other) == unchanged[1]
    # And now the page says so, and offers no button.
    again = keep(TENANT_A, token, method="get").content.decode()
    assert "already kept" in again and "<form" not in again


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_link_that_lost_its_trailing_slash_still_works(tenant_a: Tenant, method: str) -> None:
    user, notice = warned_user("alpha")
    token = token_for(tenant_a, user, notice)

    response = keep(TENANT_A, token, method=method, path=f"/keep/{token}")

    assert response.status_code == 200
    page = response.content.decode()
    assert ("Keep my account" if method == "get" else "Your account is kept") in page


def test_a_post_with_a_body_or_a_csrf_free_client_still_keeps(tenant_a: Tenant) -> None:
    """No session, no CSRF cookie: the token is the credential. A body is never read."""
    user, notice = warned_user("alpha")
    client = Client(HTTP_HOST=TENANT_A, enforce_csrf_checks=True)

    response = client.post(
        f"/keep/{token_for(tenant_a, user, notice)}/", {"user": "someone-else", "x": "1" * 1000}
    )

    assert response.status_code == 200
    with schema_context("alpha"):
        user.refresh_from_db()
    assert user.last_seen is not None


def test_the_link_in_the_email_keeps_its_user(smtp_server: SmtpServer, tenant_a: Tenant) -> None:
    user, notice = warned_user("alpha")
    with schema_context("alpha"):
        CleanupNotice.objects.filter(pk=notice.pk).update(sent_at=None, status="pending")
    notices_send(schema_name="alpha")
    [received] = smtp_server.messages
    url = re.search(r"https?://\S+/keep/\S+?/", received.part("text/plain"))
    assert url is not None

    parts = urlsplit(url.group(0))
    response = Client(HTTP_HOST=parts.hostname).post(parts.path)

    assert response.status_code == 200
    with schema_context("alpha"):
        user.refresh_from_db()
    assert user.last_seen is not None and user.last_login is not None
    assert user.last_seen > user.last_login


def test_a_head_request_only_checks_the_link(tenant_a: Tenant) -> None:
    """Link checkers and mail scanners send HEAD: that must not keep the account."""
    user, notice = warned_user("alpha")
    unchanged = state("alpha", user)

    good = keep(TENANT_A, token_for(tenant_a, user, notice), method="head")
    bad = keep(TENANT_A, "garbage", method="head")

    assert (good.status_code, bad.status_code) == (200, 400)
    assert state("alpha", user) == unchanged


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_not_allowed(tenant_a: Tenant, method: str) -> None:
    user, notice = warned_user("alpha")
    unchanged = state("alpha", user)

    response = keep(TENANT_A, token_for(tenant_a, user, notice), method=method)

    assert response.status_code == 405
    assert state("alpha", user) == unchanged


# --- Bad links: a 400 page, nothing changed


def tampered(token: str) -> str:
    payload, rest = token.split(":", 1)
    # Flip one character of the signed payload (still valid base64).
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    return f"{flipped}:{rest}"


def bad_tokens(tenant_a: Tenant, tenant_b: Tenant, user: User, notice: CleanupNotice) -> dict:
    good = token_for(tenant_a, user, notice)
    salt = f"cleanup.keep.{tenant_a.pk}"
    in_a_week = int((timezone.now() + timedelta(days=7)).timestamp())
    return {
        "another_tenants_token": token_for(tenant_b, user, notice),
        "expired": token_for(tenant_a, user, notice, expires_in=-timedelta(seconds=1)),
        "tampered_payload": tampered(good),
        "tampered_signature": good[:-2] + ("xy" if not good.endswith("xy") else "zz"),
        "truncated": good[: len(good) // 2],
        "garbage": "not-a-token",
        "colons": "a:b:c",
        "very_long": "a" * 5000,
        "unknown_user": keep_token_make(
            tenant_pk=tenant_a.pk,
            user_id=999_999,
            notice_id=notice.pk,
            expires_at=timezone.now() + timedelta(days=7),
        ),
        "unknown_notice": keep_token_make(
            tenant_pk=tenant_a.pk,
            user_id=user.pk,
            notice_id=notice.pk + 1000,
            expires_at=timezone.now() + timedelta(days=7),
        ),
        "signed_but_wrong_shape": signing.dumps({"u": str(user.pk), "n": notice.pk}, salt=salt),
        "signed_but_a_list": signing.dumps([user.pk, notice.pk, in_a_week], salt=salt),
        "signed_but_negative": signing.dumps(
            {"u": -user.pk, "n": notice.pk, "e": in_a_week}, salt=salt
        ),
        "signed_but_expiry_out_of_range": signing.dumps(
            {"u": user.pk, "n": notice.pk, "e": 10**30}, salt=salt
        ),
    }


BAD = [
    "another_tenants_token",
    "expired",
    "tampered_payload",
    "tampered_signature",
    "truncated",
    "garbage",
    "colons",
    "very_long",
    "unknown_user",
    "unknown_notice",
    "signed_but_wrong_shape",
    "signed_but_a_list",
    "signed_but_negative",
    "signed_but_expiry_out_of_range",
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("case", BAD)
def test_a_bad_link_gets_a_400_page_and_changes_nothing(
    tenant_a: Tenant, tenant_b: Tenant, case: str, method: str
) -> None:
    user, notice = warned_user("alpha")
    token = bad_tokens(tenant_a, tenant_b, user, notice)[case]
    unchanged = state("alpha", user)

    response = keep(TENANT_A, token, method=method)

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert state("alpha", user) == unchanged


def test_an_expired_link_says_it_expired(tenant_a: Tenant) -> None:
    user, notice = warned_user("alpha")

    response = keep(TENANT_A, token_for(tenant_a, user, notice, expires_in=-timedelta(days=1)))

    assert response.status_code == 400
    assert "expired" in response.content.decode()


def test_a_link_of_one_tenant_followed_on_anothers_host_changes_neither(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    """Signed for alpha, naming the ids of beta's user and notice: ids repeat across
    tenants, so only the tenant's salt tells the two apart."""
    user_a, _ = warned_user("alpha", "sam")
    user_b, notice_b = warned_user("beta", "sam")
    before = state("alpha", user_a), state("beta", user_b)

    response = keep(TENANT_B, token_for(tenant_a, user_b, notice_b))

    assert response.status_code == 400
    assert (state("alpha", user_a), state("beta", user_b)) == before


def test_the_root_host_has_no_accounts_to_keep(tenant_a: Tenant) -> None:
    user, notice = warned_user("alpha")
    unchanged = state("alpha", user)

    response = keep(ROOT, token_for(tenant_a, user, notice))

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert state("alpha", user) == unchanged


def test_a_deactivated_account_is_not_brought_back_by_its_link(tenant_a: Tenant) -> None:
    user, notice = warned_user("alpha", is_active=False)
    unchanged = state("alpha", user)

    response = keep(TENANT_A, token_for(tenant_a, user, notice))

    assert response.status_code == 400
    assert "already been deactivated" in response.content.decode()
    assert state("alpha", user) == unchanged


# --- A suspended tenant's links keep nobody


def notice_row(schema: str, notice: CleanupNotice) -> tuple[Any, ...]:
    with schema_context(schema):
        return CleanupNotice.objects.values_list("sent_at", "due_at", "attempts").get(pk=notice.pk)


@pytest.mark.parametrize("method", ["get", "head", "post"])
def test_a_suspended_tenants_link_keeps_nobody_and_says_the_workspace_is_suspended(
    tenant_a: Tenant, method: str
) -> None:
    user, notice = warned_user("alpha")
    token = token_for(tenant_a, user, notice)
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=False)
    unchanged = state("alpha", user), notice_row("alpha", notice)

    response = keep(TENANT_A, token, method=method)

    assert response.status_code == 403
    if method != "head":
        page = response.content.decode()
        assert "This workspace is suspended" in page
        assert "nothing was changed" in page
        assert "kept" not in page and "sign in" not in page.lower()
    # last_seen untouched: the notice is not voided, and nobody was signed in.
    assert (state("alpha", user), notice_row("alpha", notice)) == unchanged


def test_a_suspended_tenants_bad_link_gets_the_same_refusal(tenant_a: Tenant) -> None:
    user, _ = warned_user("alpha")
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=False)
    unchanged = state("alpha", user)

    response = keep(TENANT_A, "not-a-token")

    assert response.status_code == 403
    assert state("alpha", user) == unchanged


def test_once_the_tenant_is_reinstated_the_same_link_keeps_again(tenant_a: Tenant) -> None:
    user, notice = warned_user("alpha")
    token = token_for(tenant_a, user, notice)
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=False)
    assert keep(TENANT_A, token).status_code == 403
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=True)

    response = keep(TENANT_A, token)

    assert response.status_code == 200
    assert "Your account is kept" in response.content.decode()
    with schema_context("alpha"):
        user.refresh_from_db()
    assert user.last_seen is not None
