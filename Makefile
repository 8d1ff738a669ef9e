# make run   — the whole stack without Docker (web + worker + beat) on local PostgreSQL/Redis
# make test  — every check CI runs
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed
# Local runs are development runs unless the shell or .env says otherwise (the shell wins);
# webhooks may go to local receivers (http://, loopback) unless the shell says otherwise.
DOTENV ?= .env
RUN_ENV := DEBUG=$${DEBUG:-$$(sed -n "s/^DEBUG=[\"']\{0,1\}\([^\"']*\).*/\1/p" $(DOTENV) 2>/dev/null | tail -n1 | grep . || echo 1)} \
	ENV_FILE=$${ENV_FILE-$(abspath $(DOTENV))} PATH=$(CURDIR)/.venv/bin:$$PATH \
	WEBHOOK_ALLOW_PRIVATE=$${WEBHOOK_ALLOW_PRIVATE:-$$(sed -n "s/^WEBHOOK_ALLOW_PRIVATE=[\"']\{0,1\}\([^\"']*\).*/\1/p" $(DOTENV) 2>/dev/null | tail -n1 | grep . || echo 1)}
PROCFILE ?= Procfile

.PHONY: run serve test install spa spa-check migrate seed check-services lint typecheck pytest compose-check schema schema-check e2e screenshots bench bench-quick bench-scale faults drill clean

$(VENV_STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || python3.11 -m venv .venv || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

install: $(VENV_STAMP)

SPA_STAMP := spa/node_modules/.installed
$(SPA_STAMP): spa/package.json spa/package-lock.json
	cd spa && npm ci --no-audit --no-fund
	touch $@

spa: $(SPA_STAMP)
	cd spa && npm run build

# A fresh checkout gets a development .env (DEBUG=1 and a key of its own), so the docs'
# `.venv/bin/python manage.py ...` commands work in any new shell. Never overwritten.
# Emails (users' notices, admins' run emails) are printed in the worker's output.
.env:
	@printf '# Local development (written by make). Production: see docs/operations.md#production.\nDEBUG=1\nSECRET_KEY=%s\nEMAIL_URL=consolemail://\n' \
		"$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')" >$@
	@echo "wrote .env: DEBUG=1, a generated SECRET_KEY, and EMAIL_URL=consolemail://"

check-services: install .env
	$(RUN_ENV) $(PY) infra/check_services.py

migrate: check-services
	$(RUN_ENV) $(PY) manage.py migrate --noinput

seed: migrate
	$(RUN_ENV) $(PY) manage.py seed_demo

run: install spa seed
	@$(MAKE) --no-print-directory serve

# The processes alone. honcho gets no env file: it would lay .env over the shell's variables;
# each process reads .env itself for what the shell leaves unset (core/envfile.py).
serve:
	$(RUN_ENV) .venv/bin/honcho start -e /dev/null -f $(PROCFILE)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports

typecheck: install
	.venv/bin/mypy .

pytest: install check-services
	.venv/bin/pytest -q

compose-check:
	docker-compose -f docker-compose.yml config --quiet
	@echo "docker-compose.yml is valid"

test: lint typecheck compose-check schema-check pytest spa-check e2e

spa-check: $(SPA_STAMP)
	cd spa && npm run typecheck && npm run lint && npm run test

# The OpenAPI document of every endpoint, and the dashboard's types and field limits
# generated from it.
schema: install $(SPA_STAMP)
	DEBUG=1 SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))') \
		$(PY) manage.py spectacular --urlconf config.urls_openapi --format openapi-json --file spa/openapi.json
	cd spa && npm run --silent gen:api

# Front end and back end cannot drift: the committed document, its types and its field
# limits (src/lib/api/limits.ts) must be current.
schema-check: schema
	git diff --exit-code -- spa/openapi.json spa/src/lib/api/schema.d.ts spa/src/lib/api/limits.ts || \
		{ echo "spa/openapi.json, its types or its limits are stale: run 'make schema' and commit"; exit 1; }

# The dashboard's flows in Chromium against the real stack (own database, port 8765), on a
# multi-label BASE_DOMAIN and a custom tenant domain (see infra/e2e.sh).
e2e: install spa
	infra/e2e.sh

# The same run on localhost (the address the docs use), saving the docs' screenshots
# into docs/screenshots.
screenshots: install spa
	E2E_BASE_DOMAIN=localhost E2E_SCREENSHOTS=$(CURDIR)/docs/screenshots infra/e2e.sh

# Benchmarks (docs/benchmarks.md): their own database (cleanup_bench) and Redis db 14, never
# the dev ones. Figures: bench/results/latest.json, latest.md, HISTORY.md.
bench: install check-services
	$(PY) -m bench.run

bench-quick: install check-services
	$(PY) -m bench.run --quick

# Many tenants (docs/scaling.md): grows a database of its own (cleanup_scale, dropped and
# re-made) to TENANTS tenant schemas (default 2,000, measured at 10, 100, 250, 500, 1,000
# and 2,000: 6 minutes on 2 quiet cores, 20 on busy ones; TENANTS=10000: 22 minutes on quiet
# cores, an hour on busy ones, and 15 GB). Not part of CI. Figures: bench/results/latest.json and scale.md (scale-N.md).
TENANTS ?= 2000
bench-scale: install check-services
	$(PY) -m bench.scale --tenants $(TENANTS)

# Fault drills against real gunicorn, Celery and Redis processes (their own database):
# docs/operations.md#fault-drills.
faults: install check-services
	.venv/bin/pytest -q faults

# The fleet drill (docs/operations.md#the-fleet-drill): TENANTS tenants (default 2,000) due in
# the same minute, a real beat and two workers of two processes; clean, one worker SIGKILLed
# mid-way, Redis restarted mid-way. Its own database (DRILL_DATABASE, default cleanup_drill,
# dropped and re-made) and redis-server. 9 minutes at 2,000 on 2 quiet cores, 20 on busy
# ones. Not part of CI (a 24-tenant version of it is, in faults/test_fleet_drill.py).
drill: install check-services
	$(PY) -m faults.drill --tenants $(TENANTS)

clean:
	rm -rf .venv staticfiles spa/dist spa/node_modules
