# Two commands on a fresh machine with Python 3.11 and make:
#   make demo   — try Entraide in your terminal with a dozen demo colleagues
#   make test   — run the whole test suite (PostgreSQL tests skip without a server, unless CI=true)
PYTHON ?= python3.11
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/entraide demo

test: $(STAMP)
	$(BIN)/ruff check bot adapters skills_db tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check bot adapters skills_db tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.quality
	$(BIN)/python -m bench.scale
	$(BIN)/python -m bench.slack_throughput

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
