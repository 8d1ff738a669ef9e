"""The stages of a run (docs/architecture.md#notices-and-the-keep-link), one batch at a time: warn,
remove, and delete after the
restore window. Each stage's definition (`Stage`: its counter, whether it removes, its batch
size) sits with the statement its batches run; `stages_for` says which a policy runs.

Each stage walks the users in keyset batches over the primary key. A batch runs inside the
caller's transaction and selects its users afresh — the policy re-checked against the rows
as they are now — then writes set-based, all in one statement: notices for the warn stage;
the removal, its dependants and the audit rows for the other two
(`removal.removal_statement`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL

from cleanup.models import CleanupNotice
from cleanup.selectors import expired_deactivations, removable_users, users_to_warn
from cleanup.services.removal import removal_statement
from policy.rules import PolicySpec
from webhooks import catalogue
from webhooks.services.events import UsersEvent, users_events_sql

BATCH_WINDOW = 4
BIGINT_MAX = 2**63 - 1


@dataclass(frozen=True)
class Batch:
    """What one batch did: how many users it warned or removed, and where the next batch
    starts (exclusive) — None when no user is left to look at. `deliveries`: those of the
    users event it wrote of them, when it was given one."""

    count: int
    next_after: int | None
    deliveries: list[int] = field(default_factory=list)


class Stage(NamedTuple):
    """One stage of a run: what prepares its batches (given the report's id, the policy and
    the run's `now`; each batch given `after_pk`, its size and the users event to write),
    the report counter it adds to, the webhook event its users make, and how many times
    CLEANUP_BATCH_SIZE users its batches take."""

    name: str
    batches: Callable[[int, PolicySpec, datetime], Callable[..., Batch]]
    counter: str
    removes: bool
    event: str
    scale: int = 1


def _window_bounds() -> str:
    """The first CTE of every batch statement, `bounds`: the window a batch looks among, the
    `size * BATCH_WINDOW` users after `after_pk` — its parameters are `after_pk` (twice) and
    that count less one; `upper`, the window's greatest primary key, is null when the window
    reaches the end of the table.

    The window's upper bound keeps each batch's query as cheap at the end of the table as at
    its start: with only `pk > after_pk`, PostgreSQL merges the exempt-group anti-join from
    the first row of the group-membership index on every batch, so a run's cost grew with
    the square of the tenant's size. A window may hold no user of the stage at all.

    The bounds are a CTE of the batch's own statement (computed once, before the users are
    picked), not a query of their own: one round trip less per batch. The statement also
    returns `upper`, so the next batch knows where to start. And they are the only
    parameters that change from batch to batch, so a stage builds and compiles its
    statement once (`Batches`)."""
    users = get_user_model()._meta
    table, pk = connection.ops.quote_name(users.db_table), users.pk.column  # type: ignore[union-attr]
    return (
        "bounds AS (SELECT %s::bigint AS after_pk, "
        f'(SELECT "{pk}" FROM {table} WHERE "{pk}" > %s ORDER BY "{pk}" OFFSET %s LIMIT 1) '
        "AS upper)"
    )


UPPER = "(SELECT upper FROM bounds)"


def windowed(users: QuerySet[Any]) -> QuerySet[Any]:
    """`users` within the batch's window (the statement's `bounds`), by primary key."""
    return users.filter(
        # Our own SQL, without parameters.
        pk__gt=RawSQL("(SELECT after_pk FROM bounds)", []),
        pk__lte=RawSQL(f"COALESCE({UPPER}, {BIGINT_MAX})", []),  # noqa: S611
    ).order_by("pk")


class Batches:
    """A stage's batches: one statement, built and compiled once per stage and run for each
    batch with that batch's window. Building a batch's querysets and compiling them took
    longer than PostgreSQL took to deactivate its thousand users.

    `build(size, event)` returns the statement — starting with the `bounds` CTE, returning
    the number of users written, the greatest of their primary keys, `upper`, and (with
    `event`) the ids of the deliveries of the users event it wrote of them, else NULL — and
    its parameters after the bounds'. The size is in the statement (its LIMIT), so a batch
    of another size (the last one, cut to an approved run's removal limit) builds another;
    so does another event (its endpoints changed mid-run).

    The users event is written only when a webhook wants it (docs/webhooks.md#events):
    without one, the statement is the same as it always was and costs nothing more."""

    def __init__(self, build: Callable[[int, UsersEvent | None], tuple[str, list[Any]]]) -> None:
        self._build = build
        self._statements: dict[tuple[int, UsersEvent | None], tuple[str, list[Any]]] = {}

    def __call__(self, after_pk: int, size: int, event: UsersEvent | None = None) -> Batch:
        if (size, event) not in self._statements:
            self._statements[size, event] = self._build(size, event)
        sql, params = self._statements[size, event]
        with connection.cursor() as cursor:
            cursor.execute(sql, [after_pk, after_pk, size * BATCH_WINDOW - 1, *params])
            count, last_pk, upper, deliveries = cursor.fetchone()
        # A full batch: the window may hold more after its last user. Otherwise the window
        # is exhausted, and the next one starts after it (None: it reached the table's end).
        return Batch(count, last_pk if count == size else upper, deliveries or [])


def warn_batches(report_id: int, spec: PolicySpec, now: datetime) -> Batches:
    """Each batch writes a notice for each due-soon user of its window without one
    (`selectors.users_to_warn`), in one INSERT … SELECT. No row lock: a user who becomes
    active meanwhile gets a notice their activity has already voided, which is harmless."""
    due = users_to_warn(spec, now)
    table = connection.ops.quote_name(CleanupNotice._meta.db_table)
    user_table = connection.ops.quote_name(get_user_model()._meta.db_table)

    def build(size: int, event: UsersEvent | None) -> tuple[str, list[Any]]:
        candidates = windowed(due).values("email", "due_at", user=F("pk"))[:size]
        sql, params = candidates.query.sql_with_params()
        # The users event names each warned user with the reason they would be removed.
        # Joined by primary key, for the batch's few thousand rows, only when asked.
        warned = (
            "SELECT w.user_id AS id, u.username, w.email, CASE WHEN u.last_login IS NULL "
            "AND u.last_seen IS NULL THEN 'never_logged_in' ELSE 'inactive' END AS reason "
            f"FROM written w JOIN {user_table} u ON u.id = w.user_id"
        )
        events = users_events_sql(warned, event, report_id)
        statement = f"""
            WITH {_window_bounds()},
            written AS (
                INSERT INTO {table} (user_id, email, report_id, due_at, created_at, attempts,
                    last_error, status)
                SELECT c.user, c.email, %s, c.due_at, %s, 0, '', %s FROM ({sql}) AS c
                RETURNING user_id, email
            ){events.ctes}
            SELECT count(*), max(user_id), {UPPER}, {events.deliveries} FROM written
        """
        return statement, [
            report_id,
            now,
            CleanupNotice.Status.PENDING.value,
            *params,
            *events.params,
        ]

    return Batches(build)


# The warn stage locks no row and sends nothing (the outbox does): its batches only bound a
# transaction's length and the progress's steps, so they can be larger than the removal's.
# A commit per 1,000 notices (its fsync and the deferred key checks) made the stage three
# times an INSERT … SELECT of them all.
WARN_BATCH_SCALE = 5


def warn_stage() -> Stage:
    return Stage(
        "warn",
        warn_batches,
        "users_warned",
        removes=False,
        event=catalogue.USERS_WARNED,
        scale=WARN_BATCH_SCALE,
    )


def _removal_batches(users: QuerySet[Any], action: str, report_id: int) -> Batches:
    def build(size: int, event: UsersEvent | None) -> tuple[str, list[Any]]:
        # Locked, and re-checked by PostgreSQL against the latest row version: a user who
        # signs in while the batch waits for their row is no longer selected.
        picked = (
            windowed(users)
            .select_for_update(of=("self",))
            .values("reason", "noticed_at", user=F("pk"))[:size]
        )
        return removal_statement(
            report_id, picked, action, first=_window_bounds(), also=UPPER, event=event
        )

    return Batches(build)


def remove_batches(report_id: int, spec: PolicySpec, now: datetime) -> Batches:
    """Each batch deactivates or deletes (as the policy says) its window's removable users
    (`selectors.removable_users`), with their dependants and audit rows."""
    return _removal_batches(removable_users(spec, now), spec.action, report_id)


def remove_stage(spec: PolicySpec) -> Stage:
    if spec.action == "delete":
        return Stage("remove", remove_batches, "users_deleted", True, catalogue.USERS_DELETED)
    return Stage("remove", remove_batches, "users_deactivated", True, catalogue.USERS_DEACTIVATED)


def expire_batches(report_id: int, spec: PolicySpec, now: datetime) -> Batches:
    """Each batch deletes its window's accounts past the restore window
    (`selectors.expired_deactivations`), audited with reason `deactivation_expired`."""
    return _removal_batches(expired_deactivations(spec, now), "delete", report_id)


def expire_stage() -> Stage:
    return Stage("expire", expire_batches, "users_deleted", True, catalogue.USERS_DELETED)


def stages_for(spec: PolicySpec) -> list[Stage]:
    """The stages this policy runs, in order (docs/architecture.md#notices-and-the-keep-link).
    Built at each run from this
    module's batch functions, so tests can stand in for a stage's batches."""
    stages = [warn_stage()] if spec.notice_days else []
    stages.append(remove_stage(spec))
    if spec.action == "deactivate" and spec.delete_after_days is not None:
        stages.append(expire_stage())
    return stages
