# Kanalvakt. Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes for `make test` (pytest-xdist); 0 runs every test in this process.
TEST_PROCESSES ?= 2

.PHONY: run test audit lint typecheck pytest migrate seed messages makemessages worker bench bluesky clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Kanalvakt needs Python 3.11 ($(PYTHON) not found)."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt requirements-eark.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-eark.txt
	touch $(STAMP)

# Bluesky's reference network for the connector tests (tests/bluesky: @atproto/dev-env, pinned in its
# package-lock.json, Node 20). npm ci builds better-sqlite3 from Node's headers, the one install script
# package.json's allowScripts lets run; about two minutes the first time.
BLUESKY_STAMP := tests/bluesky/node_modules/.installed
$(BLUESKY_STAMP): tests/bluesky/package.json tests/bluesky/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "The Bluesky tests need Node 20 and npm."; exit 1; }
	cd tests/bluesky && npm ci --no-audit --no-fund
	touch $(BLUESKY_STAMP)

bluesky: $(BLUESKY_STAMP)

messages: $(STAMP)
	$(PY) manage.py compiletranslations

makemessages: $(STAMP)
	$(PY) manage.py makemessages --locale sv --ignore ".venv/*" --ignore "var/*" --no-obsolete

migrate: messages
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# Web, Celery worker and beat on the embedded defaults (SQLite, filesystem transport in var/).
run: seed
	@echo ""
	@echo "Kanalvakt runs at http://$(HOST):$(PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo ""
	@trap 'kill 0' EXIT INT TERM; \
	  $(VENV)/bin/celery -A config worker -B --loglevel INFO --concurrency 2 -s var/celerybeat-schedule & \
	  $(PY) manage.py runserver $(HOST):$(PORT)

worker: $(STAMP)
	$(VENV)/bin/celery -A config worker -B --loglevel INFO -s var/celerybeat-schedule

# ruff, then the layers of CONTRIBUTING.md ([tool.importlinter] in pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

pytest: messages
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -n $(TEST_PROCESSES)

test: lint typecheck audit pytest

# Security checks: bandit over Kanalvakt's own code (medium and high severity; .venv, var, tests and
# migrations excluded in pyproject.toml), then pip-audit over the pinned requirements. Without access
# to the vulnerability service pip-audit is reported as not run and passes; KANALVAKT_REQUIRE_AUDIT=1
# makes it fail instead (scripts/audit_dependencies.py; accepted vulnerabilities: .pip-audit-exceptions).
audit: $(STAMP)
	$(VENV)/bin/bandit -c pyproject.toml -ll -q -r .
	$(PY) scripts/audit_dependencies.py

# Kanalvakt at a whole sector's scale: seeds (or reuses) 10,000 accounts and 5 M items in the PostgreSQL
# that DATABASE_URL names (created when missing), measures pages, HTTP under load, the deadline sweep and
# an export, prints the table and writes bench/results.json. Never part of `make test`.
BENCH_DATABASE_URL ?= postgres://root@127.0.0.1:5432/kanalvakt_bench
bench: messages
	DATABASE_URL="$${DATABASE_URL:-$(BENCH_DATABASE_URL)}" DJANGO_SETTINGS_MODULE=bench.settings $(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
