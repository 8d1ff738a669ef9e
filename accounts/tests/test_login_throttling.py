"""Brute force: Django admin's login shares the token endpoint's counters, and the client's
address is read through trusted proxies only (DESIGN §6a, §11)."""

from typing import Any

import pytest
from django.test import Client

from core.testing import PASSWORD, ROOT, TENANT_A, client, make_user

pytestmark = pytest.mark.django_db

HOSTS = [pytest.param(TENANT_A, "alpha", id="tenant-host"), pytest.param(ROOT, "public", id="root")]


def admin_login(host: str, username: str, password: str, **meta: str) -> Any:
    browser = Client(HTTP_HOST=host, **meta)
    response = browser.post("/admin/login/", {"username": username, "password": password})
    response.logged_in = "_auth_user_id" in browser.session
    return response


def token_login(username: str, password: str = PASSWORD, **meta: str) -> int:
    response = client(TENANT_A).post(
        "/api/auth/token/", {"username": username, "password": password}, format="json", **meta
    )
    return int(response.status_code)


@pytest.mark.parametrize(("host", "schema"), HOSTS)
def test_admin_login_is_throttled_and_a_correct_password_is_then_refused(
    db: None, host: str, schema: str
) -> None:
    make_user(schema, "victim", is_staff=True)
    make_user(schema, "bystander", is_staff=True)
    for _ in range(5):
        failed = admin_login(host, "victim", "nope")
        assert failed.status_code == 200 and not failed.logged_in

    refused = admin_login(host, "victim", PASSWORD)
    assert refused.status_code == 429 and not refused.logged_in
    assert b"Too many failed login attempts" in refused.content
    # Someone else, from the same address, still logs in.
    other = admin_login(host, "bystander", PASSWORD)
    assert other.status_code == 302 and other.logged_in


@pytest.mark.parametrize(("host", "schema"), HOSTS)
def test_admin_login_is_throttled_per_address_across_usernames(
    db: None, host: str, schema: str, settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_IP = 4
    make_user(schema, "someone", is_staff=True)
    for i in range(4):
        admin_login(host, f"guess{i}", "nope")

    assert admin_login(host, "someone", PASSWORD).status_code == 429


def test_failures_on_the_api_count_against_the_admin_login_and_back(tenant_a: object) -> None:
    make_user("alpha", "target", is_staff=True)
    for _ in range(3):
        assert token_login("target", "nope") == 401
    for _ in range(2):
        assert admin_login(TENANT_A, "target", "nope").status_code == 200

    assert admin_login(TENANT_A, "target", PASSWORD).status_code == 429
    assert token_login("target") == 429


def test_a_successful_admin_login_clears_the_usernames_failures(tenant_a: object) -> None:
    make_user("alpha", "forgetful", is_staff=True)
    for _ in range(4):
        admin_login(TENANT_A, "forgetful", "nope")
    assert admin_login(TENANT_A, "forgetful", PASSWORD).status_code == 302
    for _ in range(4):
        admin_login(TENANT_A, "forgetful", "nope")

    assert admin_login(TENANT_A, "forgetful", PASSWORD).status_code == 302


# --- The client's address behind proxies


@pytest.fixture
def trusted_proxies(settings: Any) -> Any:
    def trust(count: int) -> None:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}
        settings.LOGIN_FAILURES_PER_IP = 3

    return trust


PROXY = "10.0.0.1"


def test_behind_one_trusted_proxy_two_clients_have_their_own_counters(
    tenant_a: object, trusted_proxies: Any
) -> None:
    trusted_proxies(1)
    make_user("alpha", "innocent")
    make_user("alpha", "guesser")
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    neighbour = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.9"}
    for i in range(3):
        assert token_login(f"guess{i}", "nope", **attacker) == 401

    assert token_login("guesser", **attacker) == 429
    assert token_login("innocent", **neighbour) == 200
    assert admin_login(TENANT_A, "guesser", PASSWORD, **attacker).status_code == 429


def test_without_trusted_proxies_a_forwarded_for_header_changes_nothing(
    tenant_a: object, trusted_proxies: Any
) -> None:
    trusted_proxies(0)
    make_user("alpha", "spoofer")
    for i in range(3):
        forged = {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": f"192.0.2.{i}"}
        assert token_login(f"guess{i}", "nope", **forged) == 401

    fresh = {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "192.0.2.200"}
    assert token_login("spoofer", **fresh) == 429


@pytest.mark.parametrize("proxies", [1, 2])
def test_a_client_cannot_escape_its_counter_by_prepending_addresses(
    tenant_a: object, trusted_proxies: Any, proxies: int
) -> None:
    trusted_proxies(proxies)
    make_user("alpha", "escaper")
    # Each trusted proxy appends the address it received the request from.
    seen_by_proxies = ", ".join(["203.0.113.7", *["10.0.0.2"] * (proxies - 1)])
    for i in range(3):
        forwarded = f"192.0.2.{i}, {seen_by_proxies}"
        prepended = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}
        assert token_login(f"guess{i}", "nope", **prepended) == 401

    other_fake = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"192.0.2.99, {seen_by_proxies}"}
    assert token_login("escaper", **other_fake) == 429


def test_a_garbage_forwarded_address_counts_against_the_peer(
    tenant_a: object, trusted_proxies: Any
) -> None:
    trusted_proxies(2)
    make_user("alpha", "odd")
    for i in range(3):
        garbage = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"junk{i}, 10.0.0.2"}
        assert token_login(f"guess{i}", "nope", **garbage) == 401

    other_junk = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "junk, 10.0.0.2"}
    assert token_login("odd", **other_junk) == 429
    elsewhere = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.9, 10.0.0.2"}
    assert token_login("odd", **elsewhere) == 200
