"""`last_seen`: proof of life for users who only use the API
(docs/architecture.md#cleanup-semantics)."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone


def last_seen_touch(user: Any) -> None:
    """Set the user's last_seen to now, at most once per LAST_SEEN_INTERVAL_S.

    Decided on the already-loaded user, so a recent one costs no query at all; a stale one
    costs one single-row UPDATE.
    """
    now = timezone.now()
    if user.last_seen and now - user.last_seen < timedelta(seconds=settings.LAST_SEEN_INTERVAL_S):
        return
    get_user_model().objects.filter(pk=user.pk).update(last_seen=now)
    user.last_seen = now
