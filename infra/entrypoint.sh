#!/bin/sh
# Container entrypoint: wait for PostgreSQL and Redis, then (web only) migrate and collect
# static files, seed the demo (development only), then run the given command.
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
    # DEBUG as Django reads it (1/true/yes/on...): the demo's logins are public.
    if python manage.py shell -c 'import sys; from django.conf import settings; sys.exit(not settings.DEBUG)'; then
      python manage.py seed_demo
    else
      echo "SEED_DEMO ignored: DEBUG is off, and the demo's logins are public."
    fi
  fi
fi

exec "$@"
