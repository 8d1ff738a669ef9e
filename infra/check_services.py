"""Before `make run`: are PostgreSQL and Redis reachable? Says which is not and how to start it.

Also creates the application database if the server answers but the database is missing,
so a fresh machine needs no manual `createdb`. Exit status 1 when a service is down.
"""

import os
import sys
from pathlib import Path

import environ
import psycopg2
import redis
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(ROOT / ".env")

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/cleanup_console"
HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ""',
}


def check_postgresql() -> str | None:
    db = env.db("DATABASE_URL", default=DEFAULT_DB)
    params = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"],
        "connect_timeout": 3,
    }
    try:
        conn = psycopg2.connect(dbname="postgres", **params)
    except psycopg2.OperationalError as exc:
        reason = " ".join(str(exc).split())
        return f"PostgreSQL at {params['host']}:{params['port']} is unreachable ({reason})"
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
            print(f"created database {db['NAME']}")
    conn.close()
    return None


def check_redis() -> str | None:
    url = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {url} is unreachable ({exc})"
    return None


def main() -> int:
    failures = {"PostgreSQL": check_postgresql(), "Redis": check_redis()}
    down = {name: problem for name, problem in failures.items() if problem}
    for name, problem in down.items():
        print(f"error: {problem}", file=sys.stderr)
        print(f"  start it with:  {HOW_TO_START[name]}", file=sys.stderr)
        print(
            f"  or point {'DATABASE_URL' if name == 'PostgreSQL' else 'REDIS_URL'} at yours "
            "(environment or .env)",
            file=sys.stderr,
        )
    return 1 if down else 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
