"""Normalising API pages: normalize_pages vs today's dict path vs a pandas notebook.

The input is what the client holds after a sweep: each page's raw JSON bytes
(``{"results": [30 records], "pagination": {...}}``, built with the replica's
``page_body`` from ``sample.generate_records(N)``, cached in the temporary
folder). Three sides turn them into a frame:

* ``normalize_pages``: the bytes straight to columns (polars' JSON reader);
* today: ``json.loads`` of every page, then ``normalize_records`` of the
  records (what the client and ``pull`` do now);
* a notebook: ``json.loads``, ``pd.json_normalize``, dates and areas parsed
  with pandas, one ``shapely.Point`` per record in a Python loop. It does
  less than normalize_records (no spellings, no gazetteer placement, no
  quality checks), so the comparison favours it.

``normalize_pages`` must equal today's frame exactly (``frame.equals``); the
notebook's frame must agree on what both compute (codes, dates, areas,
API points). Targets: at least 1.4x faster than today, at least 3x faster
than the notebook, peak memory at most the notebook's.

Run: ``python benchmarks/bench_normalize.py [--records N] [--repeat R] [--json OUT]``
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import polars as pl

from benchmarks._measure import (
    alternate,
    case,
    child_json,
    measure,
    records_parser,
    write_results,
)
from mining_licenses import schema as s

PAGE = 30
OURS, TODAY, NOTEBOOK = "normalize_pages", "json.loads + normalize_records", "pandas notebook"


def page_bodies(records: int) -> list[bytes]:
    """The API's page bodies for ``records`` synthetic records (cached on disk)."""
    from mining_licenses import __version__

    stem = Path(tempfile.gettempdir()) / f"mining-licenses-pages-{records}-{__version__}"
    data, index = stem.with_suffix(".bin"), stem.with_suffix(".npy")
    if not (data.exists() and index.exists()):
        from mining_licenses.replica._http import page_body
        from mining_licenses.sample import generate_records

        encoded = [json.dumps(r, default=str).encode() for r in generate_records(records)]
        bodies = [
            page_body(encoded[at : at + PAGE], records, PAGE, at) for at in range(0, records, PAGE)
        ]
        np.save(index, np.cumsum([0, *map(len, bodies)]))
        data.write_bytes(b"".join(bodies))
        return bodies
    blob, ends = data.read_bytes(), np.load(index).tolist()
    return [blob[a:b] for a, b in itertools.pairwise(ends)]


def ours(bodies: list[bytes]) -> pl.DataFrame:
    from mining_licenses.normalize import normalize_pages

    return normalize_pages(bodies, fetched_at=FETCHED)


def today(bodies: list[bytes]) -> pl.DataFrame:
    from mining_licenses.normalize import normalize_records

    records = [r for body in bodies for r in json.loads(body)["results"]]
    return normalize_records(records, fetched_at=FETCHED)


def notebook(bodies: list[bytes]) -> Any:
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    records = [r for body in bodies for r in json.loads(body)["results"]]
    df = pd.json_normalize(records)
    for column in (s.EFFECTIVE_DATE, s.EXPIRY_DATE):
        df[column] = pd.to_datetime(df[column], errors="coerce")
    df[s.AREA_HA] = pd.to_numeric(df[s.AREA_HA], errors="coerce")
    geometry = [
        Point(c[0], c[1]) if isinstance(c, list) and len(c) >= 2 else None
        for c in df.get("location.coordinates", pd.Series([None] * len(df)))
    ]
    return gpd.GeoDataFrame(df, geometry=geometry, crs="EPSG:4326")


SIDES = {OURS: ours, TODAY: today, NOTEBOOK: notebook}


def _fetched() -> Any:
    import datetime as dt

    return dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)


FETCHED = _fetched()


def check_equal(mine: pl.DataFrame, current: pl.DataFrame, pandas_side: Any) -> None:
    """normalize_pages equals today exactly; the notebook agrees where both compute."""
    assert mine.equals(current), "normalize_pages differs from json.loads + normalize_records"
    assert len(pandas_side) == mine.height
    dates = [s.EFFECTIVE_DATE, s.EXPIRY_DATE]
    theirs = pl.from_pandas(pandas_side[[s.WIUP_CODE, s.AREA_HA, *dates]]).with_columns(
        pl.col(dates).cast(pl.Date())
    )
    for column in theirs.columns:  # invalid values are null on both sides
        assert theirs[column].equals(mine[column], check_names=False), column
    x = [None if g is None else g.x for g in pandas_side.geometry]
    api = mine[s.GEOMETRY_SOURCE] == s.GEOMETRY_FROM_API
    assert (mine[s.LONGITUDE].filter(api) == pl.Series(x, dtype=pl.Float64()).filter(api)).all()


def run_child(side: str, records: int) -> None:
    """In a fresh interpreter: warm up on a few pages, then measure one full call."""
    bodies = page_bodies(records)
    SIDES[side](bodies[:50])
    _, seconds, peak = measure(lambda: SIDES[side](bodies))
    print(json.dumps({"peak_mib": peak, "seconds": seconds}))


def main() -> None:
    parser = records_parser(__doc__, child_nargs=2)
    args = parser.parse_args()
    if args.child:
        run_child(args.child[0], int(args.child[1]))
        return
    records = 100_000 if args.quick else args.records
    print(f"building {records:,} records as pages of {PAGE} ...", flush=True)
    bodies = page_bodies(records)
    # the equality check is each side's warm-up run
    outputs = {name: fn(bodies) for name, fn in SIDES.items()}
    check_equal(outputs[OURS], outputs[TODAY], outputs[NOTEBOOK])
    del outputs
    print("outputs checked equal; timing ...", flush=True)
    times = alternate(
        {name: (lambda fn=fn: fn(bodies)) for name, fn in SIDES.items()},
        repeat=args.repeat,
        warmup={name: (lambda fn=fn: fn(bodies[:50])) for name, fn in SIDES.items()},
    )
    peaks: dict[str, float | None] = {}
    if not args.no_memory:
        for name in SIDES:
            peaks[name] = child_json([__file__, "--child", name, str(records)])["peak_mib"]
    rows = [
        case(f"normalize_pages vs {TODAY}", ours=OURS, baseline=TODAY, times=times,
             peaks=peaks, target=1.4),
        case(f"normalize_pages vs {NOTEBOOK}", ours=OURS, baseline=NOTEBOOK, times=times,
             peaks=peaks, target=3.0, note="peak memory target: at most the notebook's"),
        case(f"normalize_records (today) vs {NOTEBOOK}", ours=TODAY, baseline=NOTEBOOK,
             times=times, peaks=peaks),
    ]  # fmt: skip
    size = f"{records:,} records in {len(bodies):,} pages of {PAGE}"
    write_results(args.json, "normalize", size, rows)


if __name__ == "__main__":
    main()
