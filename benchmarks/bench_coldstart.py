"""Cold start: what a fresh process pays before it has an answer.

Each side is a new interpreter, timed from launch to exit (what a user waits
for): ``import mining_licenses`` against ``import polars, pyarrow.parquet``;
``load_licenses(as_="polars")`` of the bundled sample against a cold
``pl.read_parquet`` of the same file; ``mining-licenses --help`` and an
argument error against ``python -c "import polars"``. Both sides of a case
print what they computed, checked equal before timing.

Run: ``python benchmarks/bench_coldstart.py [--repeat N] [--json OUT]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._measure import MIN_REPEAT, alternate, case, write_results
from mining_licenses.store import bundled_sample_path

PYTHON = sys.executable
CLI = str(Path(PYTHON).with_name("mining-licenses"))
SAMPLE = str(bundled_sample_path())
ENV = {**os.environ, "MINING_LICENSES_DATA": tempfile.mkdtemp(), "PYTHONWARNINGS": "ignore"}
ENV.pop("SECTORS_API_KEY", None)

LOAD = (
    "from mining_licenses import load_licenses; "
    "f = load_licenses(as_='polars'); print(f.height, f['wiup_code'].drop_nulls().sort()[0])"
)
READ = (
    f"import polars as pl; f = pl.read_parquet({SAMPLE!r}); "
    "print(f.height, f['wiup_code'].drop_nulls().sort()[0])"
)
#: name -> (ours, baseline, target speed-up), each side a command line
CASES = {
    "import mining_licenses vs import polars, pyarrow.parquet": (
        [PYTHON, "-c", "import mining_licenses"],
        [PYTHON, "-c", "import polars, pyarrow.parquet"],
        1 / 1.3,
    ),
    "load_licenses(as_='polars') vs pl.read_parquet, fresh process": (
        [PYTHON, "-c", LOAD],
        [PYTHON, "-c", READ],
        1 / 1.5,
    ),
    "mining-licenses --help vs import polars": (
        [CLI, "--help"],
        [PYTHON, "-c", "import polars"],
        1 / 1.3,
    ),
    "an argument error (--within-days -5) vs import polars": (
        [CLI, "expiring", "--within-days", "-5"],
        [PYTHON, "-c", "import polars"],
        1 / 1.3,
    ),
}


def run(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, check=False)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2 * MIN_REPEAT)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--quick", action="store_true", help="(the same: it is quick)")
    args = parser.parse_args()
    load = CASES["load_licenses(as_='polars') vs pl.read_parquet, fresh process"]
    assert run(load[0]) == run(load[1]), "the two sides read different frames"
    cases = []
    for name, (ours, baseline, target) in CASES.items():
        times = alternate(
            {"ours": lambda c=ours: run(c), "baseline": lambda c=baseline: run(c)},
            repeat=args.repeat,
        )
        cases.append(case(name, ours="ours", baseline="baseline", times=times, target=target))
    write_results(args.json, "coldstart", "fresh interpreters, launch to exit", cases)


if __name__ == "__main__":
    main()
