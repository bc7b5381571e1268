# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both create .venv (python3 -m venv) and install the package with its extras
# (viz: charts and maps; dev: the test tools; docs: the documentation site, built by a test).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck pytest fuzz bench docs screenshots sample clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[viz,dev,docs]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mining-licenses demo

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check mining_licenses tests benchmarks scripts conftest.py
	$(BIN)/ruff format --check mining_licenses tests benchmarks scripts conftest.py

typecheck: $(STAMP)
	$(BIN)/mypy

# One worker a core (pytest-xdist): the suite is ~1,000 tests; on 2 cores it takes about half.
pytest: $(STAMP)
	$(BIN)/python -m pytest -q -n auto

# The generative hostile upstream, long: FUZZ_EXAMPLES random examples (default 1000; make test
# runs a fixed 30); prints how many ran and that every invariant held. The other property
# tests draw fixed examples in make test; HYPOTHESIS_PROFILE=explore draws new ones: the
# hostile-upstream campaign, then every other property test once with fresh examples.
FUZZ_EXAMPLES ?= 1000
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) HYPOTHESIS_PROFILE=explore \
		$(BIN)/python -m pytest tests/test_fuzz_upstream.py -q -s \
		-p no:cacheprovider -o timeout=0
	HYPOTHESIS_PROFILE=explore $(BIN)/python -m pytest -q -n auto -p no:cacheprovider \
		$$(grep -l "from hypothesis" tests/test_*.py | grep -v test_fuzz_upstream)

# Every benchmark, then the README's tables from benchmarks/results/ (BENCH_ARGS=--quick: smaller).
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)
	$(BIN)/python scripts/bench_table.py

# Regenerate the committed sample snapshot in data/sample/ (deterministic).
sample: $(STAMP)
	$(BIN)/mining-licenses sample --write-snapshot data/sample

# Build the documentation site into build/site, offline, warnings as errors. The
# notebooks are executed once and cached in build/docs-notebooks (re-run when edited).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# Regenerate the README screenshots (needs Chromium: apt-get install chromium).
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py --out docs/img

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis demo-output
