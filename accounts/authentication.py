import threading
import time
from collections import OrderedDict
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from accounts.activity import last_seen_touch
from accounts.tokens import token_check_schema
from tenants.context import current_schema


class _RecentUsers:
    """The users this process authenticated in the last few seconds, keyed by (schema, id).

    A console polls (a running cleanup's progress, every second), so most requests carry a
    token whose user was just loaded: remembering it briefly saves a query per request. In
    this process's memory, never Redis, so authentication keeps working when Redis is down.
    The price: a user deactivated or demoted keeps access for at most JWT_USER_CACHE_S.
    """

    def __init__(self, size: int = 1024):
        self._size = size
        self._users: OrderedDict[tuple[str, Any], tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, Any]) -> Any:
        with self._lock:
            entry = self._users.get(key)
            if entry is None or entry[0] < time.monotonic():
                return None
            return entry[1]

    def put(self, key: tuple[str, Any], user: Any, ttl: float) -> None:
        with self._lock:
            self._users[key] = (time.monotonic() + ttl, user)
            self._users.move_to_end(key)
            while len(self._users) > self._size:
                self._users.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._users.clear()


recent_users = _RecentUsers()


class TenantJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer authentication, refusing tokens minted in another schema."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        token_check_schema(token)
        return token

    def get_user(self, validated_token: Token) -> Any:
        ttl = settings.JWT_USER_CACHE_S
        if not ttl:
            return super().get_user(validated_token)
        # The schema is part of the key: user ids repeat across tenants.
        key = (current_schema(), validated_token.get(api_settings.USER_ID_CLAIM))
        user = recent_users.get(key)
        if user is None:
            user = super().get_user(validated_token)
            recent_users.put(key, user, ttl)
        return user

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:
        result = super().authenticate(request)
        if result is not None:
            last_seen_touch(result[0])
        return result
