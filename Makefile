# pmflow — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export DATABASE_URL_TEST ?= postgres://postgres@127.0.0.1:5432/postgres
export REDIS_URL_TEST ?= redis://127.0.0.1:6379/15

.PHONY: run test install lint format migrations-check migrations-reset diagrams bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## make run: embedded defaults (SQLite + filesystem broker): migrate, load data, start web + worker + beat.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_reference_data
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo ""
	@echo "pmflow: http://127.0.0.1:8000/  (admin: http://127.0.0.1:8000/admin/)"
	@$(PY) manage.py seed_demo --print-logins
	@echo ""
	$(VENV)/bin/honcho -f Procfile.dev start

## make test: the whole suite against PostgreSQL and Redis (DATABASE_URL / REDIS_URL, default 127.0.0.1).
test: install
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} REDIS_URL=$${REDIS_URL:-$(REDIS_URL_TEST)} \
		$(PY) -m pytest --create-db $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: install
	DATABASE_URL=sqlite:////tmp/pmflow-migcheck.sqlite3 $(PY) manage.py makemigrations --check --dry-run

diagrams: install
	$(PY) manage.py render_state_diagrams

clean:
	rm -rf $(VENV) .celery db.sqlite3 staticfiles .pytest_cache
