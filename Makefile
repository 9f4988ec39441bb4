# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates its own virtual environment and installs the project into it (a real,
# non-editable install), so nothing is needed beforehand but Python 3.11+.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the sources change, so the venv always holds the current code.
$(VENV)/.installed: $(BIN)/python pyproject.toml setup.py $(shell find daemon providers -type f ! -path '*/__pycache__/*')
	rm -rf build  # a build folder left by an older layout would be installed again
	$(BIN)/python -m pip install --quiet --force-reinstall --no-deps .
	$(BIN)/python -m pip install --quiet ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(BIN)/interview-outreach demo $(if $(DIR),--dir $(DIR),)

test: $(VENV)/.installed
	$(BIN)/python -m pytest

# mypy and lint-imports (the contracts in pyproject.toml) read the installed package,
# interview_outreach.*, which the rule above keeps equal to the source folders.
lint: $(VENV)/.installed
	$(BIN)/ruff check daemon providers tests
	$(BIN)/ruff format --check daemon providers tests
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
