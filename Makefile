# The whole set-up of BreachDesk: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# `make test-pg` runs the suite on this PostgreSQL database, created if missing.
TEST_PG_URL ?= postgres://postgres@127.0.0.1:5432/breachdesk
# WeasyPrint needs Pango; without libharfbuzz-subset0 every PDF silently costs ~4x more.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# Browser tests drive Debian's Chromium through Playwright (no browser download).
TEST_SYSTEM_PACKAGES := chromium
# The end-to-end benchmark sends its emails to Postfix's smtp-sink (/usr/sbin/smtp-sink), never to a mail server.
BENCH_SYSTEM_PACKAGES := postfix

.PHONY: run test test-pg check lint format bench system-deps test-system-deps bench-system-deps install migrate seed clean

define ensure_packages
	@command -v dpkg-query >/dev/null || { echo "Not a Debian system: install the equivalents of $(1) yourself."; exit 0; }; \
	missing=""; \
	for package in $(1); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "Missing system packages:$$missing"; \
	    echo "Run: sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi
endef

system-deps:
	$(call ensure_packages,$(SYSTEM_PACKAGES))

test-system-deps:
	$(call ensure_packages,$(SYSTEM_PACKAGES) $(TEST_SYSTEM_PACKAGES))

# Postfix installed with debconf's "No configuration": no main.cf, so no mail server runs; should its daemon start
# anyway it is stopped, and smtp-sink listens on a free high port.
bench-system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v debconf-set-selections >/dev/null; then \
	  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
	fi
	$(call ensure_packages,$(SYSTEM_PACKAGES) $(BENCH_SYSTEM_PACKAGES))
	@if [ "$$(id -u)" = 0 ] && command -v postfix >/dev/null && postfix status >/dev/null 2>&1; then postfix stop; fi

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

install: system-deps $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo --if-empty

# Serve the app with one Celery worker (and beat) on SQLite and the embedded broker: no server needed.
# The links in reminders point at this server unless BREACHDESK_SITE_URL says otherwise.
run: export BREACHDESK_SITE_URL ?= http://$(HOST):$(PORT)
# Ctrl-C reaches the server only (the worker runs in its own session): the server stops first, then the worker gets
# one TERM, a warm shutdown that finishes its task. The trap clears itself, so it never signals its own shell.
run: seed
	@echo "BreachDesk on $$BREACHDESK_SITE_URL/ (Ctrl-C stops the server, then the worker)"
	@setsid $(VENV)/bin/celery -A breachdesk worker --beat --loglevel=INFO --concurrency=2 & worker=$$!; \
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload & server=$$!; \
	stop() { trap - EXIT INT TERM; kill -TERM $$server 2>/dev/null; wait $$server; kill -TERM $$worker 2>/dev/null; wait $$worker; }; \
	trap 'stop; exit 0' INT TERM; trap stop EXIT; \
	wait $$server

test: test-system-deps $(STAMP)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The same suite on PostgreSQL: tests about PostgreSQL, Redis or Chromium fail here instead of skipping.
# pytest-django runs in its own test_<name> database; the server's "postgres" database is where it creates it.
test-pg: test-system-deps $(STAMP)
	@url='$(TEST_PG_URL)'; name="$${url##*/}"; name="$${name%%\?*}"; server="$${url%/*}/postgres"; \
	if ! pg_isready -q -d "$$server"; then \
	  echo "PostgreSQL does not answer at $${url##*@}: start it, or set TEST_PG_URL to one that answers." >&2; \
	  exit 1; \
	fi; \
	psql "$$server" -tAc "SELECT 1 FROM pg_database WHERE datname = '$$name'" | grep -q 1 \
	  || createdb --maintenance-db="$$server" "$$name" || exit 1; \
	echo "On PostgreSQL at $${url##*@}, services required: $(VENV)/bin/pytest $(PYTEST_ARGS)"; \
	DATABASE_URL="$$url" BREACHDESK_REQUIRE_SERVICES=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy breachdesk notifications
	$(PY) manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: lint test

# bench_campaign (the whole case end to end) runs at --people 5000 by default; the 2021 case is
# `make bench BENCH_ARGS="--people 491840"`. Its database (BENCH_CAMPAIGN_DATABASE_URL) is dropped at each run.
bench: bench-system-deps install
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
