# russian-emigration: every target sets up its own virtual environment (.venv) from nothing.
# `make help` lists the targets.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
REPORT_DIR ?= reports
STAMP := $(VENV)/.installed-test
LAB_STAMP := $(VENV)/.installed-lab
BROWSER_STAMP := $(VENV)/.installed-browser
export MPLBACKEND := agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# Bytecode caches stay on even where the environment turns them off: kernels and test workers start faster.
unexport PYTHONDONTWRITEBYTECODE

.DEFAULT_GOAL := help
.PHONY: help report test test-fast check-notebooks notebooks validate data-dictionary lint format bench lab browser-check wheel-check clean

help: ## List the targets with one line each
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

report: $(STAMP) ## Run every notebook and render the report site into reports/ (open reports/index.html)
	$(PY) -m russian_emigration report --output-dir $(REPORT_DIR)

test: $(STAMP) ## Run the whole test suite: ruff, mypy, the data and analysis tests, nbval, the site
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest

test-fast: $(STAMP) ## The data, loader, analysis and chart tests (no notebook, Sphinx or report runner), for the edit loop
	$(PY) -m pytest -m "not slow" tests --ignore tests/test_runner.py

check-notebooks: $(STAMP) ## Execute every notebook as the report does and check the committed outputs are exactly that
	$(PY) tools/check_notebooks.py

notebooks: $(STAMP) ## Re-execute the committed notebooks in place with default parameters (the one way outputs are made)
	$(PY) -m russian_emigration notebooks

validate: $(STAMP) ## Check the data package in data/ (or DATA=path/to/copy) and list every problem
	$(PY) -m russian_emigration validate $(DATA)

data-dictionary: $(STAMP) ## Regenerate data/README.md from data/datapackage.json
	$(PY) -m russian_emigration dictionary > data/README.md

lint: $(STAMP) ## Check code, tests and notebooks with ruff, and src/ with mypy
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(STAMP) ## Format code, tests and notebooks with ruff
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(STAMP) ## Run the benchmarks in benchmarks/ and print their figures
	$(PY) benchmarks/run_all.py

$(LAB_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[lab]'
	@touch $@

# Root (most containers) needs --allow-root; ARGS passes anything else: make lab ARGS="--no-browser --port 8899"
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
ARGS ?=

lab: $(LAB_STAMP) ## Install JupyterLab (the [lab] extra) and open it on notebooks/ (extra options: ARGS="...")
	$(VENV)/bin/jupyter lab notebooks/ $(LAB_ROOT) $(ARGS)

$(BROWSER_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[browser]'
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@touch $@

# axe-core (accessibility rules) from the npm registry, loaded into each page by the browser check.
AXE := build/npm/node_modules/axe-core/axe.min.js
$(AXE):
	@command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm >/dev/null)
	npm install --silent --no-audit --no-fund --prefix build/npm axe-core@4.14.1

browser-check: $(BROWSER_STAMP) $(AXE) ## Build the report and check it in headless Chromium (Debian package, no download); screenshots in build/browser-check/
	$(PY) -m russian_emigration report --output-dir $(REPORT_DIR)
	$(PY) tools/browser_check.py $(REPORT_DIR) --axe $(AXE) --screenshots build/browser-check

wheel-check: $(STAMP) ## Build the wheel, install it in a fresh venv and use it from another folder
	$(PY) tools/wheel_check.py

clean: ## Remove the virtual environment, the report and caches
	rm -rf $(VENV) $(REPORT_DIR) build dist .pytest_cache .ruff_cache .mypy_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
