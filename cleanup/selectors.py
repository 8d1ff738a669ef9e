"""Reads: who a policy applies to, stage by stage, and the reports. Everything runs in the
current schema."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import IsNull
from django.utils import timezone

from accounts.activity import last_active
from accounts.models import ApiToken, User
from accounts.selectors import activity_by_user
from cleanup.models import (
    CleanupAuditEntry,
    CleanupExemption,
    CleanupNotice,
    CleanupReport,
    CleanupTokenAuditEntry,
)
from cleanup.token_selectors import tokens_to_revoke, tokens_to_warn
from policy.rules import PolicySpec, cap_exceeded

Reason = CleanupAuditEntry.Reason
NoticeStatus = CleanupNotice.Status
NoticeKind = CleanupNotice.Kind
# Stands for "never" where SQL compares timestamps that may be null.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _none(related: QuerySet[Any]) -> IsNull:
    """True where the correlated subquery `related` finds no row.

    Written as a scalar subquery, not NOT EXISTS: PostgreSQL turns NOT EXISTS into an
    anti-join, and on a table it has no fresh statistics for — the notices a run is writing,
    batch after batch — it plans a scan of the whole table per batch, so the warn stage grew
    with the square of the notices it wrote. A scalar subquery stays a per-row probe of the
    index on the correlated column.
    """
    return IsNull(Subquery(related.values("pk")[:1]), True)


def _some(related: QuerySet[Any]) -> IsNull:
    """True where the correlated subquery `related` finds a row (see `_none`)."""
    return IsNull(Subquery(related.values("pk")[:1]), False)


def _last_active() -> Greatest:
    """The later of last_login and last_seen (PostgreSQL's GREATEST skips nulls)."""
    return Greatest("last_login", "last_seen")


def untouchable_excluded(policy: PolicySpec, now: datetime) -> QuerySet[User]:
    """Every person but those no run may touch: superusers, staff, holders of a role (tenant
    admins and auditors), members of an exempt group, users with an exemption in force at
    `now`. Service accounts are no people: the inactivity rule never matches them (their
    stale tokens are the token stage's business).

    The exemption is a NOT EXISTS on its unique user_id index, so the planner can probe it
    per candidate: a run's keyset batches stay as cheap at the end of the table as at the
    start however many exemptions there are.
    """
    users = get_user_model().objects.filter(
        is_superuser=False, is_staff=False, role="", kind=User.Kind.PERSON
    )
    if policy.exempt_groups:
        users = users.exclude(groups__name__in=policy.exempt_groups)
    return users.filter(~Exists(exemptions_in_force(now).filter(user=OuterRef("pk"))))


def exemption_in_force_q(now: datetime) -> Q:
    """An exemption protects its user at `now` when it has no expiry or one still ahead —
    the rule in SQL; `exemption_in_force` is the same rule for one loaded row."""
    return Q(expires_at__isnull=True) | Q(expires_at__gt=now)


def exemption_in_force(exemption: CleanupExemption, now: datetime) -> bool:
    return exemption.expires_at is None or exemption.expires_at > now


def exemptions_in_force(now: datetime) -> QuerySet[CleanupExemption]:
    return CleanupExemption.objects.filter(exemption_in_force_q(now))


def eligible_users(policy: PolicySpec, now: datetime) -> QuerySet[User]:
    """Users the policy may touch: not superusers, not staff, holding no role, not in an
    exempt group, without an exemption in force at `now` (docs/architecture.md#oversight), and —
    when
    deactivating — still active."""
    users = untouchable_excluded(policy, now)
    if policy.action == "deactivate":
        users = users.filter(is_active=True)
    return users


def _matched_at(policy: PolicySpec, at: datetime) -> Q:
    """Matched at `at` (users annotated with `last_active`): last active strictly before
    at - inactive_days, or never active and joined strictly before at - never_logged_in_days.
    Exactly on a boundary is not matched."""
    return Q(last_active__lt=at - timedelta(days=policy.inactive_days)) | Q(
        last_active__isnull=True, date_joined__lt=at - timedelta(days=policy.never_logged_in_days)
    )


_REASON = Case(
    When(last_active__isnull=True, then=Value(Reason.NEVER_LOGGED_IN)),
    default=Value(Reason.INACTIVE),
    output_field=CharField(),
)


def matched_users(policy: PolicySpec, now: datetime) -> QuerySet[User]:
    """Eligible users past the policy's inactivity limits now, annotated with `last_active`
    and `reason` (`inactive`, or `never_logged_in` for users never active)."""
    return (
        eligible_users(policy, now)
        .annotate(last_active=_last_active())
        .filter(_matched_at(policy, now))
        .annotate(reason=_REASON)
    )


# --- The account lifecycle (docs/architecture.md#notices-and-the-keep-link): warn, remove, delete a


def has_email() -> Q:
    """Users a notice can reach. Nobody can warn a user without an address: such users are
    removed without a notice, and their audit entry's `noticed_at` stays null."""
    return ~Q(email="") & Q(email__isnull=False)


def _account_notices() -> QuerySet[CleanupNotice]:
    """The outer user's notices about their account. Not the notices about API tokens, which
    are addressed to users too (a token's owner, or the admins for a service account's): a
    warning about a token is no warning that the account goes."""
    return CleanupNotice.objects.filter(user_id=OuterRef("pk"), kind=NoticeKind.ACCOUNT)


def _unvoided_notices() -> QuerySet[CleanupNotice]:
    """The outer user's notices that their activity has not voided: not sent yet (pending
    in the outbox) and written at or after their last activity, sent at or after it, or
    undeliverable and still standing (`_undeliverable_notices`). Activity after a notice was
    written voids it: a later episode needs a new one. (A pending notice its user's activity
    voided is never sent — the outbox skips it — so it must not hold back the next one.)"""
    since_active = Coalesce(Greatest(OuterRef("last_login"), OuterRef("last_seen")), Value(EPOCH))
    return _account_notices().filter(
        Q(status=NoticeStatus.PENDING, created_at__gte=since_active)
        | Q(sent_at__gte=since_active)
        | _standing_undeliverable()
    )


def _standing_undeliverable() -> Q:
    """An undeliverable notice of the outer user that still stands: written after their last
    activity, to the address they still have. Activity since, or a new address (an admin
    fixed it), voids it, and the next run warns them again."""
    last_active = Greatest(OuterRef("last_login"), OuterRef("last_seen"))
    return Q(
        status=NoticeStatus.UNDELIVERABLE,
        email=OuterRef("email"),
        created_at__gte=Coalesce(last_active, Value(EPOCH)),
    )


def _undeliverable_notices() -> QuerySet[CleanupNotice]:
    """The outer user's standing undeliverable notices: the address refused the warning, so
    the user cannot be removed with one. The policy's `on_undeliverable` decides: `hold`
    (not removed) or `proceed` (removed as a user without an address is)."""
    return _account_notices().filter(_standing_undeliverable())


def _live_notices_of_user(policy: PolicySpec, now: datetime) -> QuerySet[CleanupNotice]:
    """The outer user's *live* notices: unvoided and sent at least notice_days ago."""
    return _unvoided_notices().filter(sent_at__lte=now - timedelta(days=policy.notice_days))


# No notice goes to an account younger than this: the platform is no mail relay. An admin
# who creates an account with somebody else's address cannot have the platform mail it at
# once; it waits, unwarned and — with an address, when notices are on — not removed either.
NOTICE_MIN_ACCOUNT_AGE = timedelta(days=7)


def _warn_condition(policy: PolicySpec, now: datetime) -> Q:
    """Due soon — matched at now + notice_days — with an email address, at least
    NOTICE_MIN_ACCOUNT_AGE old, and without a pending or unvoided notice (users annotated
    with `last_active`)."""
    return (
        _matched_at(policy, now + timedelta(days=policy.notice_days))
        & has_email()
        & Q(date_joined__lte=now - NOTICE_MIN_ACCOUNT_AGE)
        & Q(_none(_unvoided_notices()))
    )


def users_to_warn(policy: PolicySpec, now: datetime) -> QuerySet[User]:
    """The warn stage's users (none when notice_days is 0), annotated with `due_at`: now +
    notice_days. A due-soon user is matched by then, and no sooner may a run remove them."""
    if not policy.notice_days:
        return get_user_model().objects.none()
    due_at = now + timedelta(days=policy.notice_days)
    return (
        eligible_users(policy, now)
        .annotate(last_active=_last_active())
        .filter(_warn_condition(policy, now))
        .annotate(due_at=Value(due_at, output_field=DateTimeField()))
    )


def removable_users(policy: PolicySpec, now: datetime) -> QuerySet[User]:
    """The remove stage's users: matched, and — with notice_days > 0 — holding a live notice
    (sent at least notice_days ago, no activity since) or without an email address. So a
    matched account with an address that is too young to be warned waits: nobody removes
    it un-warned. Annotated like `matched_users`, plus `noticed_at`: when their live notice
    was sent (null: removed without one)."""
    matched = matched_users(policy, now)
    if not policy.notice_days:
        return matched.annotate(noticed_at=Value(None, output_field=DateTimeField()))
    live = _live_notices_of_user(policy, now).order_by("-sent_at").values("sent_at")[:1]
    return matched.annotate(noticed_at=Subquery(live)).filter(
        _removable(Q(noticed_at__isnull=False), policy)
    )


def _removable(live: Q, policy: PolicySpec) -> Q:
    """With notices on, a matched user is removed with a live notice (`live`), or without an
    address — and, with `on_undeliverable: proceed`, when their address refused the notice:
    as though they had none (their audit row's `noticed_at` stays null)."""
    removable = live | ~has_email()
    if policy.on_undeliverable == "proceed":
        removable |= Q(_some(_undeliverable_notices()))
    return removable


def undeliverable_users(policy: PolicySpec, now: datetime) -> QuerySet[User]:
    """Matched users whose notice their address refused (none when notice_days is 0), with
    that notice's `notice_email` and `reason` (the server's refusal): held by the run, or —
    `on_undeliverable: proceed` — removed without a notice. Annotated like `matched_users`."""
    if not policy.notice_days:
        return get_user_model().objects.none()
    refused = _undeliverable_notices().order_by("-id")
    return (
        matched_users(policy, now)
        .filter(has_email() & Q(_some(_undeliverable_notices())))
        .annotate(refusal=Subquery(refused.values("last_error")[:1]))
    )


def _deactivations_before(cutoff: datetime) -> QuerySet[CleanupAuditEntry]:
    """The outer user's deactivation by a cleanup run that started before `cutoff`, if the
    account is still exactly as that run left it (see `expired_deactivations`)."""
    return (
        CleanupAuditEntry.objects.filter(
            user_id=OuterRef("pk"),
            action=CleanupAuditEntry.Action.DEACTIVATED,
            restored_at__isnull=True,
            token_version=OuterRef("token_version"),
            report__started_at__lte=cutoff,
        )
        # IS NOT DISTINCT FROM: both null, or equal.
        .annotate(
            login=Coalesce("last_login", Value(EPOCH)), seen=Coalesce("last_seen", Value(EPOCH))
        )
        .filter(
            login=Coalesce(OuterRef("last_login"), Value(EPOCH)),
            seen=Coalesce(OuterRef("last_seen"), Value(EPOCH)),
        )
    )


def expired_deactivations(policy: PolicySpec, now: datetime) -> QuerySet[User]:
    """The restore window's stage (none unless the action is `deactivate` with
    delete_after_days set): accounts a cleanup run deactivated at least delete_after_days
    ago that nobody has touched since. Annotated with `reason` (`deactivation_expired`) and
    `noticed_at` (from the deactivation's audit entry).

    "Nobody touched it" is read from the deactivation's audit entry, not from the user row
    alone: the account is still inactive, the entry not restored, and the user's
    `token_version`, `last_login` and `last_seen` are still what that run left. Every
    deactivation by hand bumps `token_version` (accounts.User.save), so an account that was
    reactivated and then deactivated by hand — which looks just like one the run
    deactivated — is never deleted; a reactivation from the console also sets `last_seen`.
    The deactivation's time is its run's start, the `now` the run matched against, so a
    daily schedule deletes on day delete_after_days, not a day later. Deactivations audited
    before this rule existed carry no token_version and are never deleted by it. Staff,
    superusers and members of an exempt group are left alone, as everywhere.
    """
    if policy.action != "deactivate" or policy.delete_after_days is None:
        return get_user_model().objects.none()
    deactivation = _deactivations_before(now - timedelta(days=policy.delete_after_days))
    return (
        untouchable_excluded(policy, now)
        .filter(is_active=False)
        .filter(_some(deactivation))
        .annotate(
            reason=Value(Reason.DEACTIVATION_EXPIRED, output_field=CharField()),
            noticed_at=Subquery(deactivation.order_by("-id").values("noticed_at")[:1]),
        )
    )


@dataclass(frozen=True)
class StageCounts:
    """What a run of a policy would do now, stage by stage, before it changes anything."""

    eligible: int
    matched: int
    to_warn: int
    to_deactivate: int
    to_delete: int  # by the remove stage (action delete) and the restore window's
    # Matched users whose address refused their notice (held, or removed with `proceed`).
    undeliverable: int = 0
    # API tokens the token stage would revoke (docs/architecture.md#api-tokens): not users,
    # so the safety cap does not weigh them.
    tokens_to_revoke: int = 0
    tokens_to_warn: int = 0

    @property
    def removing(self) -> int:
        """What the safety cap weighs against `eligible`: everyone the run would deactivate
        or delete (§9)."""
        return self.to_deactivate + self.to_delete


def stage_counts(policy: PolicySpec, now: datetime) -> StageCounts:
    """Count every stage's users in one scan of the eligible users (a filtered count per
    stage), plus one query for the restore window when the policy has one."""
    users = eligible_users(policy, now).annotate(last_active=_last_active())
    matched = _matched_at(policy, now)
    aggregates: dict[str, Any] = {"eligible": Count("pk"), "matched": Count("pk", filter=matched)}
    if policy.notice_days:
        aggregates["to_warn"] = Count("pk", filter=_warn_condition(policy, now))
        live = Q(_some(_live_notices_of_user(policy, now)))
        aggregates["to_remove"] = Count("pk", filter=matched & _removable(live, policy))
        refused = has_email() & Q(_some(_undeliverable_notices()))
        aggregates["undeliverable"] = Count("pk", filter=matched & refused)
    counts = users.aggregate(**aggregates)
    to_remove = counts.get("to_remove", counts["matched"])
    to_expire = expired_deactivations(policy, now).count()
    deletes = policy.action == "delete"
    return StageCounts(
        eligible=counts["eligible"],
        matched=counts["matched"],
        to_warn=counts.get("to_warn", 0),
        to_deactivate=0 if deletes else to_remove,
        to_delete=(to_remove if deletes else 0) + to_expire,
        undeliverable=counts.get("undeliverable", 0),
        tokens_to_revoke=tokens_to_revoke(policy, now).count(),
        tokens_to_warn=tokens_to_warn(policy, now).count(),
    )


def exemption_list(now: datetime) -> QuerySet[CleanupExemption]:
    """Every exemption, newest first, with its user's name and whether it has `expired` at
    `now` (the dashboard greys those: the server's clock decides, not the browser's)."""
    return (
        CleanupExemption.objects.select_related("user")
        .annotate(
            expired=Case(
                When(exemption_in_force_q(now), then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
        )
        .order_by("-created_at", "-id")
    )


def report_latest() -> CleanupReport | None:
    return CleanupReport.objects.order_by("-created_at", "-id").first()


def report_active() -> CleanupReport | None:
    return CleanupReport.objects.filter(status__in=CleanupReport.ACTIVE_STATUSES).first()


def report_list() -> QuerySet[CleanupReport]:
    return CleanupReport.objects.order_by("-created_at", "-id")


def report_audit(report: CleanupReport) -> QuerySet[CleanupAuditEntry]:
    return CleanupAuditEntry.objects.filter(report=report).order_by("id")


def report_token_audit(report: CleanupReport) -> QuerySet[CleanupTokenAuditEntry]:
    return CleanupTokenAuditEntry.objects.filter(report=report).order_by("id")


def report_notices(report: CleanupReport, status: str | None = None) -> QuerySet[CleanupNotice]:
    """Who a run warned: its notices (only those in `status`, when given), in the order it
    wrote them (the index on report, id), each with its user's username now — null once the
    account is gone, as the notice stays as history.

    The username is a scalar subquery, evaluated for the rows of the page only."""
    username = User.objects.filter(pk=OuterRef("user_id")).values("username")[:1]
    notices = CleanupNotice.objects.filter(report=report)
    if status is not None:
        notices = notices.filter(status=status)
    return notices.annotate(username=Subquery(username, output_field=CharField())).order_by("id")


PREVIEW_SAMPLE_SIZE = 50


def cleanup_preview(policy: PolicySpec, now: datetime) -> dict[str, object]:
    """What a run with `policy` would do now: each stage's count, the safety cap's verdict,
    and a sample of the matched users."""
    counts = stage_counts(policy, now)
    sample: list[dict[str, Any]] = [
        dict(row)
        for row in matched_users(policy, now)
        .order_by("pk")
        .annotate(user_id=F("id"))
        .values(  # type: ignore[misc]  # "reason" and "user_id" are annotated
            "user_id",
            "username",
            "email",
            "last_login",
            "last_seen",
            "last_seen_source",
            "date_joined",
            "reason",
        )[:PREVIEW_SAMPLE_SIZE]
    ]
    # Why each matched (docs/architecture.md#what-counts-as-activity): last active when and
    # through what, and each source's latest time.
    activity = activity_by_user(user["user_id"] for user in sample)
    for user in sample:
        user["last_active_at"], user["last_active_source"] = last_active(
            user["last_login"], user["last_seen"], user.pop("last_seen_source")
        )
        user["activity"] = activity.get(user["user_id"], [])
    return {
        "users_eligible": counts.eligible,
        "users_matched": counts.matched,
        "users_to_warn": counts.to_warn,
        "users_to_deactivate": counts.to_deactivate,
        "users_to_delete": counts.to_delete,
        "tokens_to_warn": counts.tokens_to_warn,
        "tokens_to_revoke": counts.tokens_to_revoke,
        "would_abort": cap_exceeded(counts.removing, counts.eligible, policy.max_removal_ratio),
        "sample": sample,
    }


class UndoFate:
    """What undoing a run does to each account in its audit list
    (docs/architecture.md#oversight)."""

    REACTIVATE = "reactivate"
    # Active again already: reactivated by an earlier undo, by Reactivate, or by hand.
    ALREADY_ACTIVE = "already_active"
    # Deleted by the run itself, or since: counted, never restored.
    DELETED = "deleted"
    # Inactive, but not (only) because of this run: since the run, someone reactivated the
    # account and it was deactivated again — by hand or by a later run. A later decision is
    # not this run's to undo; Reactivate on the audit row still can, one account at a time.
    DEACTIVATED_AGAIN = "deactivated_again"

    ALL = (REACTIVATE, ALREADY_ACTIVE, DELETED, DEACTIVATED_AGAIN)


def undo_fates_sql() -> str:
    """SQL selecting `(audit_id, user_id, fate)` for each audit row of run `%(report)s`: the
    one home of the rule for which accounts an undo reactivates.

    An account is reactivated only if its inactivity is still this run's doing: the run
    deactivated it, it exists, it is inactive, and nothing has happened to it since — the
    test `expired_deactivations` makes before deleting one, plus later runs:
    - no restore through the console (`restored_at`: reactivated, then deactivated again);
    - its `token_version` is still the one the run left (every deactivation by hand bumps
      it, so a reactivation and a deactivation by hand, even without a sign-in between,
      show). Audit rows written before the audit kept it (null) skip this test;
    - no sign-in or API use since (the later of `last_login` and `last_seen` is still the
      one the audit copied: an inactive account cannot sign in, so a change means someone
      reactivated it and it was deactivated again afterwards);
    - no later run's audit row (a later run deactivated it again).

    The later-runs check is a hash anti-join over the audit rows of later runs only (the
    audit index on (report, id) finds them), so its cost does not grow with old history.
    """
    user_table = connection.ops.quote_name(get_user_model()._meta.db_table)
    audit_table = connection.ops.quote_name(CleanupAuditEntry._meta.db_table)
    deactivated = CleanupAuditEntry.Action.DEACTIVATED.value
    return f"""
        SELECT a.id AS audit_id, a.user_id,
            CASE
                WHEN a.action <> '{deactivated}' OR u.id IS NULL THEN '{UndoFate.DELETED}'
                WHEN u.is_active THEN '{UndoFate.ALREADY_ACTIVE}'
                WHEN a.restored_at IS NOT NULL
                    OR u.token_version <> a.token_version
                    OR GREATEST(u.last_login, u.last_seen)
                        IS DISTINCT FROM GREATEST(a.last_login, a.last_seen)
                    OR later.user_id IS NOT NULL
                    THEN '{UndoFate.DEACTIVATED_AGAIN}'
                ELSE '{UndoFate.REACTIVATE}'
            END AS fate
        FROM {audit_table} a
        LEFT JOIN {user_table} u ON u.id = a.user_id
        LEFT JOIN (
            SELECT DISTINCT user_id FROM {audit_table} WHERE report_id > %(report)s
        ) later ON later.user_id = a.user_id
        WHERE a.report_id = %(report)s
    """


def report_undo_preview(report: CleanupReport) -> dict[str, int]:
    """How many accounts of the run's audit list an undo would reactivate now, and how many
    it would leave, by fate (the counts the confirmation shows). Changes nothing."""
    counts = dict.fromkeys(UndoFate.ALL, 0)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT fate, count(*) FROM ({undo_fates_sql()}) f GROUP BY fate",
            {"report": report.pk},
        )
        counts.update(dict(cursor.fetchall()))
    # The API tokens it revoked as unused that an undo would give back (see
    # services.oversight._tokens_restore).
    counts["tokens_restore"] = ApiToken.objects.filter(
        revoked_report_id=report.pk,
        revoked_reason=ApiToken.Reason.TOKEN_INACTIVE,
        user__is_active=True,
        expires_at__gt=timezone.now(),
    ).count()
    return counts
