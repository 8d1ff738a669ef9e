"""Activity signals against the physical limit (docs/api.md#activity-signals, `signals_vs_sql`).

A tenant of N users; on fresh copies of it, side by side in each repetition:
- the product: N signals (one per user, by username, sources `sso`/`app`/`vpn` in turn) in
  requests of 10,000 to `POST /api/signals/`, through Django's whole stack in this process
  (tenant routing, JWT, DRF, JSON) — checking, resolving and writing each request;
- the floor: one hand-written `INSERT … ON CONFLICT DO UPDATE SET last_at = GREATEST(…)` of
  the same (user id, source, time) rows into the per-source table, which resolves nobody,
  checks nothing and leaves `last_seen` alone.
Both must leave the same per-source rows.

    python -m bench.signals --users 100000 --repeat 3
"""

import argparse
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import common

SOURCE = "bench_signals_src"
COPIES = "bench_s"
PER_REQUEST = 10_000
PASSWORD = "bench-admin-password-1"


def entries_make(n: int) -> list[tuple[str, str, str]]:
    """(username, at, source) of users 1..n, at a fixed spread of times (seeded)."""
    rng = random.Random(22)
    base = datetime.now(UTC) - timedelta(days=1)
    sources = ("sso", "app", "vpn")
    return [
        (
            f"user{i}",
            (base - timedelta(seconds=rng.randrange(86_400 * 30))).isoformat(),
            sources[i % 3],
        )
        for i in range(1, n + 1)
    ]


def product(schema: str, entries: list[tuple[str, str, str]]) -> float:
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    host = f"{schema.replace('_', '-')}.bench"
    http = Client(HTTP_HOST=host)
    token = http.post(
        "/api/auth/token/",
        {"username": "admin", "password": PASSWORD},
        content_type="application/json",
    )
    assert token.status_code == 200, token.content
    auth = {"Authorization": f"Bearer {token.json()['access']}"}
    bodies = [
        json.dumps(
            {
                "signals": [
                    {"user": user, "at": at, "source": source}
                    for user, at, source in entries[start : start + PER_REQUEST]
                ]
            }
        )
        for start in range(0, len(entries), PER_REQUEST)
    ]
    accepted: list[int] = []

    def run() -> None:
        for body in bodies:
            response = http.post(
                "/api/signals/", body, content_type="application/json", headers=auth
            )
            assert response.status_code == 200, response.content[:500]
            accepted.append(response.json()["accepted"])

    seconds = common.timed(run)
    assert sum(accepted) == len(entries), sum(accepted)
    return seconds


def sql_floor(schema: str, entries: list[tuple[str, str, str]]) -> float:
    from django.db import connection, transaction

    # The user ids the product resolves by name, looked up before the clock starts.
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT username, id FROM "{schema}".accounts_user')
        ids = dict(cursor.fetchall())
    users = [ids[user] for user, _at, _source in entries]
    sources = [source for _user, _at, source in entries]
    ats = [at for _user, at, _source in entries]

    def run() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL search_path TO "{schema}"')
            cursor.execute(
                """
                INSERT INTO accounts_useractivitysource AS s (user_id, source, last_at)
                SELECT * FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[])
                ON CONFLICT (user_id, source)
                DO UPDATE SET last_at = GREATEST(s.last_at, EXCLUDED.last_at)
                """,
                [users, sources, ats],
            )

    return common.timed(run)


def rows(schema: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT count(*) FROM "{schema}".accounts_useractivitysource '
            "WHERE source <> 'api'"  # the admin's own API use
        )
        return int(cursor.fetchone()[0])


def main(users: int, repeat: int) -> dict[str, Any]:
    common.django_setup()
    from django.db import connection

    from bench import data

    common.public_tenant_ensure()
    common.tenants_drop(COPIES)
    data.copy_drop(SOURCE)
    with common.step(f"building {SOURCE} with {users} users"):
        data.source_build(SOURCE, users)
    entries = entries_make(users)
    contenders: dict[str, Callable[[str, list[tuple[str, str, str]]], float]] = {
        "signals": product,
        "sql": sql_floor,
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for rep in range(repeat):
        order = list(contenders) if rep % 2 == 0 else list(reversed(contenders))
        for name in order:
            schema = f"{COPIES}{rep}_{name}"
            data.copy_make(SOURCE, schema, "deactivate")
            seconds = contenders[name](schema, entries)
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            assert rows(schema) == users, (name, rows(schema))
            times[name].append(seconds)
            common.log(f"rep {rep} {name}: {seconds:.2f} s")
            data.copy_drop(schema)
    data.copy_drop(SOURCE)
    med = {name: common.median(values) for name, values in times.items()}
    figures = {
        "signals_count": users,
        "signals_per_s": round(users / med["signals"]),
        "signals_vs_sql": round(med["signals"] / med["sql"], 2),
        "signals_s": round(med["signals"], 2),
        "sql_signals_s": round(med["sql"], 2),
        "signals_repeats": repeat,
    }
    common.log(f"signals: {figures}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    common.results_merge(main(args.users, args.repeat))
