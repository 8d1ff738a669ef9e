#!/bin/sh
# Container entrypoint: make sure there is a secret key, wait for PostgreSQL and Redis, then
# (web only) migrate and collect static files, seed the demo (development only), then run the
# given command.
set -e

# No SECRET_KEY given: the first container to start generates one into SECRET_KEY_FILE (a
# volume every app container mounts) and all of them read it from there. `ln` creates the
# file only if it is still absent, so containers starting at once all keep the same key.
if [ -z "${SECRET_KEY:-}" ] && [ -n "${SECRET_KEY_FILE:-}" ] && [ ! -e "$SECRET_KEY_FILE" ]; then
  # mktemp: a file of our own (mode 600), whatever the other containers are doing.
  new_key=$(mktemp "$SECRET_KEY_FILE.XXXXXX")
  python -c 'import secrets; print(secrets.token_urlsafe(50))' >"$new_key"
  if ln "$new_key" "$SECRET_KEY_FILE" 2>/dev/null; then
    echo "generated a SECRET_KEY into $SECRET_KEY_FILE (set SECRET_KEY in .env to use your own)"
  fi
  rm -f "$new_key"
fi

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
