# Kanalvakt. Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck pytest migrate seed messages makemessages worker bench clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Kanalvakt needs Python 3.11 ($(PYTHON) not found)."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

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

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

pytest: messages
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
