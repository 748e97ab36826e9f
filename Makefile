# Two commands do all the set-up on a fresh machine with Python 3.11+ and make:
#   make demo   - install, then load the demo holding company (SQLite in ./instance)
#   make test   - install, then run the whole test suite (what CI runs)
#   make test-fast - the same without the tests marked slow (a developer's quick loop)
VENV ?= .venv
BIN = $(VENV)/bin
PYTHON ?= python3

.PHONY: demo test test-fast lint bench-import bench-close bench-pages screenshots clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/chargeback demo

# the browser tests beside the rest, two processes (scripts/run_tests.py, docs/testing.md)
test: $(BIN)/.installed
	$(BIN)/python scripts/run_tests.py

test-fast: $(BIN)/.installed
	$(BIN)/pytest -m "not slow"

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench-import: $(BIN)/.installed
	$(BIN)/python benchmarks/import.py

$(BIN)/.bench: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

bench-close: $(BIN)/.bench
	$(BIN)/python benchmarks/close.py

# Drops and migrates the database it is given: a database of its own, e.g.
#   psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bench'
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/bench
bench-pages: $(BIN)/.installed
	$(BIN)/python benchmarks/pages.py --database-url $(BENCH_DATABASE_URL)

# Pictures of the printed Summary and Why they differ of the newest demo pack (after
# `make demo`), in build/screenshots; needs LibreOffice and poppler-utils.
screenshots: $(BIN)/.installed
	$(BIN)/python scripts/pack_screenshots.py --out build/screenshots

clean:
	rm -rf $(VENV) instance .pytest_cache
