# The verbs a person uses. Every target installs the venv first when it is
# missing or older than pyproject.toml, so `make test` works on a fresh clone.
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
STAGE   ?= dev
CHROMIUM := /usr/bin/chromium
PYTEST_ARGS ?=
# checkov, in its own venv: it pins boto3 and packaging (<24) to versions
# the dev venv's pytest cannot take. Made by the first `make package` or
# `make test` (whose deploy tests scan the packaged templates with it).
SCAN_VENV := .venv-scan
CHECKOV_VERSION := 3.3.30
SCAN_STAMP := $(SCAN_VENV)/.installed-$(CHECKOV_VERSION)

.PHONY: install run test test-unit lint bench package deploy destroy clean

install: $(STAMP)

$(STAMP): pyproject.toml tests/js/package-lock.json
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev]'
	# the AWS SDK for JavaScript v3, for the local runtime's wire tests
	if command -v npm >/dev/null; then npm ci --prefix tests/js --no-audit --no-fund --silent; \
	else echo 'npm not found: the tests driving the AWS SDK for JavaScript will be skipped'; fi
	touch $(STAMP)

# The whole system on 127.0.0.1 in the foreground (see README, "Local stack"):
# AWS endpoint :4566 (Lambda runtime + moto), rides :8000, ride_fleet :8001,
# ride_record :8002.
# UNICORN_TRANSPORT=http makes rides call the fleet's GET /unicorn.
# DEBUG=<function> runs that function's sandbox under debugpy (127.0.0.1:5678)
# and waits for an IDE to attach (README, "Debugging a function").
RUN_ARGS ?=
DEBUG ?=
run: $(STAMP)
	$(PY) -m local_stack $(if $(DEBUG),--debug $(DEBUG)) $(RUN_ARGS)

test: $(CHROMIUM) $(STAMP) $(SCAN_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# ruff (style, imports, likely bugs) and mypy (strict on the domain and the
# Lambda wire protocol), both configured in pyproject.toml.
STRICT_TYPED := shared/domain local_stack/wire.py
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict --follow-imports=silent $(STRICT_TYPED)

# The browser tests drive Debian's Chromium. As root (CI, a fresh container)
# it is installed here; otherwise make stops and says what to run.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Debian's chromium for the browser tests (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  echo "The browser tests need Debian's Chromium at $(CHROMIUM). Install it, then run make test again:"; \
	  echo "  sudo apt-get update && sudo apt-get install -y chromium"; \
	  exit 1; \
	fi
# The fast tier: domain rules on the in-memory fleet store; no moto, no servers.
test-unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

# Latency, cold start, fleet scale and cost per million rides, written to
# bench/results/ (Markdown + PNG). QUICK=1: under a minute; full: 3 to 5
# minutes (each local-stack section stops after 100 s of measuring).
bench: $(STAMP)
	$(PY) -m bench $(if $(QUICK),--quick)

clean:
	rm -rf build .pytest_cache .hypothesis

$(SCAN_STAMP):
	test -x $(SCAN_VENV)/bin/python || python3 -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	touch $(SCAN_STAMP)

# CloudFormation templates + zips for the three apps in build/$(STAGE)/, linted
# (cfn-lint) and scanned (checkov). TRANSPORT=http: rides calls the fleet's API.
TRANSPORT ?=
package: $(STAMP) $(SCAN_STAMP)
	$(PY) -m deploy.templates --check
	$(PY) -m deploy.package --stage $(STAGE) $(if $(TRANSPORT),--transport $(TRANSPORT))

# Deploys ride_fleet, then rides, then ride_record (needs ARTIFACT_BUCKET and
# AWS credentials; README, "Deploying to AWS", says why in that order);
# ALARM_EMAIL=you@example.com subscribes an address to the stage's alarms;
# DRY_RUN=1 prints every step without calling AWS.
deploy: package
	$(PY) -m deploy.deploy --stage $(STAGE) $(if $(ARTIFACT_BUCKET),--bucket $(ARTIFACT_BUCKET)) $(if $(ALARM_EMAIL),--alarm-email $(ALARM_EMAIL)) $(if $(DRY_RUN),--dry-run)

# Deletes ride-record's stack, then rides', then the fleet's (waiting for
# each), then the zips under s3://$(ARTIFACT_BUCKET)/wild-rydes/$(STAGE)/;
# says what it kept (the prod tables). Asks first unless YES=1; DRY_RUN=1
# prints every step.
# ROUTE=chalice tears down the `chalice deploy` route instead.
ROUTE ?= package
destroy: $(STAMP)
	$(PY) -m deploy.destroy --stage $(STAGE) --route $(ROUTE) $(if $(ARTIFACT_BUCKET),--bucket $(ARTIFACT_BUCKET)) $(if $(YES),--yes) $(if $(DRY_RUN),--dry-run)
