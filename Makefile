# Two commands matter (README): `make dev` runs the platform locally, `make test` tests it.
# Both set up what they need on a fresh machine: a virtualenv with the pinned
# dependencies, the npm dev tools of package-lock.json (terser, the widget's minifier; ESLint)
# and, for the browser tests, Debian's Chromium.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NODE_STAMP := node_modules/.installed
PORT ?= 8000
STAGE ?= dev
BUILD ?= build
OUT = $(abspath $(BUILD))

.PHONY: dev test lint bench package deploy install browser clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 packages with pip below 26.3
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The stamp lives in node_modules, so removing node_modules reinstalls; npm ci installs
# exactly package-lock.json (terser for infra/widget_build.py), again when it changes.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "Installing Debian's nodejs and npm (the widget's minifier runs on node)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(BIN)/.installed $(NODE_STAMP)

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@chromium --version

## Run the whole platform locally on moto (no AWS account): make dev [PORT=8000]
dev: install
	$(BIN)/python -m infra.local --port $(PORT)

## Lint (ruff, ESLint), then every test: unit, functional, packaging + cfn-lint, browser (Chromium)
# Unit and functional tests are in-process (moto per test): one worker per core, four at
# most. The browser tests share one local stack and one Chromium: one process, after.
test: install browser lint
	$(BIN)/python -m pytest -n auto --maxprocesses=4 tests/unit tests/functional
	$(BIN)/python -m pytest tests/e2e

# A tracked .venv or node_modules (a worktree's symlinks committed by mistake) leaves a
# fresh clone unable to build its virtualenv (session 20's red CI): refuse it here.
lint: install
	@! git ls-files 2>/dev/null | grep -xE '(.*/)?(\.venv|node_modules)(/.*)?' \
	  || { echo "lint: the tracked paths above must go (git rm --cached)"; exit 1; }
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	node_modules/.bin/eslint --max-warnings=0 .

## Print the budget figures (widget size, requests per message, import time)
bench: install
	$(BIN)/python bench/run.py

## CloudFormation for both apps into build/ (offline: no AWS account, no credentials).
## Chalice asks botocore for a region even to package; a fresh machine has none, so
## us-east-1 unless AWS_DEFAULT_REGION names another (the template does not depend on it).
package: export AWS_DEFAULT_REGION ?= us-east-1
package: install
	$(BIN)/python -m infra.template --app traffic --out $(OUT)/traffic-merge.json
	$(BIN)/chalice package --stage $(STAGE) --merge-template $(OUT)/traffic-merge.json $(OUT)/traffic
	$(BIN)/python -m infra.template --app scheduled --out $(OUT)/scheduled-merge.json
	cd scheduled && ../$(BIN)/chalice package --stage $(STAGE) \
	  --merge-template $(OUT)/scheduled-merge.json $(OUT)/scheduled

## Deploy both apps to the AWS account of your current credentials (infra/README.md)
deploy: install
	STAGE=$(STAGE) PATH="$(abspath $(BIN)):$$PATH" bash infra/deploy.sh

clean:
	rm -rf build .pytest_cache .ruff_cache
