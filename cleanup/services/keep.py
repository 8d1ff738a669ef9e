"""The keep link of a notice (docs/architecture.md#notices-and-the-keep-link): a page with one
button that keeps the account.

`/keep/<token>/` on the tenant's host. The token is Django-signed with a salt naming the
tenant's primary key, so a token of one tenant is a bad signature on every other — even one
later created under the same schema name. It names the user and the notice and carries its
own expiry (NOTICE_KEEP_LINK_DAYS after the removal date the email announced). It grants no
session.

Reading a link (`keep_link_check`: GET and HEAD) changes nothing; only keeping it
(`keep_link_follow`: the POST of the page's button) sets the user's `last_seen`, which
voids the notice and keeps the account out of the coming runs, exactly as signing in would.
Security gateways (Safe Links, Mimecast, Proofpoint) open every link of every incoming mail,
some even run its scripts, but none submits a form: were a GET to keep, every warned user of
such a tenant would be kept and its cleanup would never remove anyone, silently.

"Already kept" needs no column of its own: a notice is void once its user was active after
it was sent (`_already_kept`), which is what keeping does; a second POST finds it so and
writes nothing.
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
from cleanup.models import CleanupNotice, CleanupReport
from cleanup.services.mail import ACTION_WORDS, date_text, notice_removal_at
from core.errors import ServiceError
from policy.rules import PolicySpec
from webhooks import catalogue
from webhooks.services.events import users_pages, webhook_events_emit

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


@dataclass(frozen=True)
class KeepPage:
    """What the keep page says: whose account, what happens to it and when, and whether it
    was kept before this request (the user was active after the notice: a keep, or a
    sign-in)."""

    username: str  # how the page greets them: first name, else username
    action: str  # as emails say it: "deactivated" | "deleted"
    removal_date: str
    already_kept: bool


def _notice_of(claim: KeepClaim, *, lock: bool) -> tuple[User, CleanupNotice]:
    users = get_user_model().objects.filter(pk=claim.user_id)
    user = (users.select_for_update() if lock else users).first()
    notice = CleanupNotice.objects.filter(pk=claim.notice_id, user_id=claim.user_id).first()
    if user is None or notice is None:
        raise KeepLinkInvalid()
    if not user.is_active:
        raise KeepLinkAccountInactive()
    return user, notice


def _already_kept(user: User, notice: CleanupNotice) -> bool:
    """Whether the user was active after the notice went out: it is void, the account kept
    (cleanup.selectors' rule for a voided notice)."""
    since = notice.sent_at or notice.created_at
    moments = (user.last_login, user.last_seen)
    return any(moment is not None and moment > since for moment in moments)


def _page(user: User, notice: CleanupNotice) -> KeepPage:
    policy = CleanupReport.objects.filter(pk=notice.report_id).values_list("policy", flat=True)
    spec = PolicySpec.from_snapshot(policy.first() or {})
    removal_at = notice_removal_at(notice, spec, notice.sent_at or notice.created_at)
    return KeepPage(
        username=user.first_name or user.get_username(),
        action=ACTION_WORDS.get(spec.action, ACTION_WORDS["deactivate"]),
        removal_date=date_text(removal_at, spec.timezone),
        already_kept=_already_kept(user, notice),
    )


def keep_link_check(*, tenant_pk: int, token: str) -> KeepPage:
    """What the keep page of a valid token shows. Reads only: a GET or HEAD of the link
    (a person, or a mail scanner) keeps nobody.

    Raises KeepLinkInvalid for a bad or expired token or a user or notice that is gone, and
    KeepLinkAccountInactive for an account already deactivated.
    """
    claim = keep_token_read(tenant_pk=tenant_pk, token=token)
    return _page(*_notice_of(claim, lock=False))


def keep_link_follow(*, tenant_pk: int, token: str) -> KeepPage:
    """Keep the account a valid token names: set its `last_seen` to now, in the current
    (tenant) schema, once — a second call finds the notice void (`_already_kept`), writes
    nothing and says so (`already_kept`).

    Raises KeepLinkInvalid (nothing written) for a bad or expired token, a user or notice
    that no longer exists, and KeepLinkAccountInactive for an account already deactivated:
    the link only proves the person is there, it does not undo a removal.
    """
    now = timezone.now()
    claim = keep_token_read(tenant_pk=tenant_pk, token=token, now=now)
    with transaction.atomic():
        user, notice = _notice_of(claim, lock=True)
        page = _page(user, notice)
        if page.already_kept:
            logger.info(
                "cleanup.notice.already_kept",
                extra={"user_id": user.pk, "notice_id": claim.notice_id},
            )
            return page
        activity_touch(user, KEEP_LINK, now)
        kept = {
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "reason": "keep_link",
        }
        webhook_events_emit(
            type=catalogue.USER_KEPT, pages=users_pages([kept], notice_id=claim.notice_id)
        )
    logger.info("cleanup.notice.kept", extra={"user_id": user.pk, "notice_id": claim.notice_id})
    return page
