"""Drill: hostile or broken requests against the real gunicorn — 4xx, never 500, and never
another tenant's data (docs/api.md#endpoints, docs/benchmarks.md#targets)."""

import contextlib
import socket
from typing import Any

import pytest

from faults.stack import Stack, http_request

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
        ("/api/cleanup/preview/", b"[" * 100_000, JSON),  # deeper than json can recurse
        ("/api/cleanup/trigger/", b'{"a":' * 100_000, JSON),
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


@pytest.fixture(scope="module")
def operator_token(stack: Stack) -> str:
    stack.python(
        "from django.contrib.auth import get_user_model\n"
        "get_user_model().objects.create_superuser('op', 'op@faults.test', 'op-password-123')\n"
    )
    response = stack.post(
        "/api/auth/token/", "localhost", {"username": "op", "password": "op-password-123"}
    )
    assert response.status == 200, response
    return str(response.json()["access"])


@pytest.fixture(scope="module")
def audit_path(stack: Stack, tenants: dict[str, str]) -> str:
    """The audit list of a run of tenant B (A must stay without runs), with one entry."""
    report_id = stack.python(
        "from django.utils import timezone\n"
        "from django_tenants.utils import schema_context\n"
        "from cleanup.models import CleanupAuditEntry, CleanupReport\n"
        "with schema_context('bad_b'):\n"
        "    report = CleanupReport.objects.create(status='succeeded', trigger='manual',\n"
        "        dry_run=True, action='deactivate', policy={})\n"
        "    CleanupAuditEntry.objects.create(report=report, user_id=1, username='gone',\n"
        "        email='', date_joined=timezone.now(), reason='inactive')\n"
        "print(report.pk)\n"
    ).strip()
    return f"/api/reports/{report_id}/users/"


HOSTILE_QUERIES = [
    "page_size=%C2%B2",  # ² : str.isdigit() yes, int() no
    "page=%D9%A3",  # ٣ : Arabic-Indic three, which int() reads as 3
    "page_size=%EF%BC%91",  # fullwidth one
    "page=-1",
    "page=0",
    "page=1e3",
    "page_size=0x10",
    "page_size=0",
    "page_size=1.5",
    # Longer request lines (over 4094 bytes) gunicorn refuses itself, with a 414.
    "page=" + "9" * 3000,
    "page_size=" + "9" * 3000,
    "page=1&page=2",
    "page_size=5&page_size=6",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
@pytest.mark.parametrize(
    ("host", "path", "caller"),
    [
        (HOST_A, "/api/reports/", "a"),
        (HOST_B, "audit", "b"),
        ("localhost", "/api/platform/tenants/", "operator"),
        ("localhost", "/api/platform/tenants/bad_a/reports/", "operator"),
    ],
)
def test_hostile_query_parameters_are_json_client_errors(
    stack: Stack,
    tenants: dict[str, str],
    operator_token: str,
    audit_path: str,
    host: str,
    path: str,
    caller: str,
    query: str,
) -> None:
    token = operator_token if caller == "operator" else tenants[caller]
    path = audit_path if path == "audit" else path
    response = stack.get(f"{path}?{query}", host, token)
    assert response.status in (400, 404), response
    assert isinstance(response.json(), dict)


def test_the_audit_list_pages_with_plain_numbers(
    stack: Stack, tenants: dict[str, str], audit_path: str
) -> None:
    response = stack.get(f"{audit_path}?page=1&page_size=1", HOST_B, tenants["b"])
    assert response.status == 200 and response.json()["count"] == 1, response


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", "/api/cleanup/policy/", {"schedule": "0 0 31 2 *"}, "schedule"),
        ("PATCH", "/api/cleanup/policy/", {"schedule": "0 0 30 2 *"}, "schedule"),
        ("PATCH", "/api/cleanup/policy/", {"schedule": "0 0 31 4,6,9,11 *"}, "schedule"),
        ("POST", "/api/cleanup/preview/", {"schedule": "0 0 31 2 *"}, "schedule"),
        ("PATCH", "/api/cleanup/policy/", {"exempt_groups": ["no-such-group"]}, "exempt_groups"),
        ("POST", "/api/cleanup/preview/", {"exempt_groups": ["no-such-group"]}, "exempt_groups"),
    ],
)
def test_impossible_schedules_and_unknown_groups_are_400s_naming_the_field(
    stack: Stack, tenants: dict[str, str], method: str, path: str, body: dict, field: str
) -> None:
    headers = {"Authorization": f"Bearer {tenants['a']}"}
    response = http_request(stack.web_port, method, path, HOST_A, headers, body)
    assert response.status == 400 and field in response.json(), response


@pytest.mark.parametrize("host", [HOST_A, "localhost"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_unsafe_methods_on_unknown_api_paths_get_the_json_404_even_with_a_session_cookie(
    stack: Stack, tenants: dict[str, str], host: str, method: str
) -> None:
    headers = {"Cookie": "sessionid=abc; csrftoken=" + "x" * 32, "Content-Type": "application/json"}
    response = http_request(stack.web_port, method, "/api/nothing-here/", host, headers, "{}")
    assert response.status == 404 and response.json() == {"detail": "Not found."}, response


def test_the_server_answered_none_of_it_with_a_5xx(stack: Stack) -> None:
    """Belt and braces: gunicorn's access log of the whole drill so far has no 500."""
    assert stack.access_log_statuses() and 500 not in stack.access_log_statuses()
