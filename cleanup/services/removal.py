"""Removing users set-based: their audit rows, then the users and what depends on them.

Both run inside the caller's batch transaction, so a removed user always has an audit row
and an audited user is always gone (DESIGN §4).
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import CASCADE, DO_NOTHING, SET_NULL, Model

from cleanup.models import CleanupAuditEntry


@dataclass
class Batch:
    ids: list[int]
    reasons: list[str]
    # Where the next batch starts (exclusive), or None when no user is left to look at.
    next_after: int | None


AUDIT_ACTIONS = {"deactivate": "deactivated", "delete": "deleted"}


def audit_insert(report_id: int, batch: Batch, action: str) -> None:
    """Copy the batch's users into the audit list, set-based, before they are removed."""
    user_table = get_user_model()._meta.db_table
    audit_table = CleanupAuditEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {audit_table}
                (report_id, user_id, username, email, last_login, last_seen, date_joined, reason,
                 action)
            SELECT %s, u.id, u.username, u.email, u.last_login, u.last_seen, u.date_joined,
                b.reason, %s
            FROM {user_table} u
            JOIN unnest(%s::bigint[], %s::text[]) AS b(id, reason) ON b.id = u.id
            """,
            [report_id, AUDIT_ACTIONS[action], batch.ids, batch.reasons],
        )


def users_remove(action: str, ids: list[int]) -> int:
    user_model = get_user_model()
    if action == "delete":
        return delete_cascading(user_model, BY_PKS, [ids])
    opts = user_model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            # A deactivation also revokes the user's tokens for good (accounts.tokens): a
            # later reactivation gives the account back, not its old sessions.
            f"UPDATE {opts.db_table} SET is_active = false, token_version = token_version + 1 "
            f"WHERE {opts.pk.column} = ANY(%s)",  # type: ignore[union-attr]
            [ids],
        )
        return cursor.rowcount


# The `where` of delete_cascading for "the rows with these primary keys" (one array).
BY_PKS = "{pk} = ANY(%s)"


def delete_cascading(
    model: type[Model], where: str, params: list[Any], _path: tuple[type[Model], ...] = ()
) -> int:
    """Delete `model`'s rows matching `where` ("{pk}" stands for its primary key column) and,
    first, what depends on them as each foreign key's on_delete says: CASCADE deletes (and
    recurses), SET_NULL clears, DO_NOTHING leaves. One set-based statement per table.

    It is what Django's collector does, minus loading rows: django-tenants connects a
    post_delete receiver for every model, which stops the collector from fast-deleting, so
    `queryset.delete()` would fetch every group link and admin-log row into Python and
    delete them a hundred at a time. No signal handler here needs the objects. Any other
    on_delete rule (PROTECT, RESTRICT, SET_DEFAULT, SET(...)), a generic relation or a
    cycle raises NotImplementedError, so a new relation to users fails loudly instead of
    being handled wrongly.
    """
    opts = model._meta

    def quote(name: object) -> str:
        return connection.ops.quote_name(str(name))

    if model in _path or opts.parents:
        raise NotImplementedError(f"set-based delete of {opts.label}: cycle or inheritance")
    if any(hasattr(field, "bulk_related_objects") for field in opts.private_fields):
        raise NotImplementedError(f"set-based delete of {opts.label}: generic relation")
    by_pks = where == BY_PKS
    where = where.replace("{pk}", quote(opts.pk.column))  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        for relation in opts.get_fields(include_hidden=True):
            if not (
                relation.auto_created
                and not relation.concrete
                and (relation.one_to_many or relation.one_to_one)
            ):
                continue
            field: Any = relation.field  # type: ignore[union-attr]
            child: type[Model] = field.model
            if by_pks and field.target_field == opts.pk:
                # The children point at the very keys given: no need to join the parent.
                child_where = f"{quote(field.column)} = ANY(%s)"
            else:
                keys = f"SELECT {quote(field.target_field.column)} FROM {quote(opts.db_table)}"
                child_where = f"{quote(field.column)} IN ({keys} WHERE {where})"
            rule = field.remote_field.on_delete
            if rule is CASCADE:
                delete_cascading(child, child_where, params, (*_path, model))
            elif rule is SET_NULL:
                cursor.execute(
                    f"UPDATE {quote(child._meta.db_table)} SET {quote(field.column)} = NULL "
                    f"WHERE {child_where}",
                    params,
                )
            elif rule is not DO_NOTHING:
                raise NotImplementedError(
                    f"set-based delete of {opts.label}: {relation} on_delete={rule.__name__}"
                )
        cursor.execute(f"DELETE FROM {quote(opts.db_table)} WHERE {where}", params)
        return cursor.rowcount
