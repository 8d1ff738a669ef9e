"""The keep link of a notice (docs/architecture.md#notices-and-the-keep-link): one click in the
email keeps the account.

`GET /keep/<token>/` on the tenant's host. The token is Django-signed with a salt naming
the tenant's primary key, so a token of one tenant is a bad signature on every other — even
one later created under the same schema name. It names the user and the notice and carries
its own expiry (NOTICE_KEEP_LINK_DAYS after the removal date the email announced). It grants
no session: following it only sets the user's `last_seen`, which voids the notice and keeps
the account out of the coming runs, exactly as signing in would.

Mail scanners (Outlook's Safe Links, gateways) fetch links in incoming mail before anyone
clicks; such a fetch keeps the account too. That errs on the side the feature exists for —
nobody loses an account because a robot read their mail — and a kept account is only
warned again in its next episode of inactivity. Following a link twice does nothing more
than following it once. HEAD requests (what most link checkers send) change nothing.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.utils import timezone

from accounts.activity import KEEP_LINK, activity_touch
from accounts.models import User
from cleanup.models import CleanupNotice
from core.errors import ServiceError

logger = logging.getLogger(__name__)

# A signed token is ~90 characters; anything much longer was not made here.
TOKEN_MAX_LENGTH = 500


class KeepLinkInvalid(ServiceError):
    """The link is not one of this tenant's, was altered, has expired, or its user is gone."""

    status_code = 400
    detail = "This link is not valid. It may have expired, or been copied incompletely."


class KeepLinkAccountInactive(KeepLinkInvalid):
    detail = (
        "This account has already been deactivated, so the link cannot keep it. "
        "Ask an administrator to reactivate it."
    )


class KeepLinkTenantSuspended(KeepLinkInvalid):
    """The tenant is suspended: its links keep nobody, as its sign-in signs nobody in."""

    status_code = 403
    detail = (
        "This workspace is suspended, so the link cannot keep your account, and nothing was "
        "changed. Ask your administrator."
    )


@dataclass(frozen=True)
class KeepClaim:
    user_id: int
    notice_id: int
    expires_at: datetime


def _salt(tenant_pk: int) -> str:
    return f"cleanup.keep.{tenant_pk}"


def keep_token_make(*, tenant_pk: int, user_id: int, notice_id: int, expires_at: datetime) -> str:
    """A keep link's token (URL-safe: base64 and colons)."""
    payload = {"u": user_id, "n": notice_id, "e": int(expires_at.timestamp())}
    return signing.dumps(payload, salt=_salt(tenant_pk))


def keep_token_read(*, tenant_pk: int, token: str, now: datetime | None = None) -> KeepClaim:
    """What a token claims, once its signature (for this tenant) and expiry check out.

    Reads nothing from the database. Raises KeepLinkInvalid for anything else.
    """
    if len(token) > TOKEN_MAX_LENGTH:
        raise KeepLinkInvalid()
    try:
        payload = signing.loads(token, salt=_salt(tenant_pk))
    except signing.BadSignature as exc:
        raise KeepLinkInvalid() from exc
    try:
        claim = KeepClaim(
            user_id=_positive_int(payload["u"]),
            notice_id=_positive_int(payload["n"]),
            expires_at=datetime.fromtimestamp(_positive_int(payload["e"]), tz=UTC),
        )
    except (TypeError, KeyError, ValueError, OverflowError, OSError) as exc:
        raise KeepLinkInvalid() from exc
    if (now or timezone.now()) >= claim.expires_at:
        raise KeepLinkInvalid("This link has expired. Sign in to keep your account.")
    return claim


def _positive_int(value: object) -> int:
    if type(value) is not int or value <= 0:
        raise ValueError(value)
    return value


def keep_link_follow(*, tenant_pk: int, token: str) -> User:
    """Keep the account a valid token names: set its `last_seen` to now, in the current
    (tenant) schema, and return the user.

    Raises KeepLinkInvalid (nothing written) for a bad or expired token, a user or notice
    that no longer exists, and KeepLinkAccountInactive for an account already deactivated:
    the link only proves the person is there, it does not undo a removal.
    """
    now = timezone.now()
    claim = keep_token_read(tenant_pk=tenant_pk, token=token, now=now)
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().filter(pk=claim.user_id).first()
        notice_exists = CleanupNotice.objects.filter(
            pk=claim.notice_id, user_id=claim.user_id
        ).exists()
        if user is None or not notice_exists:
            raise KeepLinkInvalid()
        if not user.is_active:
            raise KeepLinkAccountInactive()
        activity_touch(user, KEEP_LINK, now)
    logger.info(
        "cleanup.notice.kept",
        extra={"user_id": user.pk, "notice_id": claim.notice_id},
    )
    return user
