# `make run` and `make test` install into .venv when needed; torch is pinned to the CPU build.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# the PubMedQA abstracts beside the checkout become the service's evidence corpus, when present
CORPUS ?= $(firstword $(wildcard $(BIOMEDFM_DATA)/pubmedqa/pqal_trainval.json ../shared/data/pubmedqa/pqal_trainval.json))

run: $(STAMP)
	$(BIN)/biomedfm serve --host 127.0.0.1 --port 8000 $(if $(CORPUS),--corpus $(CORPUS))

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q --cov --cov-report=term:skip-covered --cov-fail-under=80

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .coverage
