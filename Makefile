PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck unit demo clean serve bench package

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip==24.3.1
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck unit

serve: $(STAMP)
	$(BIN)/python -m localcloud serve --port 0

demo: $(STAMP)
	$(BIN)/python -m localcloud.demo

# The folder s.yaml's code: points at (build/package): handlers, sharetrust, runtime dependencies as wheels
# for FC's python3.12 (glibc 2.31, x86_64), bytecode. README "Package".
package: $(STAMP)
	$(BIN)/python deploy/build_package.py

# Calls, throughput, cold start and memory against the local cloud (issue 10): bench/README.md.
bench: $(STAMP)
	$(BIN)/python -m bench


clean:
	rm -rf $(VENV) build *.egg-info shared/*.egg-info
