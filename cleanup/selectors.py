"""Reads: who a policy applies to, and the reports. Everything runs in the current schema."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Greatest

from accounts.models import User
from cleanup.models import CleanupAuditEntry, CleanupExemption, CleanupReport
from cleanup.policy import PolicySpec


def exemption_in_force_q(now: datetime) -> Q:
    """An exemption protects its user at `now` when it has no expiry or one still ahead —
    the rule in SQL; `exemption_in_force` is the same rule for one loaded row."""
    return Q(expires_at__isnull=True) | Q(expires_at__gt=now)


def exemption_in_force(exemption: CleanupExemption, now: datetime) -> bool:
    return exemption.expires_at is None or exemption.expires_at > now


def exemptions_in_force(now: datetime) -> QuerySet[CleanupExemption]:
    return CleanupExemption.objects.filter(exemption_in_force_q(now))


def eligible_users(policy: PolicySpec, now: datetime) -> QuerySet[User]:
    """Users the policy may touch: not superusers, not staff, not in an exempt group, without
    an exemption in force at `now` (DESIGN §10), and — when deactivating — still active.

    The exemption is a NOT EXISTS on its unique user_id index, so the planner can probe it
    per candidate: a run's keyset batches stay as cheap at the end of the table as at the
    start however many exemptions there are (see `_batch_next`).
    """
    users = get_user_model().objects.filter(is_superuser=False, is_staff=False)
    if policy.exempt_groups:
        users = users.exclude(groups__name__in=policy.exempt_groups)
    users = users.filter(~Exists(exemptions_in_force(now).filter(user=OuterRef("pk"))))
    if policy.action == "deactivate":
        users = users.filter(is_active=True)
    return users


def matched_users(policy: PolicySpec, now: datetime) -> QuerySet[User]:
    """Eligible users the policy removes, annotated with `last_active` and `reason`.

    last active = the later of last_login and last_seen (PostgreSQL's GREATEST skips nulls).
    Matched: last active strictly before now - inactive_days (`inactive`), or never active
    and joined strictly before now - never_logged_in_days (`never_logged_in`). Exactly on a
    boundary is kept.
    """
    inactive_before = now - timedelta(days=policy.inactive_days)
    joined_before = now - timedelta(days=policy.never_logged_in_days)
    return (
        eligible_users(policy, now)
        .annotate(last_active=Greatest("last_login", "last_seen"))
        .filter(
            Q(last_active__lt=inactive_before)
            | Q(last_active__isnull=True, date_joined__lt=joined_before)
        )
        .annotate(
            reason=Case(
                When(
                    last_active__isnull=True, then=Value(CleanupAuditEntry.Reason.NEVER_LOGGED_IN)
                ),
                default=Value(CleanupAuditEntry.Reason.INACTIVE),
                output_field=CharField(),
            )
        )
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


PREVIEW_SAMPLE_SIZE = 50


def cleanup_preview(policy: PolicySpec, now: datetime) -> dict[str, object]:
    """What a run with `policy` would do now: counts, the safety cap's verdict, a sample."""
    eligible = eligible_users(policy, now).count()
    matched = matched_users(policy, now)
    matched_count = matched.count()
    sample = list(
        matched.order_by("pk")
        .annotate(user_id=F("id"))
        .values(  # type: ignore[misc]  # "reason" and "user_id" are annotated
            "user_id", "username", "email", "last_login", "last_seen", "date_joined", "reason"
        )[:PREVIEW_SAMPLE_SIZE]
    )
    return {
        "users_eligible": eligible,
        "users_matched": matched_count,
        "would_abort": bool(eligible) and matched_count / eligible > policy.max_removal_ratio,
        "sample": sample,
    }


class UndoFate:
    """What undoing a run does to each account in its audit list (DESIGN §10)."""

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
    deactivated it, it exists, it is inactive, and nothing has happened to it since —
    - no restore through the console (`restored_at`: reactivated, then deactivated again);
    - no sign-in or API use since (the later of `last_login` and `last_seen` is still the
      one the audit copied: an inactive account cannot sign in, so a change means someone
      reactivated it and it was deactivated again afterwards);
    - no later run's audit row (a later run deactivated it again).
    A reactivation by hand followed by a deactivation by hand with no sign-in in between
    leaves no trace in these columns; the audit would need the account's `token_version`
    after the run (a deactivation bumps it) to see that too.

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
    return counts
