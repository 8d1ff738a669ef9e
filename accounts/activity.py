"""What counts as a user's activity, and writing it (docs/architecture.md#what-counts-as-activity).

A user is last active at the later of `last_login` (a sign-in, source `login`) and
`last_seen` (anything else, its source in `last_seen_source`): API use (`api`), the keep link
(`keep_link`), a reactivation (`reactivated`) and the signals the tenant's own systems send
(`sso`, `app`, ... — `POST /api/signals/`). Each source's latest time is also kept per user
(`UserActivitySource`), for the dashboard's "last active through". The cleanup engine reads
only `last_login` and `last_seen`, so a signal keeps a user exactly as a sign-in does: it moves
`last_seen`, which voids a notice sent before it and keeps the account out of every stage.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from accounts.models import UserActivitySource

LOGIN = "login"
API = "api"
KEEP_LINK = "keep_link"
# Not the user's own activity: an admin (or the identity provider) gave the account back, and
# the inactivity clock starts again so the next run does not take it at once.
REACTIVATED = "reactivated"
# The console's own sources: a signal may not claim them.
RESERVED_SOURCES = (LOGIN, API, KEEP_LINK, REACTIVATED)


class LastActive(NamedTuple):
    """When a user was last active and through what; both None when never."""

    at: datetime | None
    source: str | None


def last_active(
    last_login: datetime | None, last_seen: datetime | None, last_seen_source: str
) -> LastActive:
    """The rule the engine applies in SQL (`GREATEST(last_login, last_seen)`), with its
    source: a sign-in wins a tie. A `last_seen` written before sources were kept has none."""
    if last_login is not None and (last_seen is None or last_login >= last_seen):
        return LastActive(last_login, LOGIN)
    if last_seen is not None:
        return LastActive(last_seen, last_seen_source or None)
    return LastActive(None, None)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def activity_write_sql() -> str:
    """The statement that records activity set-based: parameters `users`, `sources`, `ats`
    (three arrays, one entry each) and `reactivated` (the source kept on the user only). It
    returns the ids of the users that exist, each once.

    One statement for any number of entries:
    - per (user, source) the latest time of the request, upserted into the per-source table
      with `ON CONFLICT DO UPDATE ... WHERE` the stored time is older: a replay, or an older
      time, writes no row (idempotent, no dead tuples);
    - per user the latest of the request; `last_seen` and its source move only forward;
    - the users are locked first, in primary-key order (`locked`, which the final SELECT
      reads, so it runs before the writing CTEs, which run to completion after it). The
      cleanup's batches lock their users in the same order, so a request and a run wait for
      each other and never deadlock; two requests do the same. A user deleted since the
      caller resolved it is not locked, so no row is written for it (its foreign key would
      fail at commit) and it is not returned.
    """
    users_table = _quote(get_user_model()._meta.db_table)
    sources_table = _quote(UserActivitySource._meta.db_table)
    return f"""
        WITH input AS (
            SELECT t.user_id, t.source, max(t.at) AS at
            FROM unnest(%(users)s::bigint[], %(sources)s::text[], %(ats)s::timestamptz[])
                AS t(user_id, source, at)
            GROUP BY t.user_id, t.source
        ),
        locked AS (
            SELECT u.id FROM {users_table} u
            WHERE u.id = ANY(ARRAY(SELECT DISTINCT user_id FROM input))
            ORDER BY u.id
            FOR NO KEY UPDATE
        ),
        latest AS (
            SELECT DISTINCT ON (i.user_id) i.user_id, i.at, i.source
            FROM input i JOIN locked k ON k.id = i.user_id
            ORDER BY i.user_id, i.at DESC, i.source
        ),
        seen AS (
            UPDATE {users_table} u SET last_seen = l.at, last_seen_source = l.source
            FROM latest l
            WHERE u.id = l.user_id
                AND (u.last_seen IS NULL OR u.last_seen < l.at)
            RETURNING u.id
        ),
        sourced AS (
            INSERT INTO {sources_table} AS s (user_id, source, last_at)
            SELECT i.user_id, i.source, i.at FROM input i JOIN locked k ON k.id = i.user_id
            WHERE i.source <> %(reactivated)s
            ORDER BY i.user_id, i.source
            ON CONFLICT (user_id, source) DO UPDATE SET last_at = EXCLUDED.last_at
            WHERE s.last_at < EXCLUDED.last_at
            RETURNING s.user_id
        )
        SELECT id FROM locked
    """


def activity_write(
    user_ids: Sequence[int], sources: Sequence[str], ats: Sequence[datetime]
) -> list[int]:
    """Record that each user `user_ids[i]` was active through `sources[i]` at `ats[i]`, in
    one statement (see `activity_write_sql`), inside the caller's transaction if any; return
    the ids of the users that exist. Replaying the same entries changes nothing."""
    with connection.cursor() as cursor:
        cursor.execute(
            activity_write_sql(),
            {
                "users": list(user_ids),
                "sources": list(sources),
                "ats": list(ats),
                "reactivated": REACTIVATED,
            },
        )
        return [row[0] for row in cursor.fetchall()]


def activity_touch(user: Any, source: str, at: datetime | None = None) -> None:
    """Record one activity of `user` (an API call, the keep link, a reactivation) now, and
    reflect it on the loaded object."""
    at = at or timezone.now()
    activity_write([user.pk], [source], [at])
    if user.last_seen is None or user.last_seen < at:
        user.last_seen, user.last_seen_source = at, source


def last_seen_touch(user: Any) -> None:
    """API use: record it at most once per LAST_SEEN_INTERVAL_S.

    Decided on the already-loaded user, so a recent one costs no query at all; a stale one
    costs one statement.
    """
    now = timezone.now()
    if user.last_seen and now - user.last_seen < timedelta(seconds=settings.LAST_SEEN_INTERVAL_S):
        # Also when seen recently through another source (a signal, the keep link): the
        # clock is fresh, only the API's own per-source time lags, by at most the interval.
        return
    activity_touch(user, API, now)
