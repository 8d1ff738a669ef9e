"""Login throttling: failed attempts counted per (username, client address) and per client
address, in Redis.

- Per (username, address), in the tenant's schema: LOGIN_FAILURES_PER_USERNAME wrong
  passwords for `alice` from one address refuse `alice` from that address only. From any
  other address her right password still works, so nobody can lock out somebody else by
  guessing her password from elsewhere.
- Per address, across every tenant: an address gets LOGIN_FAILURES_PER_IP failures in all,
  not that many on each tenant. Django's cache would prefix the key with the schema
  (django-tenants' KEY_FUNCTION), so these counters are kept in Redis directly, under keys
  of their own.
- A slot is reserved before the password is checked: one Lua script checks both counters
  against their limits and increments both, atomically, so parallel attempts can never make
  more password checks than the limits allow. The reservation *is* the failure's count; a
  success clears the (username, address) counter and gives its slot back to the address.
- Redis unreachable: the throttle fails open and logs it — logins keep working.
"""

import hashlib
import ipaddress
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings
from django.contrib.admin import AdminSite
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from redis.commands.core import Script
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

# KEYS: the counters; ARGV[1]: the window (s); ARGV[1 + i]: KEYS[i]'s limit. Each counter's
# window starts with its first failure (EXPIRE on the increment that created it): later
# failures never extend it, and no counter is ever left without an expiry.
_RESERVE = """
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[i + 1]) then
    return 0
  end
end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then
    redis.call('EXPIRE', key, ARGV[1])
  end
end
return 1
"""
# KEYS[1]: the (username, address) counter, cleared; KEYS[2]: the address's, given its slot
# back unless it has expired meanwhile (a DECR would recreate it without an expiry).
_SUCCEED = """
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('DECR', KEYS[2])
end
return 1
"""


@cache
def _client_on(url: str, timeout: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


@cache
def _scripts_on(url: str, timeout: float) -> tuple[Script, Script]:
    client = _client_on(url, timeout)
    return client.register_script(_RESERVE), client.register_script(_SUCCEED)


def _location() -> tuple[str, float]:
    """The cache's Redis (its first server: the one Django's cache writes to)."""
    location = settings.CACHES["default"]["LOCATION"]
    return re.split("[;,]", location)[0], settings.REDIS_TIMEOUT


def _scripts() -> tuple[Script, Script]:
    return _scripts_on(*_location())


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
    schema: str

    @classmethod
    def for_request(cls, request: HttpRequest, username: object) -> "LoginThrottle":
        """The counters of a login attempt: the same for the API and Django admin."""
        return cls(
            username=str(username)[:150].lower(),
            ip=client_ip(request),
            schema=connection.schema_name,  # type: ignore[attr-defined]
        )

    @property
    def _user_key(self) -> str:
        # Hashed: usernames are arbitrary user input, Redis keys should not be.
        digest = hashlib.sha256(f"{self.username}\0{self.ip}".encode()).hexdigest()[:32]
        return f"login-fail:{self.schema}:user-ip:{digest}"

    @property
    def _ip_key(self) -> str:
        # No schema in it: one count for the address on every tenant.
        return f"login-fail:ip:{self.ip}"

    def reserve(self) -> bool:
        """Take a slot for one password check, or answer False (taking nothing) when the
        (username, address) or the address's counter is at its limit.

        The slot counts as a failure until `succeeded()` gives it back.
        """
        try:
            reserve, _ = _scripts()
            taken = reserve(
                keys=[self._user_key, self._ip_key],
                args=[
                    settings.LOGIN_FAILURE_WINDOW_S,
                    settings.LOGIN_FAILURES_PER_USERNAME,
                    settings.LOGIN_FAILURES_PER_IP,
                ],
            )
        except Exception:
            logger.warning("auth.throttle.unavailable", exc_info=True)
            return True
        return bool(taken)

    def succeeded(self) -> None:
        """The password was right: forget this username's failures at this address, and
        give the address its slot back (only failures count against it)."""
        try:
            _, succeed = _scripts()
            succeed(keys=[self._user_key, self._ip_key])
        except Exception:
            logger.warning("auth.throttle.unavailable", exc_info=True)


# Addresses found under the limit, until when (monotonic seconds), in this process.
_clear_until: dict[str, float] = {}
_CLEAR_MAX = 10_000
TOKEN_CLEAR_FOR_S = 1.0


@dataclass(frozen=True)
class TokenThrottle:
    """Failed API-token attempts per client address, across every tenant, like failed
    logins' per-address counter (a key of its own, same window): TOKEN_FAILURES_PER_IP
    failures, then every token from that address is refused with a 429 — a right one too,
    so the limit is no oracle — until the window ends.

    Only a failure writes (the same atomic script as a login's reservation). The check is
    one GET, skipped for TOKEN_CLEAR_FOR_S after an address was found clear in this process
    — a Redis round trip on every scripted request cost a tenth of the endpoint's rate —
    and never skipped after a failure, which forgets the address's clearance: a guesser is
    checked on every attempt. Redis unreachable: fails open, logged.
    """

    ip: str

    @property
    def _key(self) -> str:
        return f"token-fail:ip:{self.ip}"

    def blocked(self) -> bool:
        now = time.monotonic()
        if _clear_until.get(self.ip, 0.0) > now:
            return False
        try:
            count = _client_on(*_location()).get(self._key)
        except Exception:
            logger.warning("auth.token_throttle.unavailable", exc_info=True)
            return False
        if int(count or 0) >= settings.TOKEN_FAILURES_PER_IP:
            return True
        if len(_clear_until) >= _CLEAR_MAX:  # bounded: many addresses, start over
            _clear_until.clear()
        _clear_until[self.ip] = now + TOKEN_CLEAR_FOR_S
        return False

    def failed(self) -> None:
        _clear_until.pop(self.ip, None)
        try:
            reserve, _ = _scripts()
            reserve(
                keys=[self._key],
                args=[settings.LOGIN_FAILURE_WINDOW_S, settings.TOKEN_FAILURES_PER_IP],
            )
        except Exception:
            logger.warning("auth.token_throttle.unavailable", exc_info=True)


def throttled_login(site: AdminSite) -> Callable[[HttpRequest], HttpResponse]:
    """`site`'s login view, counting failures like `POST /api/auth/token/` does — the same
    counters (per username and client address, per client address), so neither door is a way
    around the other."""

    def login(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return site.login(request)
        throttle = LoginThrottle.for_request(request, request.POST.get("username", ""))
        if not throttle.reserve():
            return TemplateResponse(
                request,
                "accounts/login_throttled.html",
                {**site.each_context(request), "title": "Log in"},
                status=429,
            )
        response = site.login(request)
        # The login view redirects once it has logged someone in; anything else (the form
        # shown again with its error) leaves the reserved slot counted as a failure.
        if response.status_code == 302 and request.user.is_authenticated:
            throttle.succeeded()
        return response

    return login
