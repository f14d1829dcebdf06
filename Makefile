# Zhike developer commands. `make demo` and `make test` work on a fresh machine
# with Python 3.11+; they create .venv and install the pinned dependencies.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Two workers fit the two-core machines CI runs on; each worker builds its own databases.
PYTEST_WORKERS ?= 2

.PHONY: demo test lint format-check typecheck pytest drift migration bench postgres install clean-venv \
	web-install web-build web-client web-check web-dev web-test browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The web UI (web/) builds into zhike/web/static, which the server serves at /.
WEB := web
WEB_STAMP := $(WEB)/node_modules/.installed
# Browser test files to run with `make web-test`; one file: WEB_TESTS=tests/web/test_shell.py
WEB_TESTS ?= tests/web

$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

web-install: $(WEB_STAMP)

web-build: $(WEB_STAMP)
	cd $(WEB) && npm run --silent build -- --logLevel warn

# Regenerates web/src/api/schema.d.ts after API endpoints change; commit the result.
web-client: $(STAMP) $(WEB_STAMP)
	$(BIN)/python tools/web_client.py

# Type-check, unit tests, and a failure when the committed API client is out of date.
web-check: $(STAMP) $(WEB_STAMP)
	cd $(WEB) && npm run --silent typecheck
	cd $(WEB) && npm run --silent test
	$(BIN)/python tools/web_client.py --check

# Hot-reloading UI on http://127.0.0.1:5173; /api goes to a server started with `zhike serve`.
web-dev: $(WEB_STAMP)
	cd $(WEB) && npm run dev

# Installs Debian's Chromium where missing (as root) and says whether the browser tests run.
browser:
	@tools/ensure_chromium.sh

web-test: $(STAMP) web-build browser
	$(BIN)/pytest -q -p no:cacheprovider $(WEB_TESTS)

demo: $(STAMP) web-build
	$(BIN)/zhike demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Finds or starts the local PostgreSQL and says whether the PostgreSQL leg will run.
postgres:
	@tools/ensure_postgres.sh

drift: $(STAMP) postgres
	$(BIN)/pytest -q -p no:cacheprovider tests/core/test_migrations.py

# loadgroup keeps the tests of the imported pipeline tenant on one worker (tests/conftest.py).
pytest: $(STAMP) postgres web-build browser
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadgroup

test: lint typecheck web-check drift pytest

migration: $(STAMP)
	$(BIN)/python tools/regen_initial_migration.py

bench: $(STAMP)
	@if [ -f benchmarks/run_all.py ]; then \
		$(BIN)/python benchmarks/run_all.py; \
	else \
		echo "benchmarks/run_all.py not found; no benchmarks to run"; \
	fi

clean-venv:
	rm -rf $(VENV)
