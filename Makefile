# FinanceHub Pro. `make run` and `make test` take a fresh clone all the way; see README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_SYSTEM ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
BUF := node_modules/.bin/buf
THIRD_PARTY_PROTOS := build/third_party_protos

.PHONY: help run test check generate bench lint typecheck buf-lint buf-breaking generated-fresh clean

help:
	@echo "make run       start Postgres/Redis (local or embedded), migrations, seed, gRPC server and Envoy"
	@echo "make test      run the whole test suite"
	@echo "make check     lint, types, buf lint + breaking, generated code fresh"
	@echo "make generate  regenerate generated/ from proto/"
	@echo "make bench     benchmarks (not part of test)"

$(STAMPS):
	@mkdir -p $(STAMPS)

# The virtual environment, rebuilt whenever pyproject.toml changes.
$(STAMPS)/venv: pyproject.toml | $(STAMPS)
	test -x $(PY) || $(PYTHON_SYSTEM) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	echo "$(CURDIR)/generated/python" > $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/financehub-generated.pth
	touch $@

# buf comes from npm (the binary ships inside the package).
$(STAMPS)/node: package.json | $(STAMPS)
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# google/api, google/type and google/rpc protos come from googleapis-common-protos;
# buf sees them as a second module so everything works offline (no BSR).
$(STAMPS)/third-party-protos: $(STAMPS)/venv
	$(PY) -m server.tools.third_party_protos $(THIRD_PARTY_PROTOS)
	touch $@

setup: $(STAMPS)/venv $(STAMPS)/node $(STAMPS)/third-party-protos

generate: setup
	$(PY) -m server.tools.generate

run: setup
	$(PY) -m server.devstack

test: setup
	$(PY) -m pytest

check: setup lint typecheck buf-lint buf-breaking generated-fresh

lint:
	$(VENV)/bin/ruff check server tests

typecheck:
	$(VENV)/bin/mypy

buf-lint:
	$(BUF) lint

# Breaking-change check against the previous commit (skipped when there is none).
buf-breaking:
	@if git rev-parse --verify --quiet HEAD~1 >/dev/null; then \
	  $(PY) -m server.tools.buf_breaking HEAD~1; \
	else echo "buf breaking: no previous commit, skipped"; fi

generated-fresh:
	$(PY) -m server.tools.generate --check

bench: setup
	$(PY) -m bench
	$(PY) -m bench.sentiment

clean:
	rm -rf $(VENV) $(STAMPS) build node_modules
