"""One signed POST to an endpoint, bounded in every way a hostile receiver could stretch it
(docs/webhooks.md#delivery).

- It connects to the address `addresses` checked, never to what the name resolves to a
  moment later; TLS still verifies the certificate for the name (SNI), and Host names it.
- One deadline (WEBHOOK_TIMEOUT_S, 10 s) covers resolving, connecting, TLS, sending and
  reading the answer: a watchdog closes the socket when it passes, so a body dripped a byte
  at a time cannot hold the worker longer.
- Only the status line, the headers and the first EXCERPT_BYTES of the body are read; a
  100 MB answer costs what 1 KB does.
- Redirects are not followed: a 3xx is a failed attempt like any other non-2xx.
"""

import http.client
import socket
import ssl
import threading
import time
from contextlib import suppress
from dataclasses import dataclass

from django.conf import settings

from webhooks.addresses import Target, UrlRefused, addresses_of, url_parse

EXCERPT_BYTES = 1024
USER_AGENT = "cleanup-console-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code (None: no answer), how long it took, why it
    failed when it did, and the start of the answer's body."""

    status_code: int | None
    duration_ms: int
    error: str = ""
    excerpt: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _text(raw: bytes) -> str:
    # PostgreSQL refuses NUL in text; anything else undecodable is shown replaced.
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _connection(target: Target, address: str, timeout: float) -> http.client.HTTPConnection:
    conn: http.client.HTTPConnection
    if target.scheme == "https":
        context = ssl.create_default_context(cafile=getattr(settings, "WEBHOOK_CA_FILE", None))
        conn = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=context
        )
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def pinned(_address: object, timeout: float, source: object = None) -> socket.socket:
        # The checked address, not a fresh lookup of the name (DNS rebinding).
        return socket.create_connection((address, target.port), timeout)

    conn._create_connection = pinned  # type: ignore[attr-defined]
    return conn


def _abort(conn: http.client.HTTPConnection) -> None:
    """The watchdog: shut the socket, which ends any read or write blocked on it."""
    sock = conn.sock
    if sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def post(url: str, headers: dict[str, str], body: bytes) -> Outcome:
    """POST `body` with `headers` to `url`, within the rules above. Never raises."""
    start = time.monotonic()
    timeout = float(settings.WEBHOOK_TIMEOUT_S)

    def elapsed_ms() -> int:
        return int((time.monotonic() - start) * 1000)

    try:
        target = url_parse(url)
        address = str(addresses_of(target)[0])
    except UrlRefused as exc:
        return Outcome(None, elapsed_ms(), f"Refused: {exc}"[:500])
    remaining = max(timeout - (time.monotonic() - start), 0.1)
    conn = _connection(target, address, remaining)
    watchdog = threading.Timer(remaining, _abort, [conn])
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.putrequest("POST", target.path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", target.host_header)
        for name, value in {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **headers,
            "Content-Length": str(len(body)),
        }.items():
            conn.putheader(name, value)
        conn.endheaders(body)
        response = conn.getresponse()
        excerpt = _text(response.read(EXCERPT_BYTES))
        status = response.status
    except ssl.SSLError as exc:
        return Outcome(None, elapsed_ms(), f"TLS: {exc}"[:500])
    except (OSError, http.client.HTTPException, ValueError) as exc:
        expired = time.monotonic() - start >= timeout
        reason = f"Timed out after {timeout:g} s" if expired else f"{type(exc).__name__}: {exc}"
        return Outcome(None, elapsed_ms(), reason[:500])
    finally:
        watchdog.cancel()
        conn.close()
    error = "" if 200 <= status < 300 else f"HTTP {status}"
    if 300 <= status < 400:
        error = f"HTTP {status}: redirects are not followed"
    return Outcome(status, elapsed_ms(), error, excerpt)
