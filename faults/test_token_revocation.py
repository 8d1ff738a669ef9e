"""Drill: a revoked token fails on the very next request, on every web process
(docs/architecture.md#security).

gunicorn runs two worker processes; each has served the user before the revocation, so a
per-process memory of users (or of tokens) would answer at least one later request.
"""

import pytest

from faults.stack import PASSWORD, Stack

HOST = "revoke.localhost"
REQUESTS = 20  # spread over both gunicorn workers and their threads


@pytest.fixture(scope="module")
def host(stack: Stack) -> str:
    return stack.tenant_create("revoke")


def user_create(stack: Stack, username: str) -> None:
    stack.python(
        "from django_tenants.utils import schema_context\n"
        "from accounts.models import User\n"
        "with schema_context('revoke'):\n"
        f"    User.objects.create_user({username!r}, password={PASSWORD!r})\n"
    )


def login(stack: Stack, host: str, username: str) -> dict[str, str]:
    response = stack.post("/api/auth/token/", host, {"username": username, "password": PASSWORD})
    assert response.status == 200, response
    return dict(response.json())


def password_change_in_a_shell(stack: Stack, username: str, pair: dict[str, str]) -> None:
    stack.python(
        "from django_tenants.utils import schema_context\n"
        "from accounts.models import User\n"
        "with schema_context('revoke'):\n"
        f"    user = User.objects.get(username={username!r})\n"
        "    user.set_password('another-long-password-1')\n"
        "    user.save()\n"
    )


def deactivation_in_sql(stack: Stack, username: str, pair: dict[str, str]) -> None:
    stack.sql(
        "UPDATE accounts_user SET is_active = false WHERE username = %s", [username], "revoke"
    )


def logout_everywhere(stack: Stack, username: str, pair: dict[str, str]) -> None:
    response = stack.post(
        "/api/auth/logout/", HOST, {"refresh": pair["refresh"], "everywhere": True}
    )
    assert response.status == 205, response


@pytest.mark.parametrize(
    "revoke", [password_change_in_a_shell, deactivation_in_sql, logout_everywhere]
)
def test_a_revoked_user_is_refused_on_the_next_request_on_every_web_process(
    stack: Stack, host: str, revoke: object
) -> None:
    username = f"user-{revoke.__name__}"  # type: ignore[attr-defined]
    user_create(stack, username)
    laptop, phone = login(stack, host, username), login(stack, host, username)
    for _ in range(REQUESTS):
        assert stack.get("/api/me/", host, laptop["access"]).status == 200

    revoke(stack, username, phone)  # type: ignore[operator]

    statuses = [stack.get("/api/me/", host, laptop["access"]).status for _ in range(REQUESTS)]
    assert statuses == [401] * REQUESTS
    refreshed = stack.post("/api/auth/token/refresh/", host, {"refresh": laptop["refresh"]})
    assert refreshed.status == 401, refreshed
