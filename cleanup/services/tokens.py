"""The token stage of a run (docs/architecture.md#api-tokens): warn about API tokens that will
be stale in notice_days, announce the ones expiring within a week, and revoke the stale ones
— after the account stages, in one transaction of its own.

Notices go through the users' outbox (`CleanupNotice`, kinds `token_inactive` and
`token_expiry`), so they share its sender, its rate limit and its daily cap. A token notice
goes to the token's owner, or — for a service account's token — to each tenant admin with
an address. The revocation is one statement: it revokes the picked tokens (locked) and
writes their audit rows from what it revoked, so a revoked token always has an audit row
and an audited token is always revoked.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import DateTimeField, F, QuerySet, Value

from accounts.models import ApiToken, User
from cleanup.models import CleanupNotice, CleanupReport, CleanupTokenAuditEntry
from cleanup.token_selectors import (
    token_admins,
    tokens_expiring,
    tokens_to_revoke,
    tokens_to_warn,
)
from policy.rules import PolicySpec
from webhooks import catalogue
from webhooks.services.events import webhook_events_emit, webhook_subscribers

Kind = CleanupNotice.Kind


def _q(name: object) -> str:
    return connection.ops.quote_name(str(name))


def _notices_write(tokens: QuerySet[ApiToken], kind: str, report_id: int, now: datetime) -> int:
    """One notice per token of `tokens` (annotated with `due_at`) and recipient, in one
    INSERT … SELECT; returns how many tokens got one."""
    if tokens.query.is_empty():  # notices off: `.none()`, which compiles to no SQL
        return 0
    picked_sql, picked_params = tokens.values(  # type: ignore[misc]  # "due_at" is annotated
        "due_at", token=F("pk"), owner=F("user_id"), owner_kind=F("user__kind")
    ).query.sql_with_params()
    admins_sql, admins_params = token_admins().values("pk", "email").query.sql_with_params()
    users, notices = _q(User._meta.db_table), _q(CleanupNotice._meta.db_table)
    statement = f"""
        WITH picked AS ({picked_sql}),
        written AS (
            INSERT INTO {notices} (user_id, email, report_id, due_at, created_at, attempts,
                last_error, kind, token_id)
            SELECT r.id, r.email, %s, p.due_at, %s, 0, '', %s, p.token
            FROM picked p
            CROSS JOIN LATERAL (
                SELECT u.id, u.email FROM {users} u
                WHERE u.id = p.owner AND p.owner_kind = %s AND u.email <> ''
                UNION ALL
                SELECT a.pk, a.email FROM ({admins_sql}) a WHERE p.owner_kind = %s
            ) r
            RETURNING token_id
        )
        SELECT count(DISTINCT token_id) FROM written
    """
    params = [
        *picked_params,
        report_id,
        now,
        kind,
        User.Kind.PERSON.value,
        *admins_params,
        User.Kind.SERVICE.value,
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return int(cursor.fetchone()[0])


def tokens_warn(report_id: int, spec: PolicySpec, now: datetime) -> int:
    """Notices about the tokens that will be stale in notice_days (due then)."""
    due = Value(now + timedelta(days=spec.notice_days), output_field=DateTimeField())
    return _notices_write(
        tokens_to_warn(spec, now).annotate(due_at=due), Kind.TOKEN_INACTIVE, report_id, now
    )


def tokens_expiry_warn(report_id: int, now: datetime) -> int:
    """Notices about the tokens expiring within a week (due when they expire)."""
    return _notices_write(
        tokens_expiring(now).annotate(due_at=F("expires_at")), Kind.TOKEN_EXPIRY, report_id, now
    )


def tokens_revoke(report_id: int, spec: PolicySpec, now: datetime) -> int:
    """Revoke the stale tokens (`tokens_to_revoke`, rows locked and re-checked) and audit
    each, in one statement; return how many."""
    locked = tokens_to_revoke(spec, now).select_for_update(of=("self",))
    if locked.query.is_empty():
        return 0
    picked = locked.values("noticed_at", token=F("pk"))  # type: ignore[misc]  # annotated
    picked_sql, picked_params = picked.query.sql_with_params()
    tokens, users = _q(ApiToken._meta.db_table), _q(User._meta.db_table)
    audit = _q(CleanupTokenAuditEntry._meta.db_table)
    statement = f"""
        WITH picked AS ({picked_sql}),
        revoked AS (
            UPDATE {tokens} t SET revoked_at = %s, revoked_reason = %s, revoked_by = '',
                revoked_report_id = %s
            WHERE t.id = ANY(ARRAY(SELECT p.token FROM picked p))
            RETURNING t.id, t.prefix, t.name, t.user_id, t.created_at, t.last_used_at,
                t.expires_at
        ),
        audited AS (
            INSERT INTO {audit} (report_id, token_id, prefix, name, owner_id, owner_username,
                owner_kind, created_at, last_used_at, expires_at, reason, noticed_at)
            SELECT %s, r.id, r.prefix, r.name, r.user_id, u.username, u.kind, r.created_at,
                r.last_used_at, r.expires_at, %s, p.noticed_at::timestamptz
            FROM revoked r JOIN picked p ON p.token = r.id JOIN {users} u ON u.id = r.user_id
            RETURNING 1
        )
        SELECT count(*) FROM audited
    """
    reason = ApiToken.Reason.TOKEN_INACTIVE.value
    params: list[Any] = [*picked_params, now, reason, report_id, report_id, reason]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        revoked = int(cursor.fetchone()[0])
    if revoked:
        _revoked_emit(report_id)
    return revoked


def _revoked_emit(report_id: int) -> None:
    """`token.revoked` for each token the run revoked, in the revocation's transaction; one
    query on the endpoints when nobody listens."""
    targets = webhook_subscribers(catalogue.TOKEN_REVOKED)
    if not targets:
        return
    rows = CleanupTokenAuditEntry.objects.filter(report_id=report_id).values_list(
        "token_id", "prefix", "owner_username", "reason"
    )
    pages = [
        {
            "token_id": pk,
            "prefix": f"cc_{prefix}",
            "owner": owner,
            "reason": reason,
            "report_id": report_id,
        }
        for pk, prefix, owner, reason in rows
    ]
    webhook_events_emit(type=catalogue.TOKEN_REVOKED, pages=pages, endpoint_ids=targets)


class TokenStageCancelled(Exception):
    """The report stopped being `running` under the stage."""


def token_stage_run(report: CleanupReport, spec: PolicySpec, now: datetime) -> int:
    """The token stage of a real run, in one transaction: notices, expiry notices,
    revocations, and the report's `tokens_revoked` — conditional on the run still running
    (otherwise everything rolls back and TokenStageCancelled is raised). Returns how many
    tokens it revoked. Does nothing with token_inactive_days null but announce expiries."""
    with transaction.atomic():
        if spec.token_inactive_days is not None:
            tokens_warn(report.pk, spec, now)
            revoked = tokens_revoke(report.pk, spec, now)
        else:
            revoked = 0
        tokens_expiry_warn(report.pk, now)
        updated = CleanupReport.objects.filter(
            pk=report.pk, status=CleanupReport.Status.RUNNING
        ).update(tokens_revoked=revoked)
        if not updated:
            raise TokenStageCancelled()
    report.tokens_revoked = revoked
    return revoked
