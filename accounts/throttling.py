"""Login throttling: failed attempts counted per username and per client IP, in Redis.

Only failures count, so other users' successful logins are never blocked by someone
else's failures on a different username; once a username or an IP is over its limit,
even a correct password is refused until the window passes. The counters go through
Django's cache (Redis, short timeouts, keys prefixed by schema by django-tenants): when
Redis is unreachable the throttle fails open and logs it — logins keep working.
"""

import hashlib
import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address, read through `TRUSTED_PROXY_COUNT` proxies and no more.

    DRF's rule (its NUM_PROXIES setting, set from TRUSTED_PROXY_COUNT): with N trusted
    proxies, each appending the address it received the request from to X-Forwarded-For,
    the client is the N-th address from the right — whatever the client itself put to the
    left of it. With 0, the header is ignored and the peer's address is the client.
    """
    peer = request.META.get("REMOTE_ADDR") or "unknown"
    forwarded = BaseThrottle().get_ident(request)  # type: ignore[arg-type]
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:
        # Junk where the proxy's entry should be: the request did not come through the
        # proxies as configured, so the header proves nothing.
        return peer


@dataclass(frozen=True)
class LoginThrottle:
    username: str
    ip: str

    @classmethod
    def for_request(cls, request: HttpRequest, username: object) -> "LoginThrottle":
        """The counters of a login attempt: the same for the API and Django admin."""
        return cls(username=str(username)[:150].lower(), ip=client_ip(request))

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
