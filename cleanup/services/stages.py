"""The stages of a run (DESIGN §9), one batch at a time: warn, remove, and delete after the
restore window.

Each stage walks the users in keyset batches over the primary key. A batch runs inside the
caller's transaction and selects its users afresh — the policy re-checked against the rows
as they are now — then writes set-based, all in one statement: notices for the warn stage;
the removal, its dependants and the audit rows for the other two
(`removal.users_remove_audited`).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL

from cleanup.models import CleanupNotice
from cleanup.policy import PolicySpec
from cleanup.selectors import expired_deactivations, removable_users, users_to_warn
from cleanup.services.removal import users_remove_audited

BATCH_WINDOW = 4
BIGINT_MAX = 2**63 - 1


@dataclass(frozen=True)
class Batch:
    """What one batch did: how many users it warned or removed, and where the next batch
    starts (exclusive) — None when no user is left to look at."""

    count: int
    next_after: int | None


@dataclass(frozen=True)
class Window:
    """The users a batch looks among: the `size * BATCH_WINDOW` users after `after_pk`.

    The window's upper bound keeps each batch's query as cheap at the end of the table as at
    its start: with only `pk > after_pk`, PostgreSQL merges the exempt-group anti-join from
    the first row of the group-membership index on every batch, so a run's cost grew with
    the square of the tenant's size. A window may hold no user of the stage at all.

    The bound is a subquery of the batch's own statement (an InitPlan PostgreSQL computes
    once and walks the primary key index with), not a query of its own: one round trip
    less per batch. The statement also returns it, so the next batch knows where to start.
    """

    after_pk: int
    size: int

    def upper(self) -> tuple[str, list[Any]]:
        """SQL for the window's greatest primary key: null when it reaches the end of the
        table."""
        users = get_user_model()._meta
        table, pk = connection.ops.quote_name(users.db_table), users.pk.column  # type: ignore[union-attr]
        return (
            f'(SELECT "{pk}" FROM {table} WHERE "{pk}" > %s ORDER BY "{pk}" OFFSET %s LIMIT 1)',
            [self.after_pk, self.size * BATCH_WINDOW - 1],
        )

    def users(self, users: QuerySet[Any]) -> QuerySet[Any]:
        """`users` within the window, by primary key, at most `size` of them."""
        upper, params = self.upper()
        return users.filter(
            pk__gt=self.after_pk,
            # Our own SQL: the only values in it are the parameters.
            pk__lte=RawSQL(f"COALESCE({upper}, {BIGINT_MAX})", params),  # noqa: S611
        ).order_by("pk")

    def next_after(self, count: int, last_pk: int | None, upper: int | None) -> int | None:
        if count == self.size:
            return last_pk  # the window may hold more
        return upper  # window exhausted; None when it reached the end of the table


def warn_batch(report_id: int, spec: PolicySpec, now: datetime, after_pk: int, size: int) -> Batch:
    """Write a notice for each due-soon user of the next window without one
    (`selectors.users_to_warn`), in one INSERT … SELECT. No row lock: a user who becomes
    active meanwhile gets a notice their activity has already voided, which is harmless."""
    window = Window(after_pk, size)
    candidates = window.users(users_to_warn(spec, now)).values("email", "due_at", user=F("pk"))[
        :size
    ]
    sql, params = candidates.query.sql_with_params()
    upper, upper_params = window.upper()
    table = connection.ops.quote_name(CleanupNotice._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH written AS (
                INSERT INTO {table} (user_id, email, report_id, due_at, created_at, attempts,
                    last_error)
                SELECT c.user, c.email, %s, c.due_at, %s, 0, '' FROM ({sql}) AS c
                RETURNING user_id
            )
            SELECT count(*), max(user_id), {upper} FROM written
            """,
            [report_id, now, *params, *upper_params],
        )
        count, last_pk, upper_pk = cursor.fetchone()
    return Batch(count, window.next_after(count, last_pk, upper_pk))


def _remove_batch(
    users: QuerySet[Any], action: str, report_id: int, after_pk: int, size: int
) -> Batch:
    window = Window(after_pk, size)
    # Locked, and re-checked by PostgreSQL against the latest row version: a user who signs
    # in while the batch waits for their row is no longer selected.
    picked = (
        window.users(users)
        .select_for_update(of=("self",))
        .values("reason", "noticed_at", user=F("pk"))[:size]
    )
    removed = users_remove_audited(report_id, picked, action, also=window.upper())
    return Batch(removed.users, window.next_after(removed.users, removed.last_pk, removed.also))


def remove_batch(
    report_id: int, spec: PolicySpec, now: datetime, after_pk: int, size: int
) -> Batch:
    """Deactivate or delete (as the policy says) the next window's removable users
    (`selectors.removable_users`), with their dependants and audit rows."""
    return _remove_batch(removable_users(spec, now), spec.action, report_id, after_pk, size)


def expire_batch(
    report_id: int, spec: PolicySpec, now: datetime, after_pk: int, size: int
) -> Batch:
    """Delete the next window's accounts past the restore window
    (`selectors.expired_deactivations`), audited with reason `deactivation_expired`."""
    return _remove_batch(expired_deactivations(spec, now), "delete", report_id, after_pk, size)
