# The README's two commands: `make solve` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
# On the CPU machines this project is developed on, torch 2.13.0 is a local CPU wheel; installing it
# first keeps pip from pulling a multi-gigabyte CUDA build. Override with TORCH= (empty) or another spec.
TORCH ?= torch==2.13.0
DATASET ?= arc1/evaluation
OUT ?= runs/arc1-evaluation
SOLVE_ARGS ?=

BIN := $(VENV)/bin
STAMP := $(VENV)/.arc-ttt-installed

.PHONY: solve test lint venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	if [ -n "$(TORCH)" ]; then $(BIN)/python -m pip install --quiet "$(TORCH)"; fi
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

solve: $(STAMP)
	$(BIN)/arc-ttt solve --dataset $(DATASET) --out $(OUT) $(SOLVE_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
