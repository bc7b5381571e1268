"""A deterministic store of daily snapshots for the history benchmarks (and tests).

Day 0 is the bundled sample (4,200 licenses). Each following day a few
licenses are removed, a few new ones added (from a second synthetic registry)
and a few changed (``cnc``, an extended expiry, a corrected area, a renamed
company), and the day is written with :func:`write_snapshot` at its own
``fetched_at``. The same ``days`` and ``seed`` always give the same files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks._measure import MIN_REPEAT
from mining_licenses import companies
from mining_licenses import schema as s
from mining_licenses.normalize import normalize_records
from mining_licenses.sample import generate_records
from mining_licenses.store import bundled_sample_path, read_snapshot, write_snapshot

FIRST_DAY = dt.datetime(2024, 1, 1, 6, 0, tzinfo=dt.UTC)
SEED = 20240101
#: Licenses removed, added and changed per day (before random jitter of +-1).
REMOVED, ADDED, CHANGED = 2, 3, 5


def day_time(day: int) -> dt.datetime:
    return FIRST_DAY + dt.timedelta(days=day)


def _changed(frame: pl.DataFrame, rows: np.ndarray, day: int) -> pl.DataFrame:
    """Change one field of each of ``rows``, cycling through a few kinds of edit."""
    picked = pl.Series(np.isin(np.arange(frame.height), rows))
    kind = pl.int_range(pl.len()) % 4
    edit = pl.lit(picked)
    return frame.with_columns(
        pl.when(edit & (kind == 0))
        .then(pl.when(pl.col(s.CNC) == "CNC").then(pl.lit("non-CNC")).otherwise(pl.lit("CNC")))
        .otherwise(pl.col(s.CNC))
        .alias(s.CNC),
        pl.when(edit & (kind == 1))
        .then(pl.col(s.EXPIRY_DATE).dt.offset_by("5y"))
        .otherwise(pl.col(s.EXPIRY_DATE))
        .alias(s.EXPIRY_DATE),
        pl.when(edit & (kind == 2))
        .then((pl.col(s.AREA_HA) * 1.01).round(2))
        .otherwise(pl.col(s.AREA_HA))
        .alias(s.AREA_HA),
        pl.when(edit & (kind == 3))
        .then(pl.col(s.COMPANY_NAME) + pl.lit(f" (ren. {day})"))
        .otherwise(pl.col(s.COMPANY_NAME))
        .alias(s.COMPANY_NAME),
    )


def build_store(folder: Path, days: int, *, seed: int = SEED) -> Path:
    """Write ``days`` daily snapshots into ``folder`` (created); return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    frame = read_snapshot(bundled_sample_path())
    pool = normalize_records(generate_records(4 * days + 100, seed=seed), fetched_at=FIRST_DAY)
    pool = pool.filter(~pl.col(s.WIUP_CODE).is_in(frame[s.WIUP_CODE].implode()))
    taken = 0
    for day in range(days):
        if day:
            gone = rng.choice(frame.height, REMOVED + int(rng.integers(-1, 2)), replace=False)
            frame = frame.filter(~pl.Series(np.isin(np.arange(frame.height), gone)))
            changed = rng.choice(frame.height, CHANGED + int(rng.integers(-1, 2)), replace=False)
            frame = _changed(frame, changed, day)
            new = ADDED + int(rng.integers(-1, 2))
            frame = pl.concat([frame, pool.slice(taken, new)])
            taken += new
        when = day_time(day)
        frame = frame.with_columns(pl.lit(when).cast(s.COLUMNS[s.FETCHED_AT]).alias(s.FETCHED_AT))
        frame = companies.with_company_keys(frame)  # keys as a pull of that day assigns them
        meta = {"source": "sample", "synthetic": True, "complete": True, "fetched_at": when}
        write_snapshot(frame, store=folder, meta=meta)
    return folder


def cached_store(days: int, *, seed: int = SEED) -> Path:
    """The store of ``days`` snapshots in the temporary folder, built on first use."""
    from mining_licenses import __version__

    # the layout version (-2: company keys assigned per day) is in the name: a changed builder
    # never reuses a store built by the old one
    name = f"mining-licenses-history-{days}d-{seed}-{__version__}-{s.SCHEMA_VERSION}-2"
    folder = Path(tempfile.gettempdir()) / name
    done = folder / ".complete"
    if not done.exists():
        for stale in folder.glob("*.parquet") if folder.exists() else []:
            stale.unlink()
        build_store(folder, days, seed=seed)
        done.touch()
    return folder


def store_parser(doc: str, *, child_nargs: int) -> argparse.ArgumentParser:
    """Return the options every benchmark over this store takes (``--child``: a side's process)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--days", type=int, default=1000, help="daily snapshots in the store")
    parser.add_argument("--repeat", type=int, default=MIN_REPEAT)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--quick", action="store_true", help="100 snapshots")
    parser.add_argument("--no-memory", action="store_true", help="skip the per-side processes")
    parser.add_argument("--child", nargs=child_nargs, help=argparse.SUPPRESS)
    return parser
