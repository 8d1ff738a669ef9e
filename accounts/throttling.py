"""Login throttling: failed attempts counted per username and per client IP, in Redis.

Only failures count, so other users' successful logins are never blocked by someone
else's failures on a different username; once a username or an IP is over its limit,
even a correct password is refused until the window passes. The counters go through
Django's cache (Redis, short timeouts, keys prefixed by schema by django-tenants): when
Redis is unreachable the throttle fails open and logs it — logins keep working.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginThrottle:
    username: str
    ip: str

    @classmethod
    def for_request(cls, request: Request) -> "LoginThrottle":
        username = (
            str(request.data.get("username", ""))[:150].lower()
            if hasattr(request.data, "get")
            else ""
        )
        return cls(username=username, ip=request.META.get("REMOTE_ADDR", "") or "unknown")

    @property
    def _username_key(self) -> str:
        # Hashed: usernames are arbitrary user input, cache keys should not be.
        return "login-fail:user:" + hashlib.sha256(self.username.encode()).hexdigest()[:32]

    def _keys(self) -> dict[str, int]:
        return {
            self._username_key: settings.LOGIN_FAILURES_PER_USERNAME,
            f"login-fail:ip:{self.ip}": settings.LOGIN_FAILURES_PER_IP,
        }

    def blocked(self) -> bool:
        keys = self._keys()
        try:
            counts = cache.get_many(list(keys))
        except Exception:
            logger.warning("auth.throttle.unavailable", exc_info=True)
            return False
        return any(counts.get(key, 0) >= limit for key, limit in keys.items())

    def failed(self) -> None:
        window = settings.LOGIN_FAILURE_WINDOW_S
        try:
            for key in self._keys():
                # add() starts the window on the first failure; incr() keeps its expiry.
                if not cache.add(key, 1, timeout=window):
                    cache.incr(key)
        except Exception:
            logger.warning("auth.throttle.unavailable", exc_info=True)

    def succeeded(self) -> None:
        try:
            cache.delete(self._username_key)
        except Exception:
            logger.warning("auth.throttle.unavailable", exc_info=True)
