"""Sending users' notices (docs/architecture.md#notices-and-the-keep-link): the outbox the run
writes, emptied by the `notices`
queue.

A run only writes `CleanupNotice` rows. `notices_send(schema_name=...)` (the task
`cleanup.send_notices`) sends a tenant's unsent notices in batches over one SMTP
connection, at most NOTICE_RATE_PER_MINUTE per tenant and at most the tenant's daily cap in
any 24 hours, and schedules itself again (a Celery countdown) for whatever it could not send
yet: what is over this minute's budget or the day's cap, or the notices waiting out a
retry. Nothing periodic looks for unsent notices in every schema: a
real run that ends (or stops for approval) enqueues the sender when its tenant has unsent
notices (`report_transition`, after the commit: `notices_pending_enqueue`), and the
sender's own countdowns carry the tenant until its outbox is empty.

Delivery is at least once, never "at most": a notice counts (protects its user, starts the
`notice_days` clock) only once `sent_at` is set, and `sent_at` is set only for a message the
mail server accepted. Each batch is one transaction: lock up to NOTICE_BATCH_SIZE unsent
notices (FOR UPDATE SKIP LOCKED, so concurrent senders split the outbox and never send one
notice twice), send them, mark the accepted ones sent, commit. A crash after the server
accepted messages and before the commit rolls the batch back: those notices are sent again
later, so a user may get the same email twice. The other order — commit `sent_at`, then
send — would let a crash mark unsent notices sent, and remove users who were never told;
a duplicate email is the cheaper failure. NOTICE_BATCH_SIZE bounds the duplicates.

An address that refuses its notice (`_refusals_record`) makes it `undeliverable`: at once
for a permanent refusal (5xx), after NOTICE_GIVE_UP_H of temporary ones (4xx). A mail server
that cannot be reached at all is retried for as long as it takes: it says nothing about the
address, and a pending notice protects its user.

The daily cap keeps the platform from being anyone's mail relay: a tenant sends at most the
larger of NOTICE_DAILY_CAP_MIN and NOTICE_DAILY_CAP_RATIO of its user accounts in any 24
hours — a rolling window over the notices' own `sent_at`, so it needs no counter of its own,
survives a Redis flush, and allows no double burst around midnight. What is over the cap
stays unsent (and protects its user) until the window has room. Each batch counts the window
under a per-tenant lock held to its commit, so two senders never both fill the same room.
"""

import contextlib
import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Now
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import ApiToken
from cleanup.models import CleanupNotice, CleanupReport
from cleanup.services.keep import keep_token_make
from cleanup.services.mail import (
    TenantMail,
    date_text,
    mail_retry_delay,
    notice_removal_at,
    tenant_mail,
)
from cleanup.services.notice_text import notice_words
from cleanup.services.registry import notices_count
from core.dispatch import task_publish
from core.mail import (
    MailRejected,
    MailUnavailable,
    connection_close,
    connection_open,
    deliver,
    message_build,
    message_render,
)
from policy.rules import PolicySpec

logger = logging.getLogger(__name__)

Status = CleanupNotice.Status


@dataclass(frozen=True)
class SendOutcome:
    sent: int = 0
    failed: int = 0
    # Seconds until the sender runs again for this tenant (None: nothing left to send).
    follow_up_in: float | None = None


# --- Enqueueing -----------------------------------------------------------------------------


def notices_send_enqueue(schema_name: str, *, countdown: float = 0) -> bool:
    """Publish the sender for `schema_name` (task `cleanup.send_notices`, queue `notices`)
    to run in `countdown` seconds; say whether the broker took it.

    Never raises for a broker that is down: the caller (a run that has just committed) must
    not fail for it, and the notices stay in the outbox for the next run to enqueue. Two
    senders of one tenant at once are harmless (they split the outbox), only wasteful.
    """
    try:
        task_publish("cleanup.send_notices", args=[schema_name], countdown=max(0.0, countdown))
    except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
        logger.warning(
            "cleanup.notices.enqueue_failed", extra={"tenant": schema_name, "error": repr(exc)}
        )
        return False
    return True


def notices_pending_enqueue(schema_name: str) -> bool:
    """Enqueue the sender for `schema_name` if its outbox holds any unsent notice; say
    whether it did. One indexed query (the partial index on unsent notices)."""
    with schema_context(schema_name):
        pending = CleanupNotice.objects.filter(status=Status.PENDING).exists()
    return pending and notices_send_enqueue(schema_name)


# --- Sending --------------------------------------------------------------------------------


def notices_send(*, schema_name: str, batch_size: int | None = None) -> SendOutcome:
    """Send the tenant's unsent, due notices, at most NOTICE_RATE_PER_MINUTE this minute
    and no more than the daily cap leaves room for (`notice_daily_cap`), and enqueue the
    sender again for whatever is left. Returns what it did.

    Safe to run twice, and concurrently: batches are locked with SKIP LOCKED (and, while the
    daily cap is on, take turns under the tenant's lock). A mail server
    that cannot be reached, or that refuses a message for now, leaves the notices pending
    with `attempts`, `last_error` and `next_attempt_at` (exponential backoff) recorded; one
    that refuses it for good (or for NOTICE_GIVE_UP_H) makes it `undeliverable`. After a
    server failure the rest of the outbox waits with them, rather than knock on a dead
    server batch after batch. Does nothing for a tenant that is gone or suspended (its
    outbox waits for its next run).
    """
    tenant = tenant_mail(schema_name)
    if tenant is None or not tenant.is_active:
        logger.info(
            "cleanup.notices.skipped",
            extra={"tenant": schema_name, "reason": "gone" if tenant is None else "suspended"},
        )
        return SendOutcome()
    batch_size = batch_size or settings.NOTICE_BATCH_SIZE
    budget = _Budget(schema_name, settings.NOTICE_RATE_PER_MINUTE)
    sent = failed = undeliverable = 0
    server_down_until: datetime | None = None
    capped_until: datetime | None = None
    mail: BaseEmailBackend | None = None
    with schema_context(schema_name):
        daily = _DailyCap.of_tenant(schema_name)
        try:
            while server_down_until is None and capped_until is None:
                granted = budget.take(batch_size)
                if not granted:
                    break
                with transaction.atomic():
                    room = granted if daily is None else daily.room()
                    now = timezone.now()
                    if daily is not None and not room:
                        budget.give_back(granted)
                        capped_until = daily.opens_at(now)
                        break
                    wanted = min(granted, room)
                    batch = list(
                        _due(now)
                        .order_by("id")
                        .select_for_update(skip_locked=True, of=("self",))[:wanted]
                    )
                    budget.give_back(granted - len(batch))
                    if not batch:
                        break
                    if mail is None:
                        try:
                            mail = connection_open()
                        except MailUnavailable as exc:
                            logger.warning(
                                "cleanup.notices.mail_unavailable",
                                extra={"tenant": schema_name, "error": str(exc)},
                            )
                            server_down_until = _failures_record(batch, str(exc), now)
                            budget.give_back(len(batch))
                            failed += len(batch)
                            break
                    result = _batch_send(mail, tenant, batch, now)
                    # Marked sent in the transaction that locked them: see the module's note.
                    CleanupNotice.objects.filter(pk__in=result.accepted).update(
                        sent_at=timezone.now(), status=Status.SENT, next_attempt_at=None
                    )
                    undeliverable += _refusals_record(result.refused, now)
                    if result.unavailable is not None:
                        error, notices = result.unavailable
                        server_down_until = _failures_record(notices, error, now)
                    budget.give_back(len(batch) - len(result.accepted))
                sent += len(result.accepted)
                failed += len(batch) - len(result.accepted)
        finally:
            if mail is not None:
                connection_close(mail)
        follow_up_in = _follow_up_in(budget, server_down_until, capped_until)
    if capped_until is not None and daily is not None:
        logger.info(
            "cleanup.notices.daily_cap_reached",
            extra={"tenant": schema_name, "cap": daily.cap, "room_at": capped_until},
        )
    # /metrics' counters, once per call and outside the batches' transactions: the public
    # policy row is also written by the run's transitions, and holding it while notices are
    # locked made a run and a sender deadlock. A crash before this line undercounts.
    notices_count(schema_name=schema_name, sent=sent, failed=failed, undeliverable=undeliverable)
    if follow_up_in is not None:
        notices_send_enqueue(schema_name, countdown=follow_up_in)
    logger.info(
        "cleanup.notices.sent",
        extra={
            "tenant": schema_name,
            "sent": sent,
            "failed": failed,
            "undeliverable": undeliverable,
            "follow_up_in": follow_up_in,
        },
    )
    return SendOutcome(sent=sent, failed=failed, follow_up_in=follow_up_in)


def _outbox() -> QuerySet[CleanupNotice]:
    """Unsent notices that still matter. An account's: its user exists, is active, and has
    not been active since the notice was written (activity voids a notice,
    docs/architecture.md#notices-and-the-keep-link; warning someone who has just signed in
    would be a false alarm). A token's (docs/architecture.md#api-tokens): its recipient is
    active and the token still works — and, for an inactivity notice, has not been used
    (or restored) since. The others are left as they are and never picked again."""
    recipient = get_user_model().objects.filter(pk=OuterRef("user_id"), is_active=True)
    quiet = recipient.exclude(last_login__gt=OuterRef("created_at")).exclude(
        last_seen__gt=OuterRef("created_at")
    )
    working = ApiToken.objects.filter(
        pk=OuterRef("token_id"), revoked_at__isnull=True, expires_at__gt=Now()
    )
    unused = working.exclude(last_used_at__gt=OuterRef("created_at")).exclude(
        restored_at__gt=OuterRef("created_at")
    )
    Kind = CleanupNotice.Kind
    matters = (Q(kind=Kind.ACCOUNT) & Q(Exists(quiet))) | (
        Q(Exists(recipient))
        & (
            (Q(kind=Kind.TOKEN_INACTIVE) & Q(Exists(unused)))
            | (Q(kind=Kind.TOKEN_EXPIRY) & Q(Exists(working)))
        )
    )
    return CleanupNotice.objects.filter(matters, status=Status.PENDING)


def _due(now: datetime) -> QuerySet[CleanupNotice]:
    """The outbox's notices whose (re)try time has come."""
    return _outbox().filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


@dataclass
class _BatchResult:
    accepted: list[int]
    # Notices the server refused, each with its refusal.
    refused: list[tuple[CleanupNotice, MailRejected]]
    # The error that made the server unavailable, and the notices it left unsent, if one did.
    unavailable: tuple[str, list[CleanupNotice]] | None = None


def _batch_send(
    connection: BaseEmailBackend, tenant: TenantMail, batch: list[CleanupNotice], now: datetime
) -> _BatchResult:
    """Send `batch` over `connection`, one message after the other. A message the server
    refuses is skipped; when the server becomes unavailable the failed notice and the rest
    of the batch are left unsent."""
    policies = dict(
        CleanupReport.objects.filter(pk__in={n.report_id for n in batch}).values_list(
            "pk", "policy"
        )
    )
    # Whom to greet: the first name, else the username.
    names = {
        pk: first_name or username
        for pk, first_name, username in get_user_model()
        .objects.filter(pk__in=[n.user_id for n in batch])
        .values_list("pk", "first_name", "username")
    }
    tokens = ApiToken.objects.select_related("user").in_bulk(
        [n.token_id for n in batch if n.token_id is not None]
    )
    result = _BatchResult(accepted=[], refused=[])
    for index, notice in enumerate(batch):
        spec = PolicySpec.from_snapshot(policies.get(notice.report_id) or {})
        name = names.get(notice.user_id, "")
        token = tokens.get(notice.token_id) if notice.token_id is not None else None
        if token is not None:
            message = token_notice_message(
                notice, tenant=tenant, spec=spec, username=name, token=token, now=now
            )
        else:
            message = notice_message(notice, tenant=tenant, spec=spec, first_name=name, now=now)
        try:
            deliver(connection, message)
        except MailRejected as exc:
            logger.warning(
                "cleanup.notice.rejected",
                extra={
                    "tenant": tenant.schema_name,
                    "notice_id": notice.pk,
                    "error": str(exc),
                    "temporary": exc.temporary,
                },
            )
            result.refused.append((notice, exc))
            continue
        except MailUnavailable as exc:
            logger.warning(
                "cleanup.notices.mail_unavailable",
                extra={"tenant": tenant.schema_name, "error": str(exc)},
            )
            result.unavailable = (str(exc), batch[index:])
            break
        result.accepted.append(notice.pk)
    return result


def notice_message(
    notice: CleanupNotice,
    *,
    tenant: TenantMail,
    spec: PolicySpec,
    first_name: str,
    now: datetime,
) -> EmailMultiAlternatives:
    """The email of one notice, as if sent at `now`: in the words and language of the policy
    the run that wrote it had (its report's snapshot)."""
    removal_at = notice_removal_at(notice, spec, now)
    token = keep_token_make(
        tenant_pk=tenant.pk,
        user_id=notice.user_id,
        notice_id=notice.pk,
        expires_at=removal_at + timedelta(days=settings.NOTICE_KEEP_LINK_DAYS),
    )
    words = notice_words(
        spec=spec,
        tenant_name=tenant.name,
        first_name=first_name,
        removal_at=removal_at,
        keep_url=tenant.link(f"keep/{token}/"),
        sign_in_url=tenant.url,
    )
    return message_build(
        subject=words.subject,
        text=words.text,
        html=words.html,
        to=notice.email,
        from_email=tenant.from_email,
        reply_to=spec.notice_reply_to,
        # Bulk mail: no out-of-office replies, please (a Reply-To, when the policy sets one,
        # is for the people who write back).
        headers={"Auto-Submitted": "auto-generated"},
    )


def token_notice_message(
    notice: CleanupNotice,
    *,
    tenant: TenantMail,
    spec: PolicySpec,
    username: str,
    token: ApiToken,
    now: datetime,
) -> EmailMultiAlternatives:
    """The email of a token's notice: it will be revoked as unused, or it expires soon. No
    keep link: using the token is what keeps it."""
    expiring = notice.kind == CleanupNotice.Kind.TOKEN_EXPIRY
    when = token.expires_at if expiring else notice_removal_at(notice, spec, now)
    date = date_text(when, spec.timezone)
    last_used = token.last_used_at or token.restored_at
    context = {
        "tenant_name": tenant.name,
        "username": username,
        "expiring": expiring,
        "token_name": token.name,
        "prefix": token.prefix,
        "owner": token.user.username,
        "date": date,
        "last_used": date_text(last_used, spec.timezone) if last_used else "",
        "sign_in_url": tenant.url,
    }
    what = (
        f"API token {token.name!r} expires on {date}"
        if expiring
        else (f"unused API token {token.name!r} will be revoked on {date}")
    )
    return message_render(
        template="cleanup/email/token_notice",
        context=context,
        subject=f"{tenant.name}: {what}",
        to=notice.email,
        from_email=tenant.from_email,
        headers={"Auto-Submitted": "auto-generated"},
    )


def notice_retry_at(now: datetime, attempts: int) -> datetime:
    """When to try a notice again after its `attempts`-th failure (`mail_retry_delay`)."""
    return now + timedelta(seconds=mail_retry_delay(attempts))


def _refusals_record(refused: list[tuple[CleanupNotice, MailRejected]], now: datetime) -> int:
    """Record what the server said about each refused notice; return how many became
    `undeliverable`.

    A permanent refusal (5xx: no such mailbox, domain gone) makes the notice undeliverable
    at once: trying again gets the same answer. A temporary one (4xx: greylisting, a full
    mailbox) is tried again with backoff, until NOTICE_GIVE_UP_H after the first of them;
    then it is undeliverable too. Either way its user is no longer protected by a pending
    notice: the policy's `on_undeliverable` decides what runs do with them.

    A server that cannot be reached at all is not a refusal (`_failures_record`): it says
    nothing about the address, and is retried however long it lasts.
    """
    give_up = timedelta(hours=settings.NOTICE_GIVE_UP_H)
    gone = 0
    for notice, exc in refused:
        since = (notice.refused_since or now) if exc.temporary else notice.refused_since
        attempts = notice.attempts + 1
        fields: dict[str, object] = {
            "attempts": attempts,
            "last_error": str(exc),
            "refused_since": since,
        }
        if exc.temporary and since is not None and now - since < give_up:
            fields["next_attempt_at"] = notice_retry_at(now, attempts)
        else:
            fields.update(status=Status.UNDELIVERABLE, next_attempt_at=None)
            gone += 1
            logger.warning(
                "cleanup.notice.undeliverable",
                extra={"notice_id": notice.pk, "user_id": notice.user_id, "attempts": attempts},
            )
        # One UPDATE per refused notice: refusals are few, and each has its own clock.
        CleanupNotice.objects.filter(pk=notice.pk).update(**fields)
    return gone


def _failures_record(notices: list[CleanupNotice], error: str, now: datetime) -> datetime:
    """Count one more failed attempt for each notice, and when to try it again; return the
    earliest of those times."""
    by_attempts: dict[int, list[int]] = defaultdict(list)
    for notice in notices:
        by_attempts[notice.attempts + 1].append(notice.pk)
    retry_times = []
    for attempts, ids in by_attempts.items():
        retry_at = notice_retry_at(now, attempts)
        CleanupNotice.objects.filter(pk__in=ids).update(
            attempts=attempts, last_error=error, next_attempt_at=retry_at
        )
        retry_times.append(retry_at)
    return min(retry_times)


def _follow_up_in(
    budget: "_Budget", server_down_until: datetime | None, capped_until: datetime | None
) -> float | None:
    """Seconds until this tenant's sender should run again, or None when its outbox holds
    nothing to send later. In the current (tenant) schema.

    After a server failure: when the failed batch's retry is due. Otherwise, with due
    notices left: when the daily cap has room again, if it stopped this call; else (the
    minute's budget is spent, or another sender holds them locked) at the next minute.
    Otherwise: when the first notice waiting out a retry is due.
    """
    now = timezone.now()
    if server_down_until is not None:
        return max(1.0, (server_down_until - now).total_seconds())
    if _due(now).exists():
        if capped_until is not None:
            return max(1.0, (capped_until - now).total_seconds())
        return budget.resets_in()
    waiting = (
        _outbox()
        .filter(next_attempt_at__gt=now)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if waiting is None:
        return None
    return max(1.0, (waiting - now).total_seconds())


class _Budget:
    """This call's share of the tenant's NOTICE_RATE_PER_MINUTE, counted in Redis (the
    cache) per tenant and per clock minute, so every sender of the tenant draws on the same
    budget, on any worker.

    The minute is fixed when the call starts: a call that outlasts its minute keeps drawing
    on that minute's (spent) budget and stops, and its follow-up starts on a fresh one. A
    fixed window, so over a minute boundary up to twice the rate may go out within 60 s.
    Taken before a batch is locked; what a batch did not send is given back.
    """

    def __init__(self, schema_name: str, per_minute: int):
        self.per_minute = per_minute
        self.started = time.time()
        self.minute = int(self.started // 60)
        self.key = f"cleanup:notices:sent:{schema_name}:{self.minute}"

    def take(self, wanted: int) -> int:
        """Up to `wanted` sends from this minute's budget (0: it is spent)."""
        if not self.per_minute:
            return wanted
        cache.add(self.key, 0, timeout=120)
        try:
            used = cache.incr(self.key, wanted)
        except ValueError:  # the key expired between add and incr: a stale minute
            return 0
        over = min(max(used - self.per_minute, 0), wanted)
        if over:
            cache.decr(self.key, over)
        return wanted - over

    def give_back(self, count: int) -> None:
        if self.per_minute and count > 0:
            with contextlib.suppress(ValueError):
                cache.decr(self.key, count)

    def resets_in(self) -> float:
        """Seconds until the next minute's budget (at least 1)."""
        return max(1.0, (self.minute + 1) * 60 - time.time())


# The daily cap's window: any 24 hours, rolling.
DAILY_CAP_WINDOW = timedelta(hours=24)


def notice_daily_cap(users: int) -> int | None:
    """How many notices a tenant of `users` user accounts may send in any 24 hours: the
    larger of NOTICE_DAILY_CAP_MIN and NOTICE_DAILY_CAP_RATIO of them, rounded up. None when
    both settings are 0 (no cap)."""
    minimum, ratio = settings.NOTICE_DAILY_CAP_MIN, settings.NOTICE_DAILY_CAP_RATIO
    if not minimum and not ratio:
        return None
    # Decimal: 0.1 * 1100 is 110.00000000000001 in floats, which would round up to 111.
    return max(minimum, math.ceil(Decimal(str(ratio)) * users))


class _DailyCap:
    """The tenant's daily cap, counted from the notices sent in the last 24 hours. In the
    current (tenant) schema."""

    def __init__(self, schema_name: str, cap: int):
        self.schema_name = schema_name
        self.cap = cap

    @classmethod
    def of_tenant(cls, schema_name: str) -> "_DailyCap | None":
        cap = notice_daily_cap(get_user_model().objects.count())
        return None if cap is None else cls(schema_name, cap)

    def room(self) -> int:
        """How many more notices may go now. Takes the tenant's sending lock until the end of
        the caller's transaction: another sender counts only after this one's batch is
        committed, sends included. Call it before reading the time the batch uses."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"cleanup.notices.daily_cap:{self.schema_name}"],
            )
        sent = CleanupNotice.objects.filter(sent_at__gt=timezone.now() - DAILY_CAP_WINDOW)
        return max(0, self.cap - sent.count())

    def opens_at(self, now: datetime) -> datetime:
        """When the window next has room for one more notice: as soon as all but cap - 1 of
        the notices sent in the 24 hours before `now` are older than that."""
        in_window = CleanupNotice.objects.filter(sent_at__gt=now - DAILY_CAP_WINDOW)
        over = max(in_window.count() - self.cap, 0)
        ages_out = in_window.order_by("sent_at").values_list("sent_at", flat=True)[over : over + 1]
        # None sent in the window and still no room: a cap of 0 (a tenant with no users).
        return next((sent_at for sent_at in ages_out if sent_at), now) + DAILY_CAP_WINDOW
