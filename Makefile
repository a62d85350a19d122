# Relais: `make run` starts the local stack with demo data; `make test` runs the whole suite.
# Both set everything up first on a fresh machine (Python 3.11+, Java 17+, Node/npm).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DYNAMODB_PORT ?= 8001
export AWS_DEFAULT_REGION ?= eu-west-3

STAGE ?= prod
.PHONY: install run stop test unit lint bench package deploy clean .java .chromium

install: $(VENV)/.installed .wheelhouse/.fetched node_modules/.installed .java .chromium

.java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Java is missing: installing openjdk-17-jre-headless with apt"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless; }
	@java -version 2>&1 | head -1

# The browser tests (tests/browser) drive Debian's chromium with Playwright: Playwright's own
# browser download is not used (and not possible offline). After .java: one apt at a time under make -j.
.chromium: | .java
	@test -x /usr/bin/chromium || { \
	  echo "Chromium is missing: installing chromium with apt"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@/usr/bin/chromium --version 2>/dev/null | head -1

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The Lambda wheels (manylinux x86_64, CPython 3.11) for `make package`, which then runs offline.
.wheelhouse/.fetched: requirements.txt | $(VENV)/.installed
	$(PY) -m devtools.package --fetch
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

run: install
	$(PY) -m devtools.stack run --port $(PORT) --ddb-port $(DYNAMODB_PORT)

stop:
	$(PY) -m devtools.stack stop

test: install
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .

unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit

# Speed, capacity, memory and cost figures, printed and written to docs/performance.md
# (never asserted in tests). About 10 minutes.
bench: install
	@rm -rf build/bench
	@set -o pipefail; for script in bench/bench_*.py; do echo "== $$script"; \
	  $(PY) $$script 2>/dev/null | grep -v '^{' || exit 1; done
	$(PY) bench/report.py

# The Lambda package (templates and static files inside chalicelib/) and its CloudFormation
# (sam.json: chalice's output merged with infra/), checked by cfn-lint, in build/package/. Offline.
package: $(VENV)/.installed .wheelhouse/.fetched node_modules/.installed
	$(PY) -m devtools.package --stage $(STAGE)

# Package, upload, deploy the stack relais-$(STAGE) and activate SES receiving (AWS credentials).
# Template parameters: make deploy STAGE=prod DEPLOY_ARGS="--parameter LateEscalationsThreshold=80"
deploy: package
	$(PY) -m devtools.deploy --stage $(STAGE) $(DEPLOY_ARGS)

clean:
	rm -rf $(VENV) node_modules .wheelhouse .stack .pytest_cache test-artifacts
