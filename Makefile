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
.PHONY: install run stop test unit instants lint typecheck score-replies bench package deploy clean .java .chromium .faketime
# When make started: `make test` prints its wall time, the install included.
STARTED := $(shell date +%s)

install: $(VENV)/.installed .wheelhouse/.fetched node_modules/.installed .java .chromium .faketime

.java:
	@command -v javac >/dev/null 2>&1 || { \
	  echo "A JDK is missing (javac binds DynamoDB Local to 127.0.0.1): installing openjdk-17-jdk-headless with apt"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless; }
	@java -version 2>&1 | head -1

# The browser tests (tests/browser) drive Debian's chromium with Playwright: Playwright's own
# browser download is not used (and not possible offline). After .java: one apt at a time under make -j.
.chromium: | .java
	@test -x /usr/bin/chromium || { \
	  echo "Chromium is missing: installing chromium with apt"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@/usr/bin/chromium --version 2>/dev/null | head -1

# libfaketime: the browser and end-to-end tests start the local stack's clock (DynamoDB Local
# included) at their own instant, and `make instants` runs the suite at awkward wall-clock times.
.faketime: | .chromium
	@test -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 || { \
	  echo "libfaketime is missing: installing faketime with apt"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime; }

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

# Two workers (pytest-xdist), each with its own DynamoDB Local; a module stays on one worker.
TEST_WORKERS ?= 2
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	@set -o pipefail; status=0; $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile || status=$$?; \
	  echo "make test: $$(( $$(date +%s) - $(STARTED) )) s of wall time, the install included"; exit $$status

lint: install
	$(VENV)/bin/ruff check .

# mypy over chalicelib/domain, chalicelib/services and chalicelib/views.py (pyproject.toml). Not yet in `make test`:
# it joins it once clean.
typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit

# The time-sensitive tests at awkward wall-clock instants (libfaketime on pytest and DynamoDB
# Local, TZ far from Paris): each test names its own instant, so none may notice. Run it before
# each submission. INSTANTS="2027-03-28 01:30:00" make instants runs one.
instants: install
	$(PY) -m devtools.instants $(if $(INSTANTS),--at "$(INSTANTS)")

# Speed, capacity, memory and cost figures, printed and written to docs/performance.md
# (never asserted in tests). About 10 minutes.
# Reply extraction per class, beside mail-parser-reply and quotequail (issue 24).
score-replies: install
	$(PY) devtools/score_replies.py

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
