"""Shared measuring helpers for the benchmarks: wall time and peak memory.

Peak memory is the process's resident high-water mark (VmHWM) above what it
held before the measured call: Linux lets a process reset its high-water mark
(``/proc/self/clear_refs``), which also counts memory that polars, Arrow and
GEOS allocate outside Python's allocator (tracemalloc would miss it).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


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


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, float | None]:
    """Best wall time of ``repeat`` runs and the largest peak memory seen."""
    times, peaks = [], []
    for _ in range(repeat):
        _, seconds, peak = measure(fn)
        times.append(seconds)
        if peak is not None:
            peaks.append(peak)
    return min(times), (max(peaks) if peaks else None)


def fmt_mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} MiB"
