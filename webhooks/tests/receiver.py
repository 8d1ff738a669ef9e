"""A real HTTP receiver on 127.0.0.1 for webhook tests: it records every request (headers
as received, raw body) and answers as the test scripts it (a status per request, a delay,
a redirect, a huge or dripping body, or holding the request until released)."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering; `drip`: send the body a byte per this many seconds.
    delay: float = 0.0
    drip: float = 0.0
    # Send this many bytes of body (a huge answer), generated, not held in memory.
    huge: int = 0
    # Wait for `release` before answering (a worker to kill mid-request).
    hold: bool = False


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answers: list[Answer] = []
        self.default = Answer()
        self.arrived = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                answer = receiver.answers.pop(0) if receiver.answers else receiver.default
                receiver.arrived.set()
                if answer.hold:
                    receiver.release.wait(60)
                time.sleep(answer.delay)
                with suppress(OSError):  # the client gave up: what the test is about
                    self._answer(answer)

            def _answer(self, answer: Answer) -> None:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                size = answer.huge or len(answer.body)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                if answer.huge:
                    chunk = b"x" * 65536
                    sent = 0
                    while sent < answer.huge:
                        self.wfile.write(chunk[: answer.huge - sent])
                        sent += len(chunk)
                elif answer.drip:
                    for byte in answer.body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(answer.drip)
                else:
                    self.wfile.write(answer.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def wait_for(self, count: int, timeout: float = 60) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver got {len(self.received)} of {count} requests")
            time.sleep(0.02)
        return self.received


@contextmanager
def receiver_running() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        receiver.server.shutdown()
        receiver.server.server_close()
