# The two commands the README gives: `make demo` (the main job: a forecast of the built-in
# Niño SST data, then the reference scenarios) and `make test` (the whole suite).
# Each creates or refreshes the local virtual environment .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.seqlab-installed

.PHONY: venv demo test docs lint typecheck pytest bench bench-etth1 bench-m4 bench-m3 bench-ett bench-intervals bench-threads bench-scale bench-epf clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/seqlab forecast --quiet --out runs/forecast
	$(BIN)/seqlab scenarios all

lint: $(STAMP)
	$(BIN)/ruff check src tests examples benchmarks tools
	$(BIN)/ruff format --check src tests examples benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy src

# Two workers (pytest-xdist), a file at a time each, so that a module's shared fixture is built
# once; tests/conftest.py gives each worker (and what it starts) one of the two threads.
pytest: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test: lint typecheck pytest

# The documentation (docs/, mkdocs.yml): the CLI reference checked against the parser (python
# tools/cli_reference.py rewrites it), then
# mkdocs in strict mode (a broken link or a page missing from the nav fails) into build/site.
docs: $(STAMP)
	$(BIN)/python tools/cli_reference.py --check
	$(BIN)/mkdocs build --strict --quiet

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_training.py --out benchmarks/results
	$(BIN)/python benchmarks/bench_stream.py --out benchmarks/results

# seqlab's default threads (idle cores), every core and one thread, idle and busy (~2 min).
bench-threads: $(STAMP)
	$(BIN)/python benchmarks/bench_threads.py --out benchmarks/results

# Memory and speed of a global model's windows for 100 to 10,000 synthetic hourly series (each
# in a fresh process for its peak RSS), indexed against dense windows, and 2 processes under
# torchrun against 1 (a few minutes on 2 cores; add 100000 to --series where memory allows).
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/bench_scale.py --series 100 1000 10000 --out benchmarks/results/scale

# The ETTh1 benchmark trains 14 models (7 horizons x 2 lookbacks): about half an hour on 2 cores.
bench-etth1: $(STAMP)
	$(BIN)/python benchmarks/etth1.py --out benchmarks/results

# M4 Hourly (414 series, horizon 48): seqlab's Forecaster against Naive2 and seasonal naive,
# scored as the competition did, with 80% and 95% conformal intervals (coverage, MSIS). About
# 10 minutes on 2 cores. The data stay in ../shared.
M4_DIR ?= ../shared/data/m4
bench-m4: $(STAMP)
	$(BIN)/python benchmarks/m4.py --train $(M4_DIR)/Hourly-train.csv --test $(M4_DIR)/Hourly-test.csv \
		--horizon 48 --season 24 --intervals 0.8 0.95 --out benchmarks/results/m4-hourly


# The day-ahead electricity price benchmark (EPF) on its two markets: seqlab with and without the
# day-ahead covariates, LEAR and the weekly naive on the last 728 days (about 25 minutes each
# on 2 cores). The data stay in ../shared.
EPF_DIR ?= ../shared/data/epf
bench-epf: $(STAMP)
	$(BIN)/python benchmarks/epf.py --csv $(EPF_DIR)/NP.csv --out benchmarks/results/epf-np
	$(BIN)/python benchmarks/epf.py --csv $(EPF_DIR)/PJM.csv --out benchmarks/results/epf-pjm

# The four M3 subsets through the same benchmarks/m4.py (horizons and seasons of the M3
# protocol, ../shared/data/SOURCES.md): short series, a minute or so each on 2 cores.
M3_DIR ?= ../shared/data/m3
bench-m3: $(STAMP)
	$(BIN)/python benchmarks/m4.py --train $(M3_DIR)/Yearly-train.csv --test $(M3_DIR)/Yearly-test.csv \
		--horizon 6 --season 1 --out benchmarks/results/m3-yearly
	$(BIN)/python benchmarks/m4.py --train $(M3_DIR)/Quarterly-train.csv \
		--test $(M3_DIR)/Quarterly-test.csv --horizon 8 --season 4 --out benchmarks/results/m3-quarterly
	$(BIN)/python benchmarks/m4.py --train $(M3_DIR)/Monthly-train.csv --test $(M3_DIR)/Monthly-test.csv \
		--horizon 18 --season 12 --out benchmarks/results/m3-monthly
	$(BIN)/python benchmarks/m4.py --train $(M3_DIR)/Other-train.csv --test $(M3_DIR)/Other-test.csv \
		--horizon 8 --season 1 --out benchmarks/results/m3-other

# ETTh1 multivariate (lookback 96) and univariate OT (lookback 336), horizons 96-720, under the
# DLinear/SegRNN protocol: the segment-recurrent model against NLinear and the ablations. The
# multivariate run (segments 24 and 48, MSE and MAE loss, their means chosen on validation;
# 20 epochs, patience 5) leaves out the repeat-skip candidates to stay inside an hour on 2
# cores (35 minutes; the univariate run 11, the speed run 3).
ETT_CSV ?= ../shared/data/ETTh1.csv
bench-ett: $(STAMP)
	$(BIN)/python benchmarks/ett.py --csv $(ETT_CSV) --freq h --features M --lookback 96 \
		--model segment nlinear --repeat-skip off --out benchmarks/results/ett-h1-M
	$(BIN)/python benchmarks/ett.py --csv $(ETT_CSV) --freq h --features S --lookback 336 \
		--model segment segment-linear nlinear --out benchmarks/results/ett-h1-S
	$(BIN)/python benchmarks/ett.py --csv $(ETT_CSV) --freq h --features S --lookback 720 \
		--horizons 96 --model segment gru --segments 48 --losses mae --epochs 1 \
		--out benchmarks/results/ett-speed

# Conformal prediction intervals (80%, 95%) on the default Niño SST run and on ETTh1 (OT,
# lookback 336, horizon 96); M4 Hourly's are part of bench-m4. A few minutes on 2 cores.
bench-intervals: $(STAMP)
	$(BIN)/seqlab forecast --intervals 0.8 0.95 --quiet --out runs/sst-intervals
	mkdir -p benchmarks/results/nino-sst-intervals
	cp runs/sst-intervals/metrics.json benchmarks/results/nino-sst-intervals/metrics.json
	$(BIN)/python benchmarks/ett.py --csv $(ETT_CSV) --freq h --features S --lookback 336 \
		--horizons 96 --model segment --intervals 0.8 0.95 --out benchmarks/results/ett-h1-S-intervals

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
