"""Drill: hostile or broken requests against the real gunicorn — 4xx, never 500, and never
another tenant's data (DESIGN §6, §8)."""

import contextlib
import socket
from typing import Any

import pytest

from faults.stack import Stack

HOST_A, HOST_B = "bad-a.localhost", "bad-b.localhost"


@pytest.fixture(scope="module")
def tenants(stack: Stack) -> dict[str, str]:
    stack.tenant_create("bad_a")
    stack.tenant_create("bad_b")
    return {"a": stack.token(HOST_A), "b": stack.token(HOST_B)}


def assert_client_error(response: Any) -> None:
    assert 400 <= response.status < 500, response


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("path", "body", "headers"),
    [
        ("/api/cleanup/trigger/", b'{"dry_run": tru', JSON),
        ("/api/cleanup/trigger/", b"[1, 2, 3]", JSON),
        ("/api/cleanup/trigger/", b'"just a string"', JSON),
        ("/api/cleanup/trigger/", b'{"dry_run": "yes please"}', JSON),
        ("/api/cleanup/trigger/", b"\xff\xfe\x00garbage", JSON),
        ("/api/cleanup/preview/", b'{"inactive_days": 1e999}', JSON),
        ("/api/cleanup/preview/", b'{"exempt_groups": {"a": 1}}', JSON),
        ("/api/cleanup/preview/", b'{"schedule": "\\u0000"}', JSON),
        ("/api/cleanup/trigger/", b"dry_run=true", {"Content-Type": "text/plain"}),
        ("/api/cleanup/trigger/", b"dry_run=true", {"Content-Type": "application/xml"}),
        (
            "/api/cleanup/trigger/",
            b"dry_run=true",
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        (
            "/api/cleanup/trigger/",
            b"--x\r\nContent-Disposition: form-data; name=dry_run\r\n\r\ntrue\r\n--x--\r\n",
            {"Content-Type": "multipart/form-data; boundary=x"},
        ),
    ],
)
def test_malformed_or_mistyped_bodies_are_client_errors(
    stack: Stack, tenants: dict[str, str], path: str, body: bytes, headers: dict[str, str]
) -> None:
    response = stack.post(path, HOST_A, body, tenants["a"], headers)
    assert_client_error(response)
    assert stack.reports("bad_a") == []  # nothing was queued by a bad request


def post_huge(stack: Stack, path: str, body: bytes, token: str | None = None) -> int | None:
    """POST a body the server may refuse before reading it all; its status, or None when it
    closed the connection without a response (also a refusal, and never a 500)."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST_A}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
        + (f"Authorization: Bearer {token}\r\n" if token else "")
        + "\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", stack.web_port), timeout=60) as sock:
        # Refused early, the rest of the body is not read; the response, if any, is waiting.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head + body)
        try:
            reply = sock.recv(4096)
        except ConnectionResetError:
            return None
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else None


@pytest.mark.parametrize("megabytes", [3, 30])
def test_huge_bodies_are_refused(stack: Stack, tenants: dict[str, str], megabytes: int) -> None:
    padding = "x" * (megabytes * 2**20)
    body = f'{{"username": "admin", "password": "{padding}"}}'.encode()
    for token in (None, tenants["a"]):
        for path in ("/api/auth/token/", "/api/cleanup/preview/"):
            status = post_huge(stack, path, body, token)
            assert status is None or 400 <= status < 500, (path, status)


@pytest.mark.parametrize(
    "username",
    [
        "ünïcødé",
        "管理者",
        "admin\u202e",  # right-to-left override
        "🧹" * 40,
        "a" * 10_000,
        "admin\u0000",
        "\uff41\uff44\uff4d\uff49\uff4e",  # fullwidth "admin"
    ],
)
def test_unicode_usernames_never_break_login(stack: Stack, username: str) -> None:
    response = stack.post(
        "/api/auth/token/", HOST_A, {"username": username, "password": "wrong-password"}
    )
    assert_client_error(response)


@pytest.mark.parametrize(
    "host",
    [
        "bad-a.localhost.evil.com",
        "evil.com",
        "127.0.0.1",
        "[::1]",
        "",
        None,
        "bad-a.localhost@bad-b.localhost",
        "bad-b.localhost, bad-a.localhost",
        "bad-a.localhost:notaport",
        "bad-a..localhost",
        "unknown.localhost",
        "bad-a.localhost\u00e9",
        "x" * 5000,
    ],
)
def test_host_header_tricks_are_refused(
    stack: Stack, tenants: dict[str, str], host: str | None
) -> None:
    response = stack.get("/api/me/", host, tenants["a"])
    assert_client_error(response)


@pytest.mark.parametrize(
    ("host", "token", "headers"),
    [
        (HOST_B, "a", {}),  # tenant A's token on tenant B's host
        ("localhost", "a", {}),  # ... on the operators' host
        (HOST_B, "a", {"X-Forwarded-Host": HOST_A}),
        (HOST_A, "b", {"X-Forwarded-Host": HOST_B}),
        ("BAD-B.LOCALHOST", "a", {}),
    ],
)
def test_a_token_never_reaches_another_tenant(
    stack: Stack, tenants: dict[str, str], host: str, token: str, headers: dict[str, str]
) -> None:
    from faults.stack import http_request

    headers = {"Authorization": f"Bearer {tenants[token]}", **headers}
    response = http_request(stack.web_port, "GET", "/api/me/", host, headers)
    assert_client_error(response)


@pytest.mark.parametrize("host", ["bad-a.localhost:8000", "BAD-A.localhost", "bad-a.localhost."])
def test_spellings_of_the_own_host_show_only_the_own_tenant(
    stack: Stack, tenants: dict[str, str], host: str
) -> None:
    response = stack.get("/api/me/", host, tenants["a"])
    assert response.status < 500, response
    if response.status == 200:
        assert response.json()["tenant"]["schema_name"] == "bad_a"


def test_the_server_answered_none_of_it_with_a_5xx(stack: Stack) -> None:
    """Belt and braces: gunicorn's access log of the whole drill so far has no 500."""
    assert stack.access_log_statuses() and 500 not in stack.access_log_statuses()
