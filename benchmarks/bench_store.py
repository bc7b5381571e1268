"""Snapshot files: write_snapshot / read_snapshot vs geopandas' GeoParquet defaults.

The baseline is what a notebook would do: ``GeoDataFrame.to_parquet(path)``
and ``geopandas.read_parquet(path)`` with their defaults (snappy, no bbox
column, input order). Ours starts from the canonical polars frame and writes
GeoParquet 1.1 with a bbox covering column, Hilbert-ordered rows, ZSTD and
provenance, so it does more work for the same rows. The input is the
deterministic synthetic registry (``sample.generate_records(N)`` normalised),
built once; building it is not timed.

Both files are read back and checked to hold the same rows (sorted by
``wiup_code``, same values and points) before timing; reads are checked
against each other the same way. Timing and memory follow ``_measure.py``.

Targets (issue 4): write no slower than geopandas, read at least as fast
(speed-up >= 1), file at most 0.8x the size. Issue 16: the checksum every
read checks (a SHA-256 of the whole file before polars decodes it) costs at
most 1.3x an unverified read.

Run: ``python benchmarks/bench_store.py [--records N] [--repeat R] [--json OUT]``
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import geopandas as gpd
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
from mining_licenses.geo import points_from_frame
from mining_licenses.store import read_snapshot, write_snapshot

WRITE = ("write_snapshot", "gdf.to_parquet")
READ = (
    "read_snapshot (polars)",
    "read_snapshot (polars, verify=False)",
    "read_snapshot (geopandas)",
    "geopandas.read_parquet",
)
POLARS, UNVERIFIED, GEOPANDAS, BASELINE = READ


def build_input(records: int, path: Path) -> None:
    from mining_licenses import sample
    from mining_licenses.normalize import normalize_records

    frame = normalize_records(sample.generate_records(records), fetched_at=sample.SAMPLE_FETCHED_AT)
    frame.write_parquet(path)


class Work:
    """The input in both forms and a folder for the files written."""

    def __init__(self, source: Path, folder: Path) -> None:
        self.frame = pl.read_parquet(source).rechunk()  # one chunk, as normalize_records gives
        # A notebook's GeoDataFrame (numpy-backed pandas): geopandas.read_parquet cannot
        # read back the file of geo.to_geodataframe's pyarrow-backed one.
        self.gdf = gpd.GeoDataFrame(
            self.frame.to_pandas(), geometry=points_from_frame(self.frame), crs=s.CRS
        )
        self.folder = folder
        self.count = 0

    def target(self, stem: str) -> Path:
        self.count += 1
        return self.folder / f"{stem}{self.count}"

    def write(self, side: str) -> Path:
        if side == WRITE[0]:
            return write_snapshot(self.frame, store=self.target("ours"))
        path = self.target("geopandas").with_suffix(".parquet")
        self.gdf.to_parquet(path)
        return path

    def read(self, side: str, files: dict[str, Path]) -> Any:
        if side == BASELINE:
            return gpd.read_parquet(files[WRITE[1]])
        as_ = "geopandas" if "geopandas" in side else "polars"
        return read_snapshot(files[WRITE[0]], as_=as_, verify="verify=False" not in side)


def _rows(data: Any) -> pl.DataFrame:
    """Canonical columns and the point of each row, sorted: order-free comparison."""
    if isinstance(data, pl.DataFrame):
        frame = data
    else:
        frame = pl.from_pandas(
            data.drop(columns="geometry").assign(
                **{s.LONGITUDE: data.geometry.x, s.LATITUDE: data.geometry.y}
            )
        )
    columns = [s.WIUP_CODE, s.LICENSE_NUMBER, s.COMPANY_NAME, s.AREA_HA, s.LONGITUDE, s.LATITUDE]
    out = frame.select(columns).cast({s.AREA_HA: pl.Float64(), s.LONGITUDE: pl.Float64()})
    return out.with_columns(pl.col(s.LONGITUDE, s.LATITUDE).fill_nan(None)).sort(
        columns, nulls_last=True
    )


def check_equal(work: Work, files: dict[str, Path]) -> None:
    """Both files, read by geopandas and by us, hold the same rows."""
    expected = _rows(work.frame)
    for side in READ:
        assert _rows(work.read(side, files)).equals(expected), side
    assert _rows(gpd.read_parquet(files[WRITE[0]])).equals(expected), "ours read by geopandas"


def run_child(kind: str, side: str, source: Path, folder: Path) -> None:
    """In a fresh interpreter: one warm-up call, then one measured call."""
    work = Work(source, folder)
    files = {name: next(folder.glob(f"first-{i}*")) for i, name in enumerate(WRITE)}
    if kind == "write":
        work.write(side)
        _, seconds, peak = measure(lambda: work.write(side))
    else:
        del work.gdf  # the read side holds only what it reads
        work.read(side, files)
        _, seconds, peak = measure(lambda: work.read(side, files))
    print(json.dumps({"peak_mib": peak, "seconds": seconds}))


def _cost(times: dict[str, list[float]]) -> str:
    """Say what the check adds to a read, from the medians."""
    verified, unverified = (statistics.median(times[side]) for side in (POLARS, UNVERIFIED))
    return (
        f"the SHA-256 check adds {1000 * (verified - unverified):.0f} ms, "
        f"{verified / unverified - 1:.0%} of an unverified read"
    )


def main() -> None:
    parser = records_parser(__doc__, child_nargs=4)
    args = parser.parse_args()
    if args.child:
        kind, side, source, folder = args.child
        run_child(kind, side, Path(source), Path(folder))
        return
    records = 100_000 if args.quick else args.records
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "input.parquet"
        print(f"building {records:,} synthetic licenses ...", flush=True)
        build_input(records, source)
        work = Work(source, folder)
        files = {}
        for i, side in enumerate(WRITE):
            written = work.write(side)
            files[side] = written.rename(folder / f"first-{i}{written.suffix}")
        check_equal(work, files)
        sizes = {side: files[side].stat().st_size for side in WRITE}
        write_times = alternate(
            {side: lambda x=side: work.write(x) for side in WRITE}, repeat=args.repeat
        )
        read_times = alternate(
            {side: lambda x=side: work.read(x, files) for side in READ if side != UNVERIFIED},
            repeat=args.repeat,
        )
        # the checksum's cost: the two polars reads alone, alternating (a read right
        # after geopandas' pays for the memory that one handed back)
        check_times = alternate(
            {side: lambda x=side: work.read(x, files) for side in (POLARS, UNVERIFIED)},
            repeat=args.repeat,
        )
        peaks: dict[str, float | None] = dict.fromkeys((*WRITE, *READ), math.nan)
        if not args.no_memory:
            del work
            for kind, sides in (("write", WRITE), ("read", READ)):
                for side in sides:
                    command = [__file__, "--child", kind, side, str(source), str(folder)]
                    peaks[side] = child_json(command)["peak_mib"]
    ratio = sizes[WRITE[0]] / sizes[WRITE[1]]
    size_note = (
        f"file {sizes[WRITE[0]] / 1e6:.1f} MB vs {sizes[WRITE[1]] / 1e6:.1f} MB, "
        f"{ratio:.2f}x the size (target at most 0.8x: {'met' if ratio <= 0.8 else 'missed'})"
    )
    rows = [
        case("write_snapshot vs gdf.to_parquet", ours=WRITE[0], baseline=WRITE[1],
             times=write_times, peaks=peaks, target=1.0, note=size_note),
        case("read_snapshot (polars) vs geopandas.read_parquet", ours=POLARS, baseline=BASELINE,
             times=read_times, peaks=peaks, target=1.0),
        case("read_snapshot(as_='geopandas') vs geopandas.read_parquet", ours=GEOPANDAS,
             baseline=BASELINE, times=read_times, peaks=peaks, target=1.0),
        case("read_snapshot, checksum verified vs verify=False", ours=POLARS, baseline=UNVERIFIED,
             times=check_times, peaks=peaks, target=0.77, note=_cost(check_times)),
    ]  # fmt: skip
    write_results(args.json, "store", f"{records:,} licenses", rows)


if __name__ == "__main__":
    main()
