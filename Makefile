# flopcast — the two commands a new user needs are `make build` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-from-lock

.PHONY: build test test-slow lint format dev venv lock clean reliability bench bench-instructions

# The virtualenv is created from the hash-locked requirements.lock whenever the lock changes.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

build: $(STAMP)
	$(BIN)/flopcast build

# The fast tier (under 5 minutes on 2 cores): everything but the process-heavy tests, on two workers.
test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" -n 2

# The linter and the formatter's check (settings in pyproject.toml's [tool.ruff]), also run by CI.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Apply the formatter (and ruff's safe fixes) to the whole tree.
format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The slow tier, also run by CI: killed builds, concurrent readers, subprocess determinism, the
# multiprocess executor, Dagster's daemon, a Dagster run racing a CLI build.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

# Dagster's UI and daemon. Runs are queued one at a time: they all write the same private database.
# The daemon logs every 5 s at level info while a run is in progress ("1 runs are currently in
# progress"), and `dagster dev` warns that it is superseded by `dg dev` (not installed here): both
# hidden by default; `make dev DAGSTER_LOG_LEVEL=info` shows the info lines again.
DAGSTER_LOG_LEVEL ?= warning
dev: $(STAMP)
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/.dagster_home} ; mkdir -p $$DAGSTER_HOME ; \
	test -f $$DAGSTER_HOME/dagster.yaml || printf 'run_queue:\n  max_concurrent_runs: 1\ntelemetry:\n  enabled: false\n' > $$DAGSTER_HOME/dagster.yaml ; \
	echo "Dagster UI: http://127.0.0.1:3000 (DAGSTER_HOME=$$DAGSTER_HOME; Dagster logs at level $(DAGSTER_LOG_LEVEL))" ; \
	DAGSTER_HOME=$$DAGSTER_HOME PYTHONWARNINGS=ignore:Function:Warning:click.core \
	  $(BIN)/dagster dev -m pipelines.definitions --log-level $(DAGSTER_LOG_LEVEL)

# The reliability suite at full strength (CI runs reduced counts in `make test` and `make test-slow`):
# 24 SIGKILLed builds, 4 concurrent readers, 1,000 hostile files, every property test at its full count.
reliability: $(STAMP)
	FLOPCAST_KILL_RUNS=24 FLOPCAST_READERS=4 FLOPCAST_HOSTILE_EXAMPLES=1000 FLOPCAST_FULL_STRENGTH=1 \
	  $(BIN)/python -m pytest -q -s tests/reliability tests/property tests/integration/test_hostile_build.py tests/unit/test_query.py tests/unit/test_cleaning.py tests/unit/test_parsing.py

# Performance benchmarks (not part of `make test`): writes BENCHMARKS.md and benchmarks/results.json.
# Takes up to an hour at 10 million rows; BENCH_ARGS="--quick" for a short run, or e.g. "--sizes 100000 --merge".
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# Raw + clean in instructions (valgrind's callgrind), before / now / the floor at 100,000 rows: a
# yardstick a busy machine does not move (about 10 minutes; needs valgrind). Prints the ratios.
bench-instructions: $(STAMP)
	$(BIN)/python -m benchmarks.instruction_count $(BENCH_ARGS)

# Re-resolve the lock (maintainers only; needs uv): keeps every pin hashed for pip --require-hashes.
lock:
	uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 -o requirements.lock

clean:
	rm -rf warehouse/flopcast.duckdb warehouse/parquet warehouse/manifest.json warehouse/.build warehouse/checks
