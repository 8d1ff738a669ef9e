#!/bin/sh
# Container entrypoint: wait for PostgreSQL and Redis, then (web only) migrate and collect
# static files, then run the given command.
set -e

python infra/check_services.py >/dev/null 2>&1 || {
  echo "waiting for PostgreSQL and Redis..."
  i=0
  until python infra/check_services.py; do
    i=$((i + 1))
    [ "$i" -ge 60 ] && { echo "gave up after 60 tries"; exit 1; }
    sleep 2
  done
}

if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then
  python manage.py migrate --noinput
  python manage.py collectstatic --noinput
  if [ "${SEED_DEMO:-0}" = "1" ]; then
    python manage.py seed_demo
  fi
fi

exec "$@"
