# Zhike developer commands. `make demo` and `make test` work on a fresh machine
# with Python 3.11+; they create .venv and install the pinned dependencies.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Two workers fit the two-core machines CI runs on; each worker builds its own databases.
PYTEST_WORKERS ?= 2

.PHONY: demo test lint format-check typecheck pytest drift migration bench postgres install clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
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

pytest: $(STAMP) postgres
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS)

test: lint typecheck drift pytest

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
