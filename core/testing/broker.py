"""Point the Celery app at another broker for a while: a dead port, or a hung Redis."""

import base64
import contextlib
import json
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import redis
from celery import current_app as celery_app


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


class RedisServer:
    """A redis-server of our own on a free port, to stop mid-test and start again there."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(redis_server_command(self.port), stdout=subprocess.DEVNULL)
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                redis.Redis.from_url(self.url, socket_timeout=1).ping()
                return
            time.sleep(0.05)
        raise AssertionError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def queued_messages(url: str, queue: str) -> list[tuple[str, list[Any], dict[str, Any], str]]:
    """The tasks waiting in `queue` of the Redis broker at `url`, oldest first, as
    (task name, args, kwargs, task id): what a worker consuming that queue would receive."""
    client = redis.Redis.from_url(url, socket_timeout=2)
    messages = []
    # kombu LPUSHes a message and workers BRPOP: the oldest is at the end of the list.
    for raw in reversed(client.lrange(queue, 0, -1)):
        message = json.loads(raw)
        args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        headers = message["headers"]
        messages.append((headers["task"], args, kwargs, headers["id"]))
    return messages


def queued_tasks(url: str, queue: str) -> list[tuple[str, list[Any], dict[str, Any]]]:
    """`queued_messages` without the task ids."""
    return [(name, args, kwargs) for name, args, kwargs, _ in queued_messages(url, queue)]
