# exitvoice: `make demo` runs the Russia 2022 scenario end to end and compares the wave-2 scenarios;
# `make test` runs the test suite (with a fast fuzzer); `make fuzz` runs the long fuzzer.
# Both create .venv on first use (Python 3.11+ and pip are all a fresh machine needs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_MEMBERS ?= 2

.PHONY: venv demo test test-fast fuzz lint bench mutate mutate-sample clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@echo "== creating $(VENV) and installing exitvoice with its dependencies (a few minutes on a fresh machine)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -e '.[test]'
	$(BIN)/exitvoice --version
	touch $(STAMP)

demo: venv
	@echo "== 1/4 the 2022 partial mobilisation, whole country (about 15 s)"
	$(BIN)/exitvoice run scenarios/russia-2022.toml --out results/russia-2022 --seed 7 --force --plots
	@echo "== 2/4 what the model gets right and wrong: russia-2022 against the 2022 observations"
	$(BIN)/exitvoice validate results/russia-2022 --force
	@echo "== 3/4 a second call-up of one million, five ways, $(DEMO_MEMBERS) members each (several minutes on 2 cores)"
	$(BIN)/exitvoice compare scenarios/wave2-1m-open.toml scenarios/wave2-1m-closed.toml \
	    scenarios/wave2-1m-exit-visas.toml scenarios/wave2-1m-social-contract.toml \
	    scenarios/voice-closed-borders.toml --ensemble $(DEMO_MEMBERS) --jobs 2 --out results/wave2 --force
	@echo "== 4/4 the report"
	$(BIN)/exitvoice report results/russia-2022 results/wave2 --out results/report.html --force
	@echo ""
	@echo "Open results/report.html in a browser (it works offline). Look first at 'Findings in plain words',"
	@echo "then at the 'Validation scorecard' (what the 2022 run gets right and wrong, with sources)."
	@echo "Move the levers yourself: $(BIN)/exitvoice serve results   (then open http://127.0.0.1:8050/)"
	@echo ""
	@echo "== What the demo found (read from the result folders above)"
	@$(BIN)/python -m exitvoice.verdict results/russia-2022 results/wave2

lint: venv
	$(BIN)/ruff check src tests benchmarks scripts

test: venv lint
	$(BIN)/python -m pytest -q

# The long fuzzer over scenario files (10,000 cases; EXITVOICE_FUZZ_EXAMPLES=N for another count).
fuzz: venv
	EXITVOICE_FUZZ=long $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_fuzz.py --hypothesis-show-statistics

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
	# The mutants are of the readable NumPy processes: run them, not their compiled twins (tests/test_kernels.py
	# holds the twins to the oracles).
	EXITVOICE_KERNELS=0 nice -n 10 $(BIN)/mutmut run --max-children $(MUTATE_JOBS) $(MUTANTS)
	$(BIN)/mutmut results

# A mutation score from a random sample of the same mutants (scripts/mutate_sample.py): SAMPLE of them drawn with
# SEED, run one at a time; the table goes to benchmarks/mutation_sample.md. About 20 s a mutant on 2 shared cores.
# Extra options in MUTATE_SAMPLE_ARGS, e.g. '--reuse killed' after adding tests.
SAMPLE ?= 120
SEED ?= 1
MUTATE_SAMPLE_ARGS ?=
mutate-sample: venv
	$(BIN)/python -m pip install --quiet -e '.[test,mutate]'
	EXITVOICE_KERNELS=0 nice -n 15 $(BIN)/python scripts/mutate_sample.py --sample $(SAMPLE) --seed $(SEED) \
	    --max-children 1 $(MUTATE_SAMPLE_ARGS)

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis mutants
