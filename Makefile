# make run   — the whole stack without Docker (web + worker + beat) on local PostgreSQL/Redis
# make test  — every check CI runs
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed
# Local runs are development runs unless the environment says otherwise.
RUN_ENV := DEBUG=$${DEBUG:-1} PATH=$(CURDIR)/.venv/bin:$$PATH

.PHONY: run test install spa spa-check migrate seed check-services lint typecheck pytest compose-check schema e2e bench bench-quick faults clean

$(VENV_STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || python3.11 -m venv .venv || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

install: $(VENV_STAMP)

spa:
	@if [ -f spa/package.json ]; then cd spa && npm ci --no-audit --no-fund && npm run build; fi

check-services: install
	$(RUN_ENV) $(PY) infra/check_services.py

migrate: check-services
	$(RUN_ENV) $(PY) manage.py migrate --noinput

seed: migrate
	$(RUN_ENV) $(PY) manage.py seed_demo

run: install spa seed
	$(RUN_ENV) .venv/bin/honcho start -f Procfile

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: install
	.venv/bin/mypy .

pytest: install check-services
	.venv/bin/pytest -q

compose-check:
	docker-compose -f docker-compose.yml config --quiet
	@echo "docker-compose.yml is valid"

test: lint typecheck compose-check pytest spa-check

spa-check:
	@if [ -f spa/package.json ]; then \
		cd spa && npm ci --no-audit --no-fund && npm run typecheck && npm run lint && npm run test && npm run build; \
	fi

schema: install
	DEBUG=1 $(PY) manage.py spectacular --urlconf config.urls_openapi --format openapi-json --file spa/openapi.json

clean:
	rm -rf .venv staticfiles spa/dist spa/node_modules
