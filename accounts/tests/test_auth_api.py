"""Tokens: bound to their tenant, refreshed with rotation, revocable, throttled."""

import base64
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import UserFactory
from accounts.tokens import TenantTokenObtainSerializer
from core.testing import ROOT, TENANT_A, TENANT_B, client, tokens
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def user_id(schema: str, username: str) -> int:
    with schema_context(schema):
        return get_user_model().objects.get(username=username).pk


def test_obtaining_a_token_records_the_login(admin_a: dict[str, str]) -> None:
    with schema_context("alpha"):
        admin = get_user_model().objects.get(username="admin")
    assert admin.last_login is not None and timezone.now() - admin.last_login < timedelta(minutes=1)


def test_bad_credentials_get_401(tenant_a: object) -> None:
    response = client(TENANT_A).post(
        "/api/auth/token/", {"username": "admin", "password": "wrong"}, format="json"
    )
    assert response.status_code == 401 and "detail" in response.json()


def test_a_password_is_checked_as_typed_spaces_included(tenant_a: object) -> None:
    with schema_context("alpha"):
        get_user_model().objects.create_user("spacey", password=" two spaces around ")
    api = client(TENANT_A)

    def login(password: str) -> int:
        body = {"username": "spacey", "password": password}
        return int(api.post("/api/auth/token/", body, format="json").status_code)

    assert login(" two spaces around ") == 200
    assert login("two spaces around") == 401
    assert login("   ") == 401  # a wrong password, not a malformed request


def test_a_token_carries_its_tenants_id(admin_a: dict[str, str], tenant_a: Tenant) -> None:
    assert AccessToken(admin_a["access"])["tenant_id"] == tenant_a.pk


def test_admins_of_two_tenants_share_a_user_id_yet_their_tokens_do_not_cross(
    admin_a: dict[str, str], tenant_b: object
) -> None:
    assert user_id("alpha", "admin") == user_id("beta", "admin")

    for host in (TENANT_B, ROOT):
        assert client(host, admin_a["access"]).get("/api/me/").status_code == 401
        refresh = client(host).post(
            "/api/auth/token/refresh/", {"refresh": admin_a["refresh"]}, format="json"
        )
        assert refresh.status_code == 401
        logout = client(host).post(
            "/api/auth/logout/", {"refresh": admin_a["refresh"]}, format="json"
        )
        assert logout.status_code == 401
    # ...and the failed logout on another host revoked nothing here.
    assert (
        client(TENANT_A)
        .post("/api/auth/token/refresh/", {"refresh": admin_a["refresh"]}, format="json")
        .status_code
        == 200
    )


def test_an_operator_token_is_rejected_on_a_tenant_host(operator: dict[str, str]) -> None:
    assert client(TENANT_A, operator["access"]).get("/api/reports/").status_code == 401
    assert client(TENANT_A, operator["access"]).get("/api/me/").status_code == 401


def _forge(token: str, **changes: object) -> str:
    header, payload, signature = token.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # noqa: E731
    encode = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()  # noqa: E731
    head, body = decode(header), decode(payload)
    if "alg" in changes:
        head["alg"] = changes.pop("alg")
    body.update(changes)
    sig = "" if head["alg"] == "none" else signature
    return f"{encode(head)}.{encode(body)}.{sig}"


@pytest.mark.parametrize(
    "forgery",
    [
        pytest.param({"user_id": "2"}, id="tampered-payload"),
        pytest.param({"tenant_id": 999}, id="tampered-tenant"),
        pytest.param({"alg": "none"}, id="alg-none"),
        pytest.param({"exp": 1}, id="expired"),
    ],
)
def test_a_forged_or_expired_access_token_gets_401(admin_a: dict[str, str], forgery: dict) -> None:
    forged = _forge(admin_a["access"], **forgery)
    assert client(TENANT_A, forged).get("/api/me/").status_code == 401


def test_an_expired_token_gets_401(tenant_a: Tenant) -> None:
    with tenant_context(tenant_a):
        admin = get_user_model().objects.get(username="admin")
        token = TenantTokenObtainSerializer.get_token(admin).access_token
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert client(TENANT_A, str(token)).get("/api/me/").status_code == 401


def test_refresh_rotates_and_the_old_refresh_stops_working(admin_a: dict[str, str]) -> None:
    api = client(TENANT_A)
    first = api.post("/api/auth/token/refresh/", {"refresh": admin_a["refresh"]}, format="json")
    assert first.status_code == 200 and first.json()["refresh"] != admin_a["refresh"]

    again = api.post("/api/auth/token/refresh/", {"refresh": admin_a["refresh"]}, format="json")
    assert again.status_code == 401
    assert client(TENANT_A, first.json()["access"]).get("/api/me/").status_code == 200


def test_logout_revokes_the_refresh_token(admin_a: dict[str, str]) -> None:
    api = client(TENANT_A)
    assert (
        api.post("/api/auth/logout/", {"refresh": admin_a["refresh"]}, format="json").status_code
        == 205
    )
    assert (
        api.post(
            "/api/auth/token/refresh/", {"refresh": admin_a["refresh"]}, format="json"
        ).status_code
        == 401
    )


def test_refresh_of_a_deleted_user_gets_401(tenant_a: object) -> None:
    UserFactory.create(schema="alpha", username="leaver")
    pair = tokens(TENANT_A, "leaver")
    with schema_context("alpha"):
        get_user_model().objects.filter(username="leaver").delete()
    response = client(TENANT_A).post(
        "/api/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json"
    )
    assert response.status_code == 401


def test_refresh_and_requests_mark_the_user_as_seen_at_most_hourly(admin_a: dict[str, str]) -> None:
    def last_seen() -> object:
        with schema_context("alpha"):
            return get_user_model().objects.get(username="admin").last_seen

    client(TENANT_A, admin_a["access"]).get("/api/me/")
    first = last_seen()
    assert first is not None
    client(TENANT_A, admin_a["access"]).get("/api/me/")
    assert last_seen() == first  # within the hour: unchanged, no write
    with schema_context("alpha"):
        get_user_model().objects.filter(username="admin").update(
            last_seen=timezone.now() - timedelta(hours=2)
        )
    client(TENANT_A).post(
        "/api/auth/token/refresh/", {"refresh": admin_a["refresh"]}, format="json"
    )
    assert timezone.now() - last_seen() < timedelta(minutes=1)  # type: ignore[operator]


def test_failed_logins_are_throttled_and_a_correct_password_is_then_refused(
    tenant_a: object, settings: object
) -> None:
    UserFactory.create(schema="alpha", username="victim")
    UserFactory.create(schema="alpha", username="bystander")
    api = client(TENANT_A)
    for _ in range(5):
        bad = api.post(
            "/api/auth/token/", {"username": "victim", "password": "nope"}, format="json"
        )
        assert bad.status_code == 401

    right = api.post(
        "/api/auth/token/",
        {"username": "victim", "password": "a-long-enough-password"},
        format="json",
    )
    assert right.status_code == 429 and "access" not in right.json()
    # Another user, from the same address, still logs in.
    other = api.post(
        "/api/auth/token/",
        {"username": "bystander", "password": "a-long-enough-password"},
        format="json",
    )
    assert other.status_code == 200


def test_failed_logins_from_one_address_are_throttled_across_usernames(
    tenant_a: object, settings: object
) -> None:
    settings.LOGIN_FAILURES_PER_IP = 8  # type: ignore[attr-defined]
    UserFactory.create(schema="alpha", username="someone")
    api = client(TENANT_A)
    for i in range(8):
        api.post("/api/auth/token/", {"username": f"guess{i}", "password": "nope"}, format="json")

    response = api.post(
        "/api/auth/token/",
        {"username": "someone", "password": "a-long-enough-password"},
        format="json",
    )
    assert response.status_code == 429


def test_me_describes_the_user_on_each_kind_of_host(
    admin_a: dict[str, str], member_a: dict[str, str], operator: dict[str, str]
) -> None:
    assert client(TENANT_A, admin_a["access"]).get("/api/me/").json() == {
        "username": "admin",
        "email": "admin@alpha.test",
        "is_operator": False,
        "is_tenant_admin": True,
        "role": "admin",
        "tenant": {"schema_name": "alpha", "name": "Alpha"},
    }
    assert client(TENANT_A, member_a["access"]).get("/api/me/").json()["is_tenant_admin"] is False
    me = client(ROOT, operator["access"]).get("/api/me/").json()
    assert me["is_operator"] is True and me["tenant"] is None
