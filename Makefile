# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

# On machines without internet, a local mirror of GISCO's NUTS files beside the project
# (../shared/nuts) is used unless METACLUSTER_NUTS_SOURCE says otherwise.
ifneq ($(wildcard ../shared/nuts/NUTS_RG_*),)
METACLUSTER_NUTS_SOURCE ?= $(abspath ../shared/nuts)
export METACLUSTER_NUTS_SOURCE
endif

.PHONY: run test lint bench cli-smoke clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.test-installed: requirements-dev.txt $(VENV)/.run-installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.run-installed
	$(BIN)/streamlit run app.py --server.headless true --browser.gatherUsageStats false

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check metacluster tests benchmarks app.py layers
	$(BIN)/ruff format --check metacluster tests benchmarks app.py layers
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider --doctest-modules metacluster

bench: $(VENV)/.test-installed
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
