"""Point the Celery app at another broker for a while: a dead port, or a hung Redis."""

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

from config.celery import app as celery_app


def _reset_pools() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_at(url: str) -> Iterator[None]:
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = url
    _reset_pools()
    try:
        yield
    finally:
        celery_app.conf.broker_url = original
        _reset_pools()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_command(port: int) -> list[str]:
    """A throwaway redis-server on 127.0.0.1:`port` that keeps nothing on disk."""
    return [
        shutil.which("redis-server") or "redis-server",
        *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
    ]


@contextlib.contextmanager
def hung_redis() -> Iterator[str]:
    """A Redis of our own, frozen with SIGSTOP: it accepts connections but never answers."""
    port = free_port()
    server = subprocess.Popen(
        redis_server_command(port),
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                break
            time.sleep(0.1)
        server.send_signal(signal.SIGSTOP)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.send_signal(signal.SIGCONT)
        server.terminate()
        server.wait(10)
