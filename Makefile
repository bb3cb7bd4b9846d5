# `make run` and `make test` install into .venv when needed; torch is pinned to the CPU build.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install install-llm run test lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# llama.cpp compiled for any x86-64 with AVX2 rather than for this CPU: a -march=native build
# met an illegal instruction where the hypervisor advertises AVX-512/AMX it does not enable;
# --no-cache-dir so that a wheel cached from a native build is never reused
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF
install-llm: $(STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet --no-cache-dir -e '.[llm]'

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
