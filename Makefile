# exitvoice: `make demo` runs the Russia 2022 scenario end to end and compares the wave-2 scenarios;
# `make test` runs the test suite.
# Both create .venv on first use (Python 3.11+ and pip are all a fresh machine needs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_MEMBERS ?= 2

.PHONY: venv demo test test-fast lint bench mutate clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: venv
	$(BIN)/exitvoice run scenarios/russia-2022.toml --out results/russia-2022 --seed 7 --force
	$(BIN)/exitvoice compare scenarios/wave2-1m-open.toml scenarios/wave2-1m-closed.toml \
	    scenarios/wave2-1m-exit-visas.toml scenarios/wave2-1m-social-contract.toml \
	    scenarios/voice-closed-borders.toml --ensemble $(DEMO_MEMBERS) --jobs 2 --out results/wave2 --force

lint: venv
	$(BIN)/ruff check src tests benchmarks scripts

test: venv lint
	$(BIN)/python -m pytest -q

test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow"

bench: venv
	$(BIN)/python benchmarks/bench_russia_2022.py

# Mutation testing (mutmut, [tool.mutmut] in pyproject.toml): mutants of processes/ and policies/ against the fast
# mechanism tests. Long; not run in CI. Narrow it with MUTANTS, e.g. make mutate MUTANTS='exitvoice.processes.risk*'
MUTANTS ?=
MUTATE_JOBS ?= 2
mutate: venv
	$(BIN)/python -m pip install --quiet -e '.[test,mutate]'
	nice -n 10 $(BIN)/mutmut run --max-children $(MUTATE_JOBS) $(MUTANTS)
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis mutants
