"""Shared measuring for the benchmarks: alternating timed runs, peak memory, results files.

The protocol every benchmark follows:

* both sides' outputs are checked equal (after normalising order and types)
  before anything is timed;
* each side is warmed up, then the sides run in turn, ``repeat`` (at least 5)
  times each, so a machine shared with other work slows both alike; the
  figures are the minimum and the median wall time;
* peak memory is measured per side in a fresh interpreter that makes the call
  once (after its own warm-up): the resident high-water mark (VmHWM) above
  what the process held before the call. Linux lets a process reset its
  high-water mark (``/proc/self/clear_refs``), which also counts memory that
  polars, Arrow, DuckDB and GEOS allocate outside Python's allocator
  (tracemalloc would miss it).

Results go to ``benchmarks/results/<bench>.json`` in one layout (see
:func:`write_results`) that ``scripts/bench_table.py`` turns into the README
table.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
MIN_REPEAT = 5
LIBRARIES = ("polars", "pyarrow", "pandas", "geopandas", "shapely", "duckdb", "numpy")


def _status_kib(field: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def measure(fn: Callable[[], T]) -> tuple[T, float, float | None]:
    """Run ``fn`` once; return (result, seconds, peak MiB above the starting RSS)."""
    gc.collect()
    before = _status_kib("VmRSS")
    try:
        _CLEAR_REFS.write_text("5")  # reset VmHWM to the current RSS
        resettable = True
    except OSError:
        resettable = False
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    peak = _status_kib("VmHWM")
    peak_mib = (peak - before) / 1024 if resettable and peak and before else None
    return result, seconds, peak_mib


def alternate(
    sides: Mapping[str, Callable[[], Any]],
    *,
    repeat: int = MIN_REPEAT,
    warmup: Mapping[str, Callable[[], Any]] | None = None,
) -> dict[str, list[float]]:
    """Wall times of each side: one warm-up each, then the sides in turn ``repeat`` times.

    ``warmup`` replaces a side's warm-up call (e.g. the same call on a slice,
    when a full call takes long): imports, caches and thread pools warm either way.
    """
    for name, fn in sides.items():
        (warmup or {}).get(name, fn)()
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(max(repeat, 1)):
        for name, fn in sides.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def stats(times: list[float]) -> dict[str, float]:
    return {"min": min(times), "median": statistics.median(times), "runs": len(times)}


def child_json(argv: list[str], *, timeout: float = 1800) -> dict[str, Any]:
    """Run a benchmark child (a fresh interpreter) and return the JSON it prints last."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, *argv],
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        timeout=timeout,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """The machine and software the figures were measured on."""
    import psutil

    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "libraries": versions,
        "load_average": round(os.getloadavg()[0], 2),
    }


def case(
    name: str,
    *,
    ours: str,
    baseline: str,
    times: Mapping[str, list[float]],
    peaks: Mapping[str, float | None] | None = None,
    target: float | None = None,
    note: str = "",
) -> dict[str, Any]:
    """One row of results: ``ours`` against ``baseline`` (keys of ``times``).

    ``speedup`` is baseline time / our time (min over min, median over
    median); ``target`` is the smallest speed-up that meets the goal (0.67
    for "within 1.5x of the baseline").
    """
    mine, theirs = stats(times[ours]), stats(times[baseline])
    speedup = {k: theirs[k] / mine[k] for k in ("min", "median")}
    return {
        "case": name,
        "ours": ours,
        "baseline": baseline,
        "ours_seconds": mine,
        "baseline_seconds": theirs,
        "speedup": speedup,
        "ours_peak_mib": (peaks or {}).get(ours),
        "baseline_peak_mib": (peaks or {}).get(baseline),
        "target_speedup": target,
        "met": None if target is None else min(speedup.values()) >= target,
        "note": note,
    }


def write_results(path: Path | None, bench: str, size: str, cases: list[dict[str, Any]]) -> None:
    """Print the cases and, with ``path``, write them with the machine as JSON."""
    print(f"\n{bench} ({size})")
    header = f"{'case':<44}{'ours min/med s':>18}{'base min/med s':>18}{'speed-up':>14}{'MiB':>14}"
    print(header)
    print("-" * len(header))
    for row in cases:
        o, b, r = row["ours_seconds"], row["baseline_seconds"], row["speedup"]
        peaks = f"{fmt_mib(row['ours_peak_mib'])}/{fmt_mib(row['baseline_peak_mib'])}"
        print(
            f"{row['case']:<44}{o['min']:>9.3f}/{o['median']:<8.3f}{b['min']:>9.3f}/"
            f"{b['median']:<8.3f}{r['min']:>6.2f}/{r['median']:<6.2f}x{peaks:>14}"
            + ("" if row["met"] is None else ("  met" if row["met"] else "  MISSED"))
        )
    if path is not None:
        payload = {"bench": bench, "size": size, "machine": machine(), "cases": cases}
        path.write_text(json.dumps(payload, indent=2) + "\n")


def fmt_mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def records_parser(doc: str, *, child_nargs: int) -> argparse.ArgumentParser:
    """Return the options of a benchmark over N records (``--child``: a side's process)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=MIN_REPEAT)
    parser.add_argument("--quick", action="store_true", help="100,000 records")
    parser.add_argument("--no-memory", action="store_true", help="skip the per-side processes")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--child", nargs=child_nargs, help=argparse.SUPPRESS)
    return parser
