# The entry points. `make run` and `make test` are all a fresh clone needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test lint bench profile schemas validate-config clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: install if needed, then start the broker and every service (Ctrl-C stops all)
run: $(STAMP)
	$(BIN)/alertorch dev

## demo: the same, plus a minute of realistic alerts and a console token to see them with
demo: $(STAMP)
	$(BIN)/alertorch dev --demo

## test: the whole test suite (unit, service tests on a real broker, end to end)
test: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile

## lint: ruff (lint and format check) and mypy --strict
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## bench: speed and throughput figures
bench: $(STAMP)
	$(BIN)/python -m bench

## profile: where each service's CPU goes, by kind of work (py-spy; needs ptrace, e.g. root)
profile: $(STAMP)
	$(BIN)/python -m bench.profile

## schemas: regenerate docs/schemas from the event models
schemas: $(STAMP)
	$(BIN)/alertorch schemas

validate-config: $(STAMP)
	$(BIN)/alertorch validate-config

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache data
