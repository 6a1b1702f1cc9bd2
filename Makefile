# Lantian — the two commands a newcomer needs: `make demo` and `make test`.
# Everything installs into .venv/ at the project root (the CLI is .venv/bin/lantian).
SHELL := /bin/bash
PY ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
# Byte-compile at install: every CLI start then loads .pyc files instead of compiling
# ~900 modules (≈1.7 s per `lantian detect` where .pyc files cannot be written at run
# time, e.g. PYTHONDONTWRITEBYTECODE=1 or a read-only install).
export UV_COMPILE_BYTECODE := 1

.PHONY: coverage demo test test-fast lint fmt typecheck bench install install-dev node system clean help

help:
	@echo "make demo   — install and run the platform with a demo city (embedded defaults)"
	@echo "make test   — install everything and run the whole test suite"
	@echo "make lint   — ruff + mypy --strict;  make bench — benchmarks under bench/"

$(UV):
	$(PY) -m venv .tools
	.tools/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

# Runtime only (the demo).
$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PY) --no-dev
	$(VENV)/bin/python -m compileall -q -j 0 src
	@touch $@

# Runtime + Spark + dev tools (tests, lint, benchmarks).
$(VENV)/.installed-dev: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PY) --all-extras --group dev
	$(VENV)/bin/python -m compileall -q -j 0 src
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

node: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

system:
	bash scripts/setup-system.sh

demo: install node
	$(VENV)/bin/lantian demo

lint: install-dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

fmt: install-dev
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

typecheck: install-dev
	$(VENV)/bin/mypy

# Two pytest-xdist workers: much of the suite waits on live servers, subprocesses and
# browsers, so a second worker uses the time the first spends waiting (`TEST_WORKERS=1` for one).
# `--dist loadfile` keeps a test file on one worker: its module-scoped app is built once, and
# tests that build on the module's earlier tests see them.
TEST_WORKERS ?= 2

# Coverage measurement (branch) makes the suite about 1.6 times slower (measured on
# tests/supervision): `make test` runs without it, `make coverage` with it.
test: install-dev node system lint
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=25 -p no:cacheprovider; \
	rc=$$?; if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

coverage: install-dev node system
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadfile --cov=lantian --cov-report=term:skip-covered -p no:cacheprovider

test-fast: install-dev
	$(VENV)/bin/python -m pytest -x -q -m "not browser and not spark and not slow"

bench: install-dev node
	$(VENV)/bin/python bench/run_all.py

clean:
	rm -rf $(VENV) .tools node_modules var .pytest_cache .mypy_cache .ruff_cache
