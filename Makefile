# Two commands on a fresh machine with Python 3.11 and make (both create $(VENV) themselves):
#   make demo   — try Entraide in your terminal with a dozen demo colleagues
#                 (installs only Entraide and what it needs to run: `pip install -e .`)
#   make test   — run the whole test suite (PostgreSQL tests skip without a server, unless CI=true)
#                 (adds the test and lint tools — Synapse, pytest, mypy, ruff: `pip install -e '.[dev]'`)
# lint and bench use the dev install too; both installs share $(VENV), each with its own stamp.
PYTHON ?= python3.11
VENV ?= .venv
BIN = $(VENV)/bin
CORE_STAMP = $(VENV)/.installed-core
DEV_STAMP = $(VENV)/.installed-dev

.PHONY: demo test lint bench clean

$(CORE_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(CORE_STAMP)

$(DEV_STAMP): $(CORE_STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

demo: $(CORE_STAMP)
	$(BIN)/entraide demo

test: $(DEV_STAMP)
	$(BIN)/ruff check bot adapters skills_db tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(DEV_STAMP)
	$(BIN)/ruff check bot adapters skills_db tests bench
	$(BIN)/mypy

bench: $(DEV_STAMP)
	$(BIN)/python -m bench.quality
	$(BIN)/python -m bench.scale
	$(BIN)/python -m bench.slack_throughput
	$(BIN)/python -m bench.matrix_latency
	$(BIN)/python -m bench.statements

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
