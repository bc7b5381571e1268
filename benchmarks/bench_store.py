"""Snapshot files: write_snapshot / read_snapshot vs geopandas' GeoParquet defaults.

The baseline is what a notebook would do: ``GeoDataFrame.to_parquet(path)``
and ``geopandas.read_parquet(path)`` with their defaults (snappy, no bbox
column, input order). Ours starts from the canonical polars frame and writes
GeoParquet 1.1 with a bbox covering column, Hilbert-ordered rows, ZSTD and
provenance, so it does more work for the same rows. The input is the
deterministic synthetic registry (``sample.generate_records(N)`` normalised),
built once and handed to each side as a plain Parquet file; building it is not
timed. Every measurement runs in its own subprocess so that peak memory
(resident high-water mark above the process's start) belongs to that call.

Targets (issue 4): write no slower than geopandas, read at least as fast, file
at most 0.8x the size.

Run: ``python benchmarks/bench_store.py [--records N] [--repeat R] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._measure import best_of, fmt_mib

SIDES = {
    "write": ("write_snapshot", "gdf.to_parquet"),
    "read": ("read_snapshot (polars)", "read_snapshot (geopandas)", "geopandas.read_parquet"),
}


def build_input(records: int, path: Path) -> None:
    from mining_licenses import sample
    from mining_licenses.normalize import normalize_records

    frame = normalize_records(sample.generate_records(records), fetched_at=sample.SAMPLE_FETCHED_AT)
    frame.write_parquet(path)


def _write_side(side: str, source: Path, work: Path, repeat: int) -> dict[str, Any]:
    import polars as pl

    from mining_licenses.geo import points_from_frame
    from mining_licenses.schema import CRS
    from mining_licenses.store import write_snapshot

    frame = pl.read_parquet(source).rechunk()  # one chunk, as normalize_records returns it
    counter = iter(range(10_000))
    if side == "write_snapshot":

        def run() -> Path:
            return write_snapshot(frame, store=work / f"ours{next(counter)}")

    else:
        import geopandas as gpd

        # A notebook's GeoDataFrame (numpy-backed pandas). geo.to_geodataframe's
        # pyarrow-backed one writes, but geopandas.read_parquet cannot read that file
        # back (pandas cannot parse the 'large_list<...>[pyarrow]' dtype it records).
        gdf = gpd.GeoDataFrame(frame.to_pandas(), geometry=points_from_frame(frame), crs=CRS)
        del frame

        def run() -> Path:
            path = work / f"geopandas{next(counter)}.parquet"
            gdf.to_parquet(path)
            return path

    seconds, peak = best_of(run, repeat)
    out = run()
    return {"bytes": out.stat().st_size, "seconds": seconds, "peak_mib": peak, "file": str(out)}


def _read_side(side: str, file: Path, repeat: int) -> dict[str, Any]:
    import geopandas as gpd

    from mining_licenses.store import read_snapshot

    def run() -> int:
        if side == "geopandas.read_parquet":
            return len(gpd.read_parquet(file))
        as_ = "geopandas" if "geopandas" in side else "polars"
        return len(read_snapshot(file, as_=as_))

    seconds, peak = best_of(run, repeat)
    return {"rows": run(), "seconds": seconds, "peak_mib": peak}


def _child(argv: list[str]) -> None:
    kind, side, path, work, repeat = argv
    if kind == "write":
        result = _write_side(side, Path(path), Path(work), int(repeat))
    else:
        result = _read_side(side, Path(path), int(repeat))
    print(json.dumps(result))


def _run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "input.parquet"
        print(f"building {args.records:,} synthetic licenses ...", flush=True)
        build_input(args.records, source)
        rows: list[dict[str, Any]] = []
        files: dict[str, dict[str, Any]] = {}
        for side in SIDES["write"]:
            result = _run_child("write", side, str(source), str(work), str(args.repeat))
            files[side] = result
            rows.append({"step": "write", "side": side, **result})
        for side in SIDES["read"]:
            file = files["gdf.to_parquet" if side == "geopandas.read_parquet" else "write_snapshot"]
            result = _run_child("read", side, file["file"], str(work), str(args.repeat))
            rows.append({"step": "read", "side": side, "bytes": file["bytes"], **result})

    ours, theirs = files["write_snapshot"], files["gdf.to_parquet"]
    read = {r["side"]: r["seconds"] for r in rows if r["step"] == "read"}
    ratios = {
        "write_time": ours["seconds"] / theirs["seconds"],
        "read_time_polars": read["read_snapshot (polars)"] / read["geopandas.read_parquet"],
        "read_time_geopandas": read["read_snapshot (geopandas)"] / read["geopandas.read_parquet"],
        "size": ours["bytes"] / theirs["bytes"],
    }
    print(f"\n{args.records:,} licenses, best of {args.repeat}, each side in its own process\n")
    print(f"{'step':<6} {'side':<27} {'seconds':>8} {'peak memory':>12} {'file size':>10}")
    for r in rows:
        size = f"{r['bytes'] / 2**20:,.1f} MiB"
        print(
            f"{r['step']:<6} {r['side']:<27} {r['seconds']:>8.2f} "
            f"{fmt_mib(r['peak_mib']):>12} {size:>10}"
        )
    print(
        f"\nours / geopandas: write time {ratios['write_time']:.2f}x (target <= 1), "
        f"read time {ratios['read_time_polars']:.2f}x polars / "
        f"{ratios['read_time_geopandas']:.2f}x geopandas (target <= 1), "
        f"size {ratios['size']:.2f}x (target <= 0.8)"
    )
    if args.json:
        for r in rows:
            r.pop("file", None)
        args.json.write_text(
            json.dumps({"records": args.records, "rows": rows, "ratios": ratios}, indent=2)
        )


if __name__ == "__main__":
    main()
