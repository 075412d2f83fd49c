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

.PHONY: run test lint bench cli-smoke constraints clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# constraints.txt pins every package (pip freeze of a working environment) so that a fresh
# clone installs what was tested: Streamlit's minor version matters (PrebuiltDeck and the
# app tests use its internals). Refresh it after changing requirements*.txt or the extras:
# make constraints.
PIP_INSTALL := $(BIN)/pip install -q -c constraints.txt

$(VENV)/.run-installed: requirements.txt pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# The tests also cover the optional Dask engine: the metacluster[dask] extra.
$(VENV)/.test-installed: requirements-dev.txt $(VENV)/.run-installed
	$(PIP_INSTALL) -r requirements-dev.txt -e '.[dask]'
	touch $@

run: $(VENV)/.run-installed
	$(BIN)/streamlit run app.py --server.headless true --browser.gatherUsageStats false

# The suite runs on TEST_WORKERS processes (pytest-xdist; 0 runs it in this one). Each
# worker that draws a browser test starts its own app server and Chromium (the session
# fixtures of tests/browser_fixtures.py).
TEST_WORKERS ?= 2

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check metacluster tests benchmarks app.py layers
	$(BIN)/ruff format --check metacluster tests benchmarks app.py layers
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider --doctest-modules metacluster

bench: $(VENV)/.test-installed
	$(BIN)/python -m benchmarks

constraints: $(VENV)/.test-installed
	{ printf '%s\n' "$$(head -2 constraints.txt)"; \
	  $(BIN)/pip freeze --exclude-editable | grep -v '^metacluster'; } > constraints.new
	mv constraints.new constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache
