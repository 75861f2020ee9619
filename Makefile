# Quickstart:  make run   (set up .venv and run the quickstart experiment on the embedded data)
#              make test  (set up .venv and run the test suite)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run test test-all bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,parquet]'
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(PY) -m anogen +experiment=quickstart $(ARGS)

# the tests run in one worker process per core (pytest-xdist): about 1.7x faster on 2 cores
test: $(STAMP)
	$(PY) -m pytest -q -n auto $(ARGS)

test-all: $(STAMP)
	$(PY) -m pytest -q -n auto -m "slow or not slow" $(ARGS)

bench: $(STAMP)
	$(PY) scripts/bench_train.py
	$(PY) scripts/bench_generate.py
	$(PY) scripts/bench_metrics.py

clean:
	rm -rf outputs multirun wandb .pytest_cache
