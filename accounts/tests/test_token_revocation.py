"""Tokens die with their session: password change, deactivation, logout everywhere, the
tenant's deletion, and the session's absolute lifetime (docs/architecture.md#security).

These run with the production settings for authentication (no per-process user memory is
turned off here): a revoked token must fail on the very next request.
"""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.tests.factories import UserFactory
from accounts.tokens import TenantTokenObtainSerializer
from core.testing import PASSWORD, ROOT, TENANT_A, TENANT_B, client, tokens
from fleet.services.tenants import tenant_create
from tenants.models import Tenant
from tenants.services import tenant_delete


def me(host: str, access: str) -> int:
    return client(host, access).get("/api/me/").status_code


def refresh(host: str, token: str) -> Any:
    return client(host).post("/api/auth/token/refresh/", {"refresh": token}, format="json")


def logout(host: str, token: str, **extra: object) -> Any:
    return client(host).post("/api/auth/logout/", {"refresh": token, **extra}, format="json")


def alpha_user(username: str) -> Any:
    with schema_context("alpha"):
        return get_user_model().objects.get(username=username)


def test_a_password_change_revokes_every_token_of_the_user_at_once(tenant_a: Tenant) -> None:
    UserFactory.create(schema="alpha", username="changer")
    laptop, phone = tokens(TENANT_A, "changer"), tokens(TENANT_A, "changer")
    assert me(TENANT_A, laptop["access"]) == 200  # seen (and remembered, were it cached)

    with schema_context("alpha"):
        user = get_user_model().objects.get(username="changer")
        user.set_password("a-new-long-enough-password")
        user.save()

    for pair in (laptop, phone):
        assert me(TENANT_A, pair["access"]) == 401
        assert refresh(TENANT_A, pair["refresh"]).status_code == 401
    assert tokens(TENANT_A, "changer", "a-new-long-enough-password")["access"]


def test_a_password_hash_upgrade_at_login_is_not_a_password_change(
    tenant_a: Tenant, settings: Any
) -> None:
    UserFactory.create(
        schema="alpha", username="upgraded"
    )  # hashed with the test suite's MD5 hasher
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    pair = tokens(TENANT_A, "upgraded")  # the login re-hashes the password with PBKDF2

    assert alpha_user("upgraded").password.startswith("pbkdf2_")
    assert me(TENANT_A, pair["access"]) == 200
    assert refresh(TENANT_A, pair["refresh"]).status_code == 200


def test_a_deactivated_user_is_refused_on_the_next_request(tenant_a: Tenant) -> None:
    UserFactory.create(schema="alpha", username="leaving")
    pair = tokens(TENANT_A, "leaving")
    assert me(TENANT_A, pair["access"]) == 200

    # As a cleanup run deactivates: one UPDATE, no model save.
    with schema_context("alpha"):
        get_user_model().objects.filter(username="leaving").update(is_active=False)

    assert me(TENANT_A, pair["access"]) == 401
    assert refresh(TENANT_A, pair["refresh"]).status_code == 401


def test_a_deactivation_by_a_save_revokes_tokens_for_good(tenant_a: Tenant) -> None:
    UserFactory.create(schema="alpha", username="paused")
    pair = tokens(TENANT_A, "paused")

    with schema_context("alpha"):  # as the admin's change form does
        user = get_user_model().objects.get(username="paused")
        user.is_active = False
        user.save()
        user.is_active = True
        user.save()

    assert me(TENANT_A, pair["access"]) == 401
    assert refresh(TENANT_A, pair["refresh"]).status_code == 401
    assert me(TENANT_A, tokens(TENANT_A, "paused")["access"]) == 200


def test_a_cleanup_deactivation_revokes_tokens_for_good(tenant_a: Tenant) -> None:
    from cleanup.services.execution import cleanup_run
    from cleanup.services.start import cleanup_report_create
    from policy.models import CleanupPolicy

    UserFactory.create(schema="alpha", username="dormant", email="")  # no address: no warning first
    UserFactory.create(schema="alpha", username="busy")
    dormant, busy = tokens(TENANT_A, "dormant"), tokens(TENANT_A, "busy")
    long_ago = timezone.now() - timedelta(days=400)
    CleanupPolicy.objects.filter(tenant=tenant_a).update(
        action="deactivate", dry_run=False, max_removal_ratio=1
    )
    with schema_context("alpha"):
        get_user_model().objects.filter(username="dormant").update(
            last_login=long_ago, last_seen=None
        )
        report = cleanup_report_create(schema_name="alpha", trigger="manual")
        assert cleanup_run(report_id=report.pk).users_removed == 1
        # Reactivated by hand: the account comes back, its old session does not.
        get_user_model().objects.filter(username="dormant").update(is_active=True)

    assert me(TENANT_A, dormant["access"]) == 401
    assert refresh(TENANT_A, dormant["refresh"]).status_code == 401
    assert me(TENANT_A, busy["access"]) == 200


def test_a_demoted_admin_loses_the_console_on_the_next_request(tenant_a: Tenant) -> None:
    UserFactory.create(schema="alpha", username="boss", role="admin")
    pair = tokens(TENANT_A, "boss")
    assert client(TENANT_A, pair["access"]).get("/api/reports/").status_code == 200

    with schema_context("alpha"):
        get_user_model().objects.filter(username="boss").update(role="")

    assert client(TENANT_A, pair["access"]).get("/api/reports/").status_code == 403


def test_logout_everywhere_revokes_every_token_of_the_user_on_every_device(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    UserFactory.create(schema="alpha", username="roamer")
    UserFactory.create(schema="alpha", username="colleague")
    laptop, phone = tokens(TENANT_A, "roamer"), tokens(TENANT_A, "roamer")
    colleague = tokens(TENANT_A, "colleague")
    # beta's first admin has the same user id as alpha's; alpha's admin logs out everywhere.
    admin_a, admin_b = (
        tokens(TENANT_A, "admin", "admin-pass-123"),
        tokens(TENANT_B, "admin", "admin-pass-123"),
    )

    assert logout(TENANT_A, phone["refresh"], everywhere=True).status_code == 205
    assert logout(TENANT_A, admin_a["refresh"], everywhere=True).status_code == 205

    for pair in (laptop, phone, admin_a):
        assert me(TENANT_A, pair["access"]) == 401
        assert refresh(TENANT_A, pair["refresh"]).status_code == 401
    # Nobody else is touched: another user here, the same user id in another tenant.
    assert me(TENANT_A, colleague["access"]) == 200
    assert me(TENANT_B, admin_b["access"]) == 200
    assert refresh(TENANT_B, admin_b["refresh"]).status_code == 200
    # Logging in again starts a new session.
    assert me(TENANT_A, tokens(TENANT_A, "roamer")["access"]) == 200


def test_a_plain_logout_revokes_only_that_refresh(tenant_a: Tenant) -> None:
    UserFactory.create(schema="alpha", username="twodevices")
    laptop, phone = tokens(TENANT_A, "twodevices"), tokens(TENANT_A, "twodevices")

    assert logout(TENANT_A, phone["refresh"], everywhere=False).status_code == 205

    assert refresh(TENANT_A, phone["refresh"]).status_code == 401
    assert refresh(TENANT_A, laptop["refresh"]).status_code == 200


@pytest.mark.parametrize("everywhere", ["yes", 1, None])
def test_logout_everywhere_must_be_a_boolean(tenant_a: Tenant, everywhere: object) -> None:
    UserFactory.create(schema="alpha", username="strict")
    pair = tokens(TENANT_A, "strict")
    response = logout(TENANT_A, pair["refresh"], everywhere=everywhere)
    assert response.status_code == 400 and "everywhere" in response.json()
    assert refresh(TENANT_A, pair["refresh"]).status_code == 200  # nothing was revoked


def test_logout_everywhere_with_a_revoked_refresh_gets_401(tenant_a: Tenant) -> None:
    UserFactory.create(schema="alpha", username="twice")
    first, second = tokens(TENANT_A, "twice"), tokens(TENANT_A, "twice")
    assert logout(TENANT_A, first["refresh"], everywhere=True).status_code == 205
    assert logout(TENANT_A, second["refresh"], everywhere=True).status_code == 401


# --- A tenant deleted and re-created under the same schema name


def test_tokens_of_a_deleted_tenant_do_not_work_for_a_new_tenant_of_the_same_name(
    live_db: None,
) -> None:
    # Committed: a schema cannot be dropped in the transaction that wrote to its tables.
    schema = f"reborn_{uuid.uuid4().hex[:8]}"
    host = f"{schema.replace('_', '-')}.localhost"

    def create() -> Tenant:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        return tenant_create(
            schema_name=schema,
            name="Reborn",
            admin_username="admin",
            admin_email="admin@reborn.test",
            admin_password=PASSWORD,
        )

    old = create()
    pair = tokens(host, "admin")
    tenant_delete(tenant=old)
    new = create()
    try:
        assert new.pk != old.pk

        assert me(host, pair["access"]) == 401
        assert refresh(host, pair["refresh"]).status_code == 401
        assert logout(host, pair["refresh"]).status_code == 401
        assert me(host, tokens(host, "admin")["access"]) == 200
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        tenant_delete(tenant=new)


# --- Absolute session lifetime


def refresh_token_logged_in(ago: timedelta, tenant: Tenant, username: str) -> RefreshToken:
    """A refresh token of a session that started `ago` (signed like any other)."""
    with tenant_context(tenant):
        user = get_user_model().objects.get(username=username)
        token = TenantTokenObtainSerializer.get_token(user)
    token["auth_time"] = int((timezone.now() - ago).timestamp())
    return token


def test_refresh_is_refused_once_the_session_is_older_than_its_maximum(
    tenant_a: Tenant, settings: Any
) -> None:
    settings.JWT_SESSION_MAX_DAYS = 30
    UserFactory.create(schema="alpha", username="marathon")
    old = refresh_token_logged_in(timedelta(days=30, minutes=1), tenant_a, "marathon")

    assert refresh(TENANT_A, str(old)).status_code == 401


def test_rotation_never_extends_a_session_beyond_its_maximum(
    tenant_a: Tenant, settings: Any
) -> None:
    settings.JWT_SESSION_MAX_DAYS = 30
    UserFactory.create(schema="alpha", username="steady")
    token = refresh_token_logged_in(timedelta(days=29), tenant_a, "steady")
    session_end = token["auth_time"] + 30 * 86400

    first = refresh(TENANT_A, str(token))
    assert first.status_code == 200
    second = refresh(TENANT_A, first.json()["refresh"])
    assert second.status_code == 200

    for pair in (first.json(), second.json()):
        rotated = RefreshToken(pair["refresh"], verify=False)
        assert rotated["auth_time"] == token["auth_time"]  # copied, never renewed
        assert rotated["exp"] <= session_end
        assert AccessToken(pair["access"], verify=False)["exp"] <= session_end


def test_a_refresh_token_rotates_once_even_when_two_requests_race(tenant_a: Tenant) -> None:
    from rest_framework_simplejwt.exceptions import InvalidToken

    from accounts.services import session_refresh
    from accounts.tokens import refresh_token_load

    UserFactory.create(schema="alpha", username="racer")
    raw = tokens(TENANT_A, "racer")["refresh"]
    with tenant_context(tenant_a):
        # Both requests load and check the token before either rotates it.
        first, second = refresh_token_load(raw), refresh_token_load(raw)
        assert session_refresh(refresh=first[0], user=first[1])["refresh"]
        with pytest.raises(InvalidToken):
            session_refresh(refresh=second[0], user=second[1])


# --- Django admin sessions die with the tokens


def admin_browser(host: str, username: str) -> Client:
    """A browser logged into `host`'s Django admin as `username`."""
    browser = Client(HTTP_HOST=host)
    response = browser.post("/admin/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in browser.session
    return browser


def in_admin(browser: Client) -> bool:
    response = browser.get("/admin/")
    return response.status_code == 200 and "_auth_user_id" in browser.session


@pytest.mark.parametrize(
    ("host", "schema"), [(TENANT_A, "alpha"), (ROOT, "public")], ids=["tenant-host", "root"]
)
def test_logout_everywhere_ends_the_users_django_admin_sessions(
    db: None, host: str, schema: str
) -> None:
    operator = schema == "public"
    UserFactory.create(schema=schema, username="leaver", is_staff=True, is_superuser=operator)
    UserFactory.create(schema=schema, username="colleague", is_staff=True, is_superuser=operator)
    leaver, colleague = admin_browser(host, "leaver"), admin_browser(host, "colleague")
    assert in_admin(leaver)

    pair = tokens(host, "leaver")
    assert logout(host, pair["refresh"], everywhere=True).status_code == 205

    assert not in_admin(leaver)
    response = leaver.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # Nobody else's session ends, and the user can log in again.
    assert in_admin(colleague)
    assert in_admin(admin_browser(host, "leaver"))


def test_a_plain_logout_leaves_the_django_admin_session_alone(tenant_a: Tenant) -> None:
    UserFactory.create(schema="alpha", username="tidy", is_staff=True)
    browser = admin_browser(TENANT_A, "tidy")

    assert logout(TENANT_A, tokens(TENANT_A, "tidy")["refresh"]).status_code == 205

    assert in_admin(browser)


def test_a_password_change_ends_the_other_django_admin_sessions_not_the_changers(
    tenant_a: Tenant,
) -> None:
    UserFactory.create(schema="alpha", username="changer", is_staff=True)
    elsewhere, here = admin_browser(TENANT_A, "changer"), admin_browser(TENANT_A, "changer")

    response = here.post(
        "/admin/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-password",
            "new_password2": "another-long-password",
        },
    )

    assert response.status_code == 302
    assert in_admin(here)
    assert not in_admin(elsewhere)
