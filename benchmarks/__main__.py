"""Run every benchmark (``make bench``) and keep the figures in benchmarks/results/.

``python -m benchmarks [--quick] [NAME ...]``: ``--quick`` passes a smaller
size to each benchmark; names (``normalize``, ``history``...) pick some.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a few minutes")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    args = parser.parse_args()
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.names:
        scripts = [p for p in scripts if p.stem.removeprefix("bench_") in args.names]
    failed = []
    for script in scripts:
        print(f"\n=== {script.name}", flush=True)
        out = results / f"{script.stem}.json"
        started = time.perf_counter()
        command = [sys.executable, str(script), "--json", str(out)]
        code = subprocess.call(command + (["--quick"] if args.quick else []))
        print(f"=== {script.name}: {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
