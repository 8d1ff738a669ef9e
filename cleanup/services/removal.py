"""Removing users set-based: each batch is one statement that removes the users, deletes or
clears what depends on them, and writes their audit rows.

The statement runs inside the caller's batch transaction, and it is one statement, so a
removed user always has an audit row and an audited user is always gone
(docs/architecture.md#cleanup-semantics).
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import CASCADE, DO_NOTHING, SET_NULL, Model, QuerySet

from accounts.models import ApiToken
from cleanup.models import CleanupAuditEntry
from webhooks.services.events import UsersEvent, users_events_sql

AUDIT_ACTIONS = {"deactivate": "deactivated", "delete": "deleted"}


def _quote(name: object) -> str:
    return connection.ops.quote_name(str(name))


def removal_statement(
    report_id: int,
    picked: QuerySet[Any],
    action: str,
    first: str = "",
    also: str = "NULL",
    event: UsersEvent | None = None,
) -> tuple[str, list[Any]]:
    """The statement that deactivates or deletes the users `picked` selects, and audits
    each; and its parameters. It returns how many users it removed, the greatest of their
    primary keys, `also`, a scalar SQL expression without parameters, and — with `event` —
    the ids of the deliveries of the users event it wrote of them (`users_events_sql`, for
    `deliveries_written`), else NULL. `first` is a CTE put before all others (its parameters
    go before the ones returned).

    `picked` yields `user` (the primary key), `reason` and `noticed_at` (and usually locks
    its rows: see the stages). It becomes the CTE `picked`; the removal reads it
    and RETURNs each user's row as it was removed, which the audit INSERT reads in turn, so
    the audit holds exactly the users removed and the values they had — with, for a
    deactivation, the `token_version` it left (the restore window's stage needs it).

    One statement rather than one per table: a batch used to send the same 1,000 ids in six
    statements, with a `SET search_path` before each; now the ids never leave the server.
    Data-modifying CTEs all see the statement's snapshot, so a dependant's CTE still finds
    the users another CTE deletes, and the foreign keys (deferred, as Django creates them)
    are checked at commit, when every row is gone.
    """
    users = get_user_model()._meta
    user_table, pk = _quote(users.db_table), _quote(users.pk.column)  # type: ignore[union-attr]
    picked_sql, picked_params = picked.query.sql_with_params()
    # The batch's keys as an array (an InitPlan, computed once): `= ANY(ARRAY(...))` walks
    # the primary key or foreign key index. A join with the CTE instead, estimated at 1,000
    # rows, makes PostgreSQL hash the whole table on every batch.
    keys = "SELECT p.user FROM picked p"
    batch = f"u.{pk} = ANY(ARRAY({keys}))"
    returned = (
        f"u.{pk} AS id, u.username, u.email, u.last_login, u.last_seen, u.last_seen_source, "
        "u.date_joined"
    )
    if action == "deactivate":
        # A deactivation also revokes the user's tokens for good (accounts.tokens): a later
        # reactivation gives the account back, not its old sessions — nor its API tokens,
        # revoked in this same statement (docs/architecture.md#api-tokens).
        api_tokens = _quote(ApiToken._meta.db_table)
        writes = [
            f"removed AS (UPDATE {user_table} u SET is_active = false, "
            f"token_version = u.token_version + 1 WHERE {batch} "
            f"RETURNING {returned}, u.token_version)",
            f"tokens_revoked AS (UPDATE {api_tokens} t SET revoked_at = now(), "
            f"revoked_reason = '{ApiToken.Reason.OWNER_DEACTIVATED.value}' "
            f"WHERE t.user_id = ANY(ARRAY({keys})) AND t.revoked_at IS NULL)",
        ]
        token_version = "r.token_version"
    else:
        steps = dependants_steps(get_user_model(), keys)
        _check_distinct_tables(steps, users.db_table)
        writes = [f"w{index} AS ({sql})" for index, (_table, sql) in enumerate(steps)]
        writes.append(f"removed AS (DELETE FROM {user_table} u WHERE {batch} RETURNING {returned})")
        token_version = "NULL::integer"
    audit_table = _quote(CleanupAuditEntry._meta.db_table)
    events = users_events_sql(
        "SELECT user_id AS id, username, email, reason FROM audited", event, report_id
    )
    statement = f"""
        WITH {first + "," if first else ""}
        picked AS ({picked_sql}),
        {", ".join(writes)},
        audited AS (
            INSERT INTO {audit_table} (report_id, user_id, username, email, last_login,
                last_seen, last_seen_source, date_joined, reason, action, noticed_at,
                token_version)
            SELECT %s, r.id, r.username, r.email, r.last_login, r.last_seen,
                r.last_seen_source, r.date_joined,
                -- Typed: a column of nulls (no notice applies) would otherwise be text.
                p.reason, %s, p.noticed_at::timestamptz, {token_version}
            FROM removed r JOIN picked p ON p.user = r.id
            RETURNING user_id, username, email, reason
        ){events.ctes}
        SELECT count(*), max(user_id), {also}, {events.deliveries} FROM audited
    """
    return statement, [*picked_params, report_id, AUDIT_ACTIONS[action], *events.params]


def _check_distinct_tables(steps: list[tuple[str, str]], root_table: str) -> None:
    """In one statement a table may be written by one CTE only: PostgreSQL applies only one
    of two changes to the same row, and which one is unpredictable."""
    tables = [table for table, _sql in steps] + [root_table]
    if len(set(tables)) != len(tables):
        raise NotImplementedError(f"set-based delete writes a table twice: {sorted(tables)}")


def dependants_steps(
    model: type[Model], keys: str, _path: tuple[type[Model], ...] = ()
) -> list[tuple[str, str]]:
    """The statements that delete or clear what depends on `model`'s rows whose primary key
    is in `keys` (a SQL SELECT of primary keys), as each foreign key's on_delete says:
    CASCADE deletes (and recurses), SET_NULL clears, DO_NOTHING leaves. One (table, SQL) per
    table, deepest first, so run one by one they never lose the rows a later one selects by.

    It is what Django's collector does, minus loading rows: django-tenants connects a
    post_delete receiver for every model, which stops the collector from fast-deleting, so
    `queryset.delete()` would fetch every group link and admin-log row into Python and
    delete them a hundred at a time. No signal handler here needs the objects. Any other
    on_delete rule (PROTECT, RESTRICT, SET_DEFAULT, SET(...)), a generic relation or a
    cycle raises NotImplementedError, so a new relation to users fails loudly instead of
    being handled wrongly.
    """
    opts = model._meta
    if model in _path or opts.parents:
        raise NotImplementedError(f"set-based delete of {opts.label}: cycle or inheritance")
    if any(hasattr(field, "bulk_related_objects") for field in opts.private_fields):
        raise NotImplementedError(f"set-based delete of {opts.label}: generic relation")
    pk = _quote(opts.pk.column)  # type: ignore[union-attr]
    steps: list[tuple[str, str]] = []
    for relation in opts.get_fields(include_hidden=True):
        if not (
            relation.auto_created
            and not relation.concrete
            and (relation.one_to_many or relation.one_to_one)
        ):
            continue
        field: Any = relation.field  # type: ignore[union-attr]
        child: type[Model] = field.model
        child_table = _quote(child._meta.db_table)
        if field.target_field == opts.pk:
            # The children point at the very keys given: no need to join the parent.
            parent_keys = keys
        else:
            parent_keys = (
                f"SELECT {_quote(field.target_field.column)} FROM {_quote(opts.db_table)} "
                f"WHERE {pk} = ANY(ARRAY({keys}))"
            )
        # An array, not IN (subquery): see removal_statement.
        where = f"{_quote(field.column)} = ANY(ARRAY({parent_keys}))"
        rule = field.remote_field.on_delete
        if rule is CASCADE:
            child_pk = _quote(child._meta.pk.column)  # type: ignore[union-attr]
            child_keys = f"SELECT {child_pk} FROM {child_table} WHERE {where}"
            steps += dependants_steps(child, child_keys, (*_path, model))
            steps.append((child._meta.db_table, f"DELETE FROM {child_table} WHERE {where}"))
        elif rule is SET_NULL:
            steps.append(
                (
                    child._meta.db_table,
                    f"UPDATE {child_table} SET {_quote(field.column)} = NULL WHERE {where}",
                )
            )
        elif rule is not DO_NOTHING:
            raise NotImplementedError(
                f"set-based delete of {opts.label}: {relation} on_delete={rule.__name__}"
            )
    return steps


# The `where` of delete_cascading for "the rows with these primary keys" (one array).
BY_PKS = "{pk} = ANY(%s)"


def delete_cascading(model: type[Model], where: str, params: list[Any]) -> int:
    """Delete `model`'s rows matching `where` ("{pk}" stands for its primary key column) and,
    first, what depends on them (`dependants_steps`), one statement per table; return how
    many of `model`'s rows were deleted. Runs in the caller's transaction."""
    opts = model._meta
    table, pk = _quote(opts.db_table), _quote(opts.pk.column)  # type: ignore[union-attr]
    where = where.replace("{pk}", pk)
    keys = f"SELECT {pk} FROM {table} WHERE {where}"
    with connection.cursor() as cursor:
        for _table, sql in dependants_steps(model, keys):
            cursor.execute(sql, params)
        cursor.execute(f"DELETE FROM {table} WHERE {where}", params)
        return cursor.rowcount
