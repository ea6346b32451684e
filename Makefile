# Set-up and checks. `make demo` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test system-packages lint typecheck pytest bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,ray]"
	# The Every Eval Ever schemas the export tests validate against: the wheel is pure Python
	# but claims Python >= 3.12, so it is installed without its (unneeded) requirements.
	$(BIN)/python -m pip install --quiet --no-deps --ignore-requires-python every-eval-ever
	touch $@ $(STAMP)

demo: $(STAMP)
	$(BIN)/accord demo

test: $(DEV_STAMP) system-packages lint typecheck pytest

# bubblewrap and chromium for the sandbox and PDF tests, via apt when root; else they skip.
system-packages:
	@.ci/system-packages

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

pytest: $(DEV_STAMP)
	$(BIN)/pytest

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/run_overhead.py

# Regenerate the README's and docs' screenshots with Debian chromium (the browser tests take them).
screenshots: $(DEV_STAMP) system-packages
	ACCORD_UPDATE_SCREENSHOTS=1 $(BIN)/pytest -q tests/report/test_browser.py tests/ui/test_browser.py

clean:
	rm -rf $(VENV) accord-demo .pytest_cache .mypy_cache .ruff_cache
