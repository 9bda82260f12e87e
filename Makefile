# One entry point for everything: `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install chromium run reset test lint unit bench package clean admin-token digest deploy destroy

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	@$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# Debian's chromium for the browser tests (Playwright cannot download its own browser here), a Java
# runtime for the Nu HTML Checker that validates the generated site, and Node.js to run the site's
# CloudFront function in the tests.
chromium:
	@command -v chromium >/dev/null 2>&1 && command -v java >/dev/null 2>&1 && command -v node >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium, a Java runtime and Node.js for the browser, HTML and edge tests..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    chromium default-jre-headless $$(command -v node >/dev/null 2>&1 || echo nodejs) >/dev/null; }

run: install
	@$(BIN)/python -m infra.local.runner

# Send the digests due now through the running `make run` (ALL=1: everyone's, ignoring the schedule).
digest: install
	@$(BIN)/python -m infra.local.digest $(if $(ALL),--all)

# Wipe `make run`'s state: .state/, or the folder CHORUS_STATE_DIR names (only if `make run` made it).
reset: install
	@$(BIN)/python -m infra.local.state reset

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install chromium lint
	$(BIN)/python -m pytest

unit: install
	$(BIN)/python -m pytest tests/unit

bench: install
	@$(BIN)/python -m bench.run

package: install
	rm -rf .chalice/deployments build/package
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(BIN)/chalice package --merge-template infra/template.yaml build/package

# Deploy (or update) the stack chorus-$(STAGE) from infra/stages/$(STAGE).toml; destroy it (YES=1: without asking).
deploy: install
	@$(if $(STAGE),,$(error set STAGE, e.g. make deploy STAGE=prod))
	@$(BIN)/python -m infra.deploy deploy --stage $(STAGE)

destroy: install
	@$(if $(STAGE),,$(error set STAGE, e.g. make destroy STAGE=prod))
	@$(BIN)/python -m infra.deploy destroy --stage $(STAGE) $(if $(YES),--yes)

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .chalice/deployments

# An admin token for the account your AWS credentials point at (locally, `make run` prints one).
# With STAGE=prod: in that stage's tables and region (infra/stages/prod.toml).
admin-token: install
	@$(if $(STAGE),region=$$($(BIN)/python -m infra.deploy region --stage $(STAGE)) || exit 2; \
	  export CHORUS_STAGE=$(STAGE) AWS_DEFAULT_REGION=$$region AWS_REGION=$$region;) \
	  $(BIN)/python -m functions.cli admin-token $(LABEL)
