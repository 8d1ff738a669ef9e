"""Brute force: failures count per (username, client address) and per address across all
tenants, slots are reserved before a password is checked, Django admin's login shares the
token endpoint's counters, and the client's address is read through trusted proxies only."""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from accounts.tests.factories import UserFactory
from core.testing import PASSWORD, ROOT, TENANT_A, TENANT_B, client
from tenants.models import Tenant

HOSTS = [pytest.param(TENANT_A, "alpha", id="tenant-host"), pytest.param(ROOT, "public", id="root")]


def admin_login(host: str, username: str, password: str, **meta: str) -> Any:
    browser = Client(HTTP_HOST=host, **meta)
    response = browser.post("/admin/login/", {"username": username, "password": password})
    response.logged_in = "_auth_user_id" in browser.session
    return response


def token_login(username: str, password: str = PASSWORD, host: str = TENANT_A, **meta: str) -> int:
    response = client(host).post(
        "/api/auth/token/", {"username": username, "password": password}, format="json", **meta
    )
    return int(response.status_code)


@pytest.mark.parametrize(("host", "schema"), HOSTS)
def test_admin_login_is_throttled_and_a_correct_password_is_then_refused(
    db: None, host: str, schema: str
) -> None:
    UserFactory.create(schema=schema, username="victim", is_staff=True)
    UserFactory.create(schema=schema, username="bystander", is_staff=True)
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
    UserFactory.create(schema=schema, username="someone", is_staff=True)
    for i in range(4):
        admin_login(host, f"guess{i}", "nope")

    assert admin_login(host, "someone", PASSWORD).status_code == 429


def test_failures_on_the_api_count_against_the_admin_login_and_back(tenant_a: object) -> None:
    UserFactory.create(schema="alpha", username="target", is_staff=True)
    for _ in range(3):
        assert token_login("target", "nope") == 401
    for _ in range(2):
        assert admin_login(TENANT_A, "target", "nope").status_code == 200

    assert admin_login(TENANT_A, "target", PASSWORD).status_code == 429
    assert token_login("target") == 429


def test_a_successful_admin_login_clears_the_usernames_failures(tenant_a: object) -> None:
    UserFactory.create(schema="alpha", username="forgetful", is_staff=True)
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
    UserFactory.create(schema="alpha", username="innocent")
    UserFactory.create(schema="alpha", username="guesser")
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
    UserFactory.create(schema="alpha", username="spoofer")
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
    UserFactory.create(schema="alpha", username="escaper")
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
    UserFactory.create(schema="alpha", username="odd")
    for i in range(3):
        garbage = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"junk{i}, 10.0.0.2"}
        assert token_login(f"guess{i}", "nope", **garbage) == 401

    other_junk = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "junk, 10.0.0.2"}
    assert token_login("odd", **other_junk) == 429
    elsewhere = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.9, 10.0.0.2"}
    assert token_login("odd", **elsewhere) == 200


# --- Nobody can lock out somebody else

A, B = {"REMOTE_ADDR": "203.0.113.7"}, {"REMOTE_ADDR": "198.51.100.9"}


def login(door: str, host: str, username: str, password: str, **meta: str) -> int:
    """The status of one login through `door`; 200 means logged in on both doors."""
    if door == "api":
        return token_login(username, password, host=host, **meta)
    response = admin_login(host, username, password, **meta)
    if response.status_code == 302:
        assert response.logged_in
        return 200
    return 401 if response.status_code == 200 else int(response.status_code)


DOORS = [
    pytest.param("api", TENANT_A, "alpha", id="api-tenant"),
    pytest.param("api", ROOT, "public", id="api-root"),
    pytest.param("admin", TENANT_A, "alpha", id="admin-tenant"),
    pytest.param("admin", ROOT, "public", id="admin-root"),
]


@pytest.mark.parametrize(("door", "host", "schema"), DOORS)
def test_failures_from_one_address_never_refuse_the_right_password_from_another(
    db: None, door: str, host: str, schema: str
) -> None:
    UserFactory.create(
        schema=schema, username="victim", is_staff=True, is_superuser=schema == "public"
    )
    for _ in range(5):
        assert login(door, host, "victim", "nope", **A) == 401

    # The address that guessed is refused, even the right password...
    assert login(door, host, "victim", PASSWORD, **A) == 429
    # ...the victim, anywhere else, is not.
    assert login(door, host, "victim", PASSWORD, **B) == 200
    assert login(door, host, "victim", PASSWORD, **A) == 429


def test_an_address_is_counted_across_all_tenants(tenant_a: Tenant, settings: Any) -> None:
    settings.LOGIN_FAILURES_PER_IP = 4
    UserFactory.create(schema="alpha", username="someone")
    UserFactory.create(schema="beta", username="someone")
    for i in range(2):
        assert token_login(f"guess{i}", "nope", host=TENANT_A, **A) == 401
    for i in range(2):
        assert token_login(f"guess{i}", "nope", host=TENANT_B, **A) == 401

    # Four failures in all: the address is done on every tenant, the root host included.
    assert token_login("someone", host=TENANT_B, **A) == 429
    assert token_login("someone", host=TENANT_A, **A) == 429
    assert admin_login(ROOT, "anyone", "nope", **A).status_code == 429
    # Other addresses are not.
    assert token_login("someone", host=TENANT_B, **B) == 200


def test_the_same_username_on_another_tenant_has_its_own_counter(tenant_a: Tenant) -> None:
    UserFactory.create(schema="alpha", username="twin")
    UserFactory.create(schema="beta", username="twin")
    for _ in range(5):
        assert token_login("twin", "nope", host=TENANT_A, **A) == 401

    assert token_login("twin", host=TENANT_A, **A) == 429
    assert token_login("twin", host=TENANT_B, **A) == 200


def test_a_success_gives_the_address_its_slot_back(tenant_a: Tenant, settings: Any) -> None:
    settings.LOGIN_FAILURES_PER_IP = 3
    UserFactory.create(schema="alpha", username="regular")
    for _ in range(10):
        assert token_login("regular", **A) == 200
    for i in range(3):
        assert token_login(f"guess{i}", "nope", **A) == 401

    assert token_login("regular", **A) == 429


# --- Counting is atomic: parallel attempts make at most the limit's password checks

PARALLEL = 40


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check the auth backend makes, by username: the real check, counted."""
    checks: list[str] = []
    lock = threading.Lock()
    real_check = get_user_model().check_password

    def counted(user: Any, raw_password: str | None) -> bool:
        with lock:
            checks.append(user.username)
        return real_check(user, raw_password)

    monkeypatch.setattr(get_user_model(), "check_password", counted)
    return checks


@pytest.fixture
def live_operator(live_db: None) -> Iterator[str]:
    """A committed operator, removed afterwards with the refresh tokens its logins left."""
    with schema_context("public"):
        operator = get_user_model().objects.create_user(
            username="live-operator", password=PASSWORD, is_staff=True, is_superuser=True
        )
    yield "live-operator"
    # In SQL: the ORM's cascade would also look for the tenants' tables (exemptions).
    with schema_context("public"), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM token_blacklist_blacklistedtoken WHERE token_id IN "
            "(SELECT id FROM token_blacklist_outstandingtoken WHERE user_id = %s)",
            [operator.pk],
        )
        cursor.execute(
            "DELETE FROM token_blacklist_outstandingtoken WHERE user_id = %s", [operator.pk]
        )
        cursor.execute("DELETE FROM accounts_user WHERE id = %s", [operator.pk])


def in_parallel(attempt: Callable[[], int]) -> list[int]:
    """`attempt` from PARALLEL threads released at once; each thread's own DB connection
    is closed after it, so the test database can be dropped."""
    start = threading.Barrier(PARALLEL)

    def one(_: int) -> int:
        try:
            start.wait(timeout=60)
            return attempt()
        finally:
            connection.close()

    with ThreadPoolExecutor(PARALLEL) as pool:
        return sorted(pool.map(one, range(PARALLEL)))


@pytest.mark.parametrize("door", ["api", "admin"])
def test_forty_parallel_wrong_passwords_make_at_most_the_limits_password_checks_on_a_tenant(
    make_live_tenant: Callable[..., Tenant], password_checks: list[str], door: str
) -> None:
    tenant = make_live_tenant()
    host = tenant.get_primary_domain().domain

    statuses = in_parallel(lambda: login(door, host, "admin", "wrong-password", **A))

    assert password_checks == ["admin"] * 5
    assert statuses == [401] * 5 + [429] * (PARALLEL - 5)
    # The right password, from elsewhere, still works.
    assert login(door, host, "admin", PASSWORD, **B) == 200


@pytest.mark.parametrize("door", ["api", "admin"])
def test_forty_parallel_wrong_passwords_make_at_most_the_limits_password_checks_on_the_root(
    live_operator: str, password_checks: list[str], door: str
) -> None:
    statuses = in_parallel(lambda: login(door, ROOT, live_operator, "wrong-password", **A))

    assert password_checks == [live_operator] * 5
    assert statuses == [401] * 5 + [429] * (PARALLEL - 5)
    assert login(door, ROOT, live_operator, PASSWORD, **B) == 200


def test_a_throttle_without_redis_fails_open(tenant_a: Tenant, settings: Any) -> None:
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    }
    UserFactory.create(schema="alpha", username="unthrottled")
    for _ in range(7):
        assert token_login("unthrottled", "nope") == 401

    assert token_login("unthrottled") == 200
