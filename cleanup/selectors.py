"""Reads: who a policy applies to, and the reports. Everything runs in the current schema."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.db.models.functions import Greatest

from accounts.models import User
from cleanup.models import CleanupAuditEntry, CleanupReport
from cleanup.policy import PolicySpec


def eligible_users(policy: PolicySpec, now: datetime) -> QuerySet[User]:
    """Users the policy may touch: not superusers, not staff, not in an exempt group, and —
    when deactivating — still active. `now` is unused today but keeps the signature of
    `matched_users`, so callers can swap one for the other."""
    users = get_user_model().objects.filter(is_superuser=False, is_staff=False)
    if policy.exempt_groups:
        users = users.exclude(groups__name__in=policy.exempt_groups)
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
