# pmflow — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in notifications and e-mails point here (pmflow.links); `make run PORT=8101` → :8101.
SITE_URL ?= $(or $(PMFLOW_SITE_URL),http://$(HOST):$(PORT))
export DATABASE_URL_TEST ?= postgres://postgres@127.0.0.1:5432/postgres
export REDIS_URL_TEST ?= redis://127.0.0.1:6379/15

.PHONY: run test install install-dev lint format migrations-check migrations-reset diagrams bench-seed clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

## make run: embedded defaults (SQLite + filesystem broker): migrate, load data, start web + worker + beat.
## DATABASE_URL / CELERY_BROKER_URL in the environment point it at PostgreSQL / Redis instead.
## HOST / PORT choose where it listens; links in e-mails use SITE_URL (default http://HOST:PORT).
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_reference_data
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py setup_schedules
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo ""
	@echo "pmflow is starting: http://$(HOST):$(PORT)/   (Django admin: http://$(HOST):$(PORT)/admin/)"
	@$(PY) manage.py seed_demo --print-logins
	@echo "Stop with Ctrl-C."
	@echo ""
	PMFLOW_PORT=$(PORT) PMFLOW_HOST=$(HOST) PMFLOW_SITE_URL=$(SITE_URL) exec $(VENV)/bin/honcho -f Procfile.dev start

## make test: the whole suite against PostgreSQL and Redis (DATABASE_URL / REDIS_URL, default 127.0.0.1).
## pytest's exit code is passed on; "no tests collected" (5) is reported and counts as a failure.
test: install-dev
	@status=0; \
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} REDIS_URL=$${REDIS_URL:-$(REDIS_URL_TEST)} \
		$(PY) -m pytest --create-db $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests (exit 5)" >&2; fi; \
	exit $$status

lint: install-dev
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: install
	DATABASE_URL=sqlite:////tmp/pmflow-migcheck.sqlite3 $(PY) manage.py makemigrations --check --dry-run

migrations-reset: install
	bin/migrations-reset

diagrams: install
	$(PY) manage.py render_state_diagrams

## make bench-seed: time seed_demo at benchmark scale (PostgreSQL from DATABASE_URL; a fresh database).
bench-seed: install
	$(PY) bench/seed_timing.py

clean:
	rm -rf $(VENV) .celery db.sqlite3 staticfiles .pytest_cache
