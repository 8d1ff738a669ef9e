"""Which API tokens a run warns about, revokes or announces the expiry of
(docs/architecture.md#api-tokens). In the current (tenant) schema.

A token's clock is its last sign of life: the later of when it was made, last used, and
restored by an undo (`GREATEST` skips nulls). A token is *stale* at `at` when that is
strictly before `at - token_inactive_days`: exactly on the boundary is kept, as for users.
Only live tokens count: not revoked, not expired, their owner active.

Tokens are few next to users (a handful per script), so these are plain filtered queries;
the run revokes them in one statement (`cleanup.services.tokens`).
"""

from datetime import datetime, timedelta

from django.db.models import DateTimeField, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Greatest

from accounts.models import ApiToken, User
from cleanup.models import CleanupNotice
from policy.rules import PolicySpec

Kind = CleanupNotice.Kind
# Owners (or a service account's admins) are told this long before a token expires.
TOKEN_EXPIRY_NOTICE_DAYS = 7


def live_tokens(now: datetime) -> QuerySet[ApiToken]:
    """Tokens that work at `now`, annotated with `last_alive`: their clock."""
    return ApiToken.objects.filter(
        revoked_at__isnull=True, expires_at__gt=now, user__is_active=True
    ).annotate(last_alive=Greatest("created_at", "last_used_at", "restored_at"))


def _stale_at(spec: PolicySpec, at: datetime) -> Q:
    assert spec.token_inactive_days is not None
    return Q(last_alive__lt=at - timedelta(days=spec.token_inactive_days))


def token_admins() -> QuerySet[User]:
    """Who is told about a service account's tokens: the tenant's active admins who are
    people with an address."""
    return User.objects.filter(role=User.Role.ADMIN, is_active=True, kind=User.Kind.PERSON).exclude(
        email=""
    )


def reachable() -> Q:
    """Tokens somebody can be warned about: a person's with an address, or a service
    account's while some admin has one. The others are revoked without a notice, as users
    without an address are removed without one."""
    person = Q(user__kind=User.Kind.PERSON) & ~Q(user__email="")
    return person | (Q(user__kind=User.Kind.SERVICE) & Q(Exists(token_admins())))


def _unvoided_notices() -> QuerySet[CleanupNotice]:
    """The outer token's inactivity notices that its use has not voided: unsent and written
    at or after its last sign of life, or sent at or after it. (An unsent notice the token's
    use voided is never sent — the outbox skips it — so it must not hold back the next.)"""
    return CleanupNotice.objects.filter(kind=Kind.TOKEN_INACTIVE, token_id=OuterRef("pk")).filter(
        Q(sent_at__isnull=True, created_at__gte=OuterRef("last_alive"))
        | Q(sent_at__gte=OuterRef("last_alive"))
    )


def tokens_to_warn(spec: PolicySpec, now: datetime) -> QuerySet[ApiToken]:
    """Tokens that will be stale at `now + notice_days`, someone can be told about, and
    hold no unvoided notice (none when notices or token cleanup are off)."""
    if spec.token_inactive_days is None or not spec.notice_days:
        return ApiToken.objects.none()
    due = now + timedelta(days=spec.notice_days)
    return (
        live_tokens(now)
        .filter(_stale_at(spec, due))
        .filter(reachable())
        .filter(~Exists(_unvoided_notices()))
    )


def tokens_to_revoke(spec: PolicySpec, now: datetime) -> QuerySet[ApiToken]:
    """Stale tokens a run revokes now, annotated with `noticed_at`: with notice_days > 0,
    only those holding a live notice (sent at least notice_days ago, the token unused since)
    or that nobody can be told about."""
    if spec.token_inactive_days is None:
        return ApiToken.objects.none()
    stale = live_tokens(now).filter(_stale_at(spec, now))
    if not spec.notice_days:
        return stale.annotate(noticed_at=Value(None, output_field=DateTimeField()))
    live = _unvoided_notices().filter(sent_at__lte=now - timedelta(days=spec.notice_days))
    return stale.annotate(
        noticed_at=Subquery(live.order_by("-sent_at").values("sent_at")[:1])
    ).filter(Q(noticed_at__isnull=False) | ~reachable())


def tokens_expiring(now: datetime) -> QuerySet[ApiToken]:
    """Live tokens that expire within TOKEN_EXPIRY_NOTICE_DAYS, someone can be told about,
    and whose expiry was not announced yet."""
    announced = CleanupNotice.objects.filter(kind=Kind.TOKEN_EXPIRY, token_id=OuterRef("pk"))
    return (
        live_tokens(now)
        .filter(expires_at__lte=now + timedelta(days=TOKEN_EXPIRY_NOTICE_DAYS))
        .filter(reachable())
        .filter(~Exists(announced))
    )
