"""Reads about users, in the current schema."""

from collections.abc import Iterable
from typing import Any

from django.db import connection

from accounts.models import User, UserActivitySource


def user_is_last_admin(user: User) -> bool:
    """The user, as stored, is the tenant's only active admin: losing the role or the account
    would leave nobody to run the tenant. Advisory, for forms; `user_role_set` decides under
    its locks."""
    if user.role != User.Role.ADMIN or not user.is_active or user.kind != User.Kind.PERSON:
        return False
    others = User.objects.filter(
        role=User.Role.ADMIN, is_active=True, kind=User.Kind.PERSON
    ).exclude(pk=user.pk)
    return not others.exists()


# What `users_resolve` gives for an email address that several users share.
AMBIGUOUS = -1


def users_resolve(identifiers: Iterable[str]) -> dict[str, int]:
    """The user each identifier names — its username, else its external id, else its email
    address (case-insensitive; AMBIGUOUS when several users have it) — by id; identifiers
    naming nobody are left out. One query however many identifiers.

    Three joins in a UNION ALL rather than one join on an OR, which PostgreSQL can only run as
    a nested loop: the username and external id joins probe their unique indexes, the email
    join hashes the identifiers and scans the users once.
    """
    wanted = list(identifiers)
    if not wanted:
        return {}
    table = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH wanted AS (SELECT DISTINCT unnest(%s::text[]) AS ident)
            SELECT w.ident, 1, u.id FROM wanted w JOIN {table} u ON u.username = w.ident
            UNION ALL
            SELECT w.ident, 2, u.id FROM wanted w JOIN {table} u ON u.external_id = w.ident
            UNION ALL
            SELECT w.ident, 3, u.id FROM wanted w
                JOIN {table} u ON lower(u.email) = lower(w.ident)
                WHERE w.ident LIKE '%%@%%'
            """,
            [wanted],
        )
        rows = cursor.fetchall()
    best: dict[str, tuple[int, int]] = {}
    for ident, rank, user_id in rows:
        known = best.get(ident)
        if known is None or rank < known[0]:
            best[ident] = (rank, user_id)
        elif rank == known[0] == 3 and user_id != known[1]:
            best[ident] = (3, AMBIGUOUS)
    return {ident: user_id for ident, (_rank, user_id) in best.items()}


def activity_by_user(user_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Each user's latest time per source (`UserActivitySource`), newest first, for the users
    given (a page of a list): one query on the (user, source) index."""
    found: dict[int, list[dict[str, Any]]] = {}
    rows = (
        UserActivitySource.objects.filter(user_id__in=list(user_ids))
        .order_by("user_id", "-last_at", "source")
        .values_list("user_id", "source", "last_at")
    )
    for user_id, source, last_at in rows:
        found.setdefault(user_id, []).append({"source": source, "at": last_at})
    return found
