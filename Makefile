# The two commands the README gives: `make demo` (the main job: a forecast of the built-in
# Niño SST data, then the reference scenarios) and `make test` (the whole suite).
# Each creates or refreshes the local virtual environment .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.seqlab-installed

.PHONY: venv demo test lint typecheck pytest bench bench-etth1 clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/seqlab forecast --quiet --out runs/forecast
	$(BIN)/seqlab scenarios all

lint: $(STAMP)
	$(BIN)/ruff check src tests examples benchmarks
	$(BIN)/ruff format --check src tests examples benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_training.py --out benchmarks/results
	$(BIN)/python benchmarks/bench_stream.py --out benchmarks/results

# The ETTh1 benchmark trains 14 models (7 horizons x 2 lookbacks): about half an hour on 2 cores.
bench-etth1: $(STAMP)
	$(BIN)/python benchmarks/etth1.py --out benchmarks/results

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
