"""Liveness and readiness, answered before tenant routing so they work on any host."""

import logging
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        logger.warning("readyz.database.unreachable", exc_info=True)
        return False


def redis_ok() -> bool:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=settings.REDIS_TIMEOUT,
        socket_connect_timeout=settings.REDIS_TIMEOUT,
    )
    try:
        return bool(client.ping())
    except Exception:
        logger.warning("readyz.redis.unreachable", exc_info=True)
        return False
    finally:
        client.close()


def readiness() -> JsonResponse:
    checks = {"postgresql": database_ok(), "redis": redis_ok()}
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        return JsonResponse(
            {
                "status": "unavailable",
                "checks": checks,
                "detail": f"Unreachable: {', '.join(failed)}.",
            },
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": checks})


class HealthCheckMiddleware:
    """Answers /healthz and /readyz for any Host header, ahead of tenant routing.

    Load balancers and container health checks probe with whatever Host they like; a
    health check must not depend on that host being a known tenant.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            return readiness()
        return self.get_response(request)
