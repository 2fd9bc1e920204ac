# The two commands in the README are `make run` and `make test`; everything else is a step of them.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: install frontend oidc-provider lighthouse run test test-sqlite test-postgres fuzz lint bench clean

install: $(VENV)/.installed frontend oidc-provider

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

frontend: portal/static/init.js

portal/static/init.js: frontend/package.json frontend/package-lock.json frontend/build.mjs $(wildcard frontend/src/*) $(wildcard frontend/src/icons/*)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

# The real OpenID provider (npm oidc-provider) that the sign-in tests run.
oidc-provider: tests/oidc_provider/node_modules/.package-lock.json

tests/oidc_provider/node_modules/.package-lock.json: tests/oidc_provider/package.json tests/oidc_provider/package-lock.json
	cd tests/oidc_provider && npm ci --no-audit --no-fund --loglevel=error

# Lighthouse (npm lighthouse) for tests/browser/test_lighthouse.py: only the tests need it.
lighthouse: tests/lighthouse/node_modules/.package-lock.json

tests/lighthouse/node_modules/.package-lock.json: tests/lighthouse/package.json tests/lighthouse/package-lock.json
	cd tests/lighthouse && npm ci --no-audit --no-fund --loglevel=error

run: install
	$(BIN)/portal migrate
	$(BIN)/portal demo
	$(BIN)/portal serve --host 127.0.0.1 --port 8000

test: install lighthouse
	cd frontend && npm test --silent
	scripts/ensure-chromium
	scripts/ensure-postgres
	scripts/ensure-redis
	$(MAKE) --no-print-directory test-sqlite test-postgres fuzz

test-sqlite:
	PORTAL_TEST_DATABASE=sqlite $(BIN)/pytest

test-postgres:
	PORTAL_TEST_DATABASE=postgres $(BIN)/pytest

# Schemathesis over every operation of the OpenAPI document, against a real `portal serve` on a
# fresh PostgreSQL database, as four identities; a few minutes, non-zero on any failure.
fuzz: install
	scripts/ensure-postgres
	$(BIN)/python scripts/fuzz-api

lint: install
	$(BIN)/ruff check portal tests bench
	$(BIN)/ruff format --check portal tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/import-all

bench: install
	scripts/ensure-postgres
	$(BIN)/python bench/run.py
	$(BIN)/python bench/exports.py
	$(BIN)/python bench/transfer.py

clean:
	rm -rf $(VENV) frontend/node_modules tests/oidc_provider/node_modules tests/lighthouse/node_modules var
