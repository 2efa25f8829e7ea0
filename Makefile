# callstream — the two commands a newcomer needs are `make test` and `make demo`.
# Everything the project needs is installed by these targets, into .venv and
# ~/.cache/callstream; nothing is installed system-wide.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
BENCH_ARGS ?=
CHAOS_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install kafka-jars otelcol lint format test chaos demo bench lock audit clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "callstream needs Python 3.11+, found " + sys.version.split()[0] + ": run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

PIP := $(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -c constraints.txt

# What the demo runs on: callstream itself and devkit (the workshop: local broker, emulator,
# dev stack, fault suite), a distribution of its own that `pip install callstream` never
# brings, with their runtime dependencies only. pip prints each package as it goes.
$(VENV)/.runtime: $(BIN)/python pyproject.toml devkit/pyproject.toml constraints.txt
	@echo "make: installing callstream and devkit with their runtime dependencies (pinned in constraints.txt) into $(VENV)"
	$(PIP) -e . -e ./devkit
	@touch $@

# Everything else the tests, the lint and the benchmarks need, on top.
$(VENV)/.installed: $(VENV)/.runtime
	@echo "make: adding the test, lint and benchmark tools (pytest, hypothesis, ruff, mypy, schemathesis, pip-audit, matplotlib, py-spy, the telnyx SDK, ...)"
	$(PIP) -e '.[test,bench]' -e './devkit[test]'
	@touch $@

install: $(VENV)/.installed ## create .venv: callstream and devkit, the pinned dependencies (constraints.txt), the test tools

kafka-jars: $(VENV)/.runtime ## fetch the local Kafka broker's jars into ~/.cache/callstream (once)
	$(BIN)/callstream kafka fetch

otelcol: $(VENV)/.runtime ## build the OpenTelemetry Collector the tracing test exports to into ~/.cache/callstream (once; needs Go 1.26+)
	$(BIN)/python -m devkit.otelcol

lint: install ## ruff (lint + format check) and mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install kafka-jars lint ## everything the tests need, the dependency audit, then the whole suite
	@$(BIN)/python -m devkit.otelcol || echo "make: NOTE: no OpenTelemetry Collector (see above), so the tracing test will skip (loudly; it fails under CI=true)"
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || echo "make: NOTE: no chromium on PATH, so the console's browser tests will skip (loudly; CI installs it: .ci/run). Debian: sudo apt-get install chromium"
	$(BIN)/python tools/audit.py
	$(BIN)/pytest $(PYTEST_ARGS)

chaos: install kafka-jars ## the fault suite: every scenario (the broker-loss rows on a 3-broker cluster), report table in chaos-results/ (~12 min)
	$(BIN)/python -m devkit.chaos $(CHAOS_ARGS)

demo: $(VENV)/.runtime kafka-jars ## the whole pipeline on a broker of its own, playing the reference scenario (installs only what it needs)
	$(BIN)/callstream demo --json callstream-demo-timeline.json --screenshots callstream-demo-screenshots

bench: install kafka-jars ## the whole pipeline measured end to end (~8 min; BENCH_ARGS="latency --rates 500")
	$(BIN)/python -m bench $(BENCH_ARGS)

audit: install ## known-vulnerability check of the pinned dependencies (fails if it cannot run)
	CALLSTREAM_AUDIT_REQUIRED=1 $(BIN)/python tools/audit.py

lock: $(BIN)/python ## re-resolve constraints.txt from pyproject.toml's ranges
	$(BIN)/python -m pip install --quiet uv==0.13.9
	$(BIN)/uv pip compile pyproject.toml devkit/pyproject.toml --extra test --extra bench --universal \
		--python-version 3.11 --no-header --no-emit-package callstream -o constraints.txt

clean: ## remove .venv and caches in the tree (not the Kafka jar cache)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis *.egg-info
