#!/usr/bin/env bash
# End-to-end: the real stack (web + workers, the webhooks one too, + beat, as `make run` starts them) on a database
# of its own, seeded, driven through the dashboard by the Playwright specs in spa/e2e/.
# Needs the SPA built (spa/dist) and Chromium. Used by `make e2e`, hence `make test`.
# Arguments go to `playwright test`: `infra/e2e.sh e2e/policy.spec.ts`, `infra/e2e.sh -g undo`.
#
# The root host is a multi-label domain (console.example.test, so acme is
# acme.console.example.test) and the flows give one tenant a custom two-label domain
# (e2e-<stamp>.test): the dashboard must take its console from the server, whatever the
# host name looks like. Chromium resolves every name to 127.0.0.1 (--host-resolver-rules),
# so no /etc/hosts entries are needed. localhost itself is covered by the unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${E2E_PORT:-8765}
DB=${E2E_DATABASE:-cleanup_e2e}
export DEBUG=1
export BASE_DOMAIN=${E2E_BASE_DOMAIN:-console.example.test}
# The tenant the flows create lives on a custom domain under .test, outside BASE_DOMAIN.
export ALLOWED_HOSTS="$BASE_DOMAIN,.$BASE_DOMAIN,.test"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
REDIS_DB=${E2E_REDIS_DB:-13}
export REDIS_URL="redis://127.0.0.1:6379/$REDIS_DB"
export GUNICORN_BIND="127.0.0.1:$PORT" GUNICORN_WORKERS=2
export CLEANUP_FANOUT_JITTER_S=0
# The webhooks spec registers a receiver it starts on 127.0.0.1 (plain http, loopback), as
# `make run` allows; the `webhooks` process of the Procfile delivers to it.
export WEBHOOK_ALLOW_PRIVATE=1
export PATH="$PWD/.venv/bin:$PATH"
# Only what is set here: a developer's .env (read by Django and by honcho) must not point
# the e2e stack at their own database.
export ENV_FILE=""
# A key of this run's own: no `.env` is read, and the code holds no key.
SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY
LOG=${E2E_LOG:-/tmp/cleanup-e2e-stack.log}

drop_db() {
  python - "$DB" <<'PY'
import sys, psycopg2
conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
conn.autocommit = True
conn.cursor().execute(f'DROP DATABASE IF EXISTS "{sys.argv[1]}" WITH (FORCE)')
PY
}

drop_db
python infra/check_services.py          # creates the database
redis-cli -n "$REDIS_DB" flushdb >/dev/null
python manage.py migrate --noinput -v 0
# globex also gets a finished run to undo and a run awaiting approval (the oversight flows),
# and initech the same for the keyboard-only flow.
python manage.py seed_demo --oversight >/dev/null

honcho start -e /dev/null -f Procfile >"$LOG" 2>&1 &
STACK=$!
cleanup() {
  kill -TERM "$STACK" 2>/dev/null || true
  wait "$STACK" 2>/dev/null || true
  drop_db || true
}
trap cleanup EXIT

for _ in $(seq 1 60); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/readyz" && break
  sleep 1
done
curl -fs -o /dev/null "http://127.0.0.1:$PORT/readyz" || { echo "stack did not start:"; tail -50 "$LOG"; exit 1; }

# Screenshots go to docs/screenshots only when asked (`make screenshots`), so `make test`
# leaves the committed ones alone.
SHOTS=${E2E_SCREENSHOTS:-/tmp/cleanup-e2e-screenshots}
status=0
(cd spa && E2E_BASE_PORT="$PORT" E2E_BASE_DOMAIN="$BASE_DOMAIN" E2E_SCREENSHOTS="$SHOTS" npx playwright test "$@") || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- last lines of the stack's log ($LOG) ---"
  tail -40 "$LOG"
fi
exit "$status"
