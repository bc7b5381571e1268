"""Benchmark mining_licenses.spatial.overlap against the same join written directly in geopandas.

Run: ``.venv/bin/python benchmarks/bench_spatial.py [--licenses N] [--polygons M] [--json OUT]``

10,000 licenses (points from the API, across Indonesia) against a layer of
100,000 polygons (irregular hexagons of 0.5 to 30 km across, many
overlapping, EPSG:4326), both built vectorised and deterministically. Ours:
``overlap(licenses, layer)`` on the polars frame, which also checks the layer
(CRS, polygons, validity), checksums it for the provenance, and returns the
per-license and per-feature frames. The baseline is what a competent
geopandas user writes for the same pairs: ``gpd.sjoin(points, layer,
predicate="intersects")`` on the licenses' GeoDataFrame (converted once,
outside the timings). Both outputs' (license, feature) pairs are checked equal
before timing. Timing follows ``_measure.py``: a warm-up, at least five
alternating runs, min and median. Both sides query the layer's spatial index
(geopandas' ``sindex``, built once per layer object, kept between runs on
both sides alike).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import polars as pl
import shapely

from mining_licenses import schema as s
from mining_licenses.geo import to_geodataframe
from mining_licenses.spatial import columns as c
from mining_licenses.spatial import overlap
from mining_licenses.store import bundled_sample_path, read_snapshot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._measure import MIN_REPEAT, alternate, case, write_results

OURS, BASE = "overlap (point)", "gpd.sjoin"


def licenses(n: int, *, seed: int = 19) -> pl.DataFrame:
    """``n`` canonical licenses (the sample's rows, tiled) at points across Indonesia."""
    rng = np.random.default_rng(seed)
    sample = read_snapshot(bundled_sample_path())
    rows = sample[np.arange(n) % sample.height]
    lon0, lat0, lon1, lat1 = s.INDONESIA_BOUNDS
    return rows.with_columns(
        pl.Series(s.WIUP_CODE, [f"{i:016d}" for i in range(n)]),
        pl.Series(s.LONGITUDE, rng.uniform(lon0, lon1, n)),
        pl.Series(s.LATITUDE, rng.uniform(lat0, lat1, n)),
        pl.lit(s.GEOMETRY_FROM_API).alias(s.GEOMETRY_SOURCE),
    )


def layer(n: int, *, seed: int = 7) -> gpd.GeoDataFrame:
    """``n`` irregular hexagons across Indonesia's extent, in EPSG:4326."""
    rng = np.random.default_rng(seed)
    lon0, lat0, lon1, lat1 = s.INDONESIA_BOUNDS
    cx, cy = rng.uniform(lon0, lon1, n), rng.uniform(lat0, lat1, n)
    radius = rng.uniform(0.0025, 0.15, n)[:, None] * rng.uniform(0.7, 1.0, (n, 6))
    angle = np.linspace(0, 2 * np.pi, 6, endpoint=False) + rng.uniform(0, 1, (n, 1))
    ring = np.stack(
        [cx[:, None] + radius * np.cos(angle), cy[:, None] + radius * np.sin(angle)], -1
    )
    shapes = shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))
    return gpd.GeoDataFrame({"name": np.arange(n).astype(str)}, geometry=shapes, crs="EPSG:4326")


def pairs_ours(frame: pl.DataFrame, areas: gpd.GeoDataFrame) -> pl.DataFrame:
    return overlap(frame, areas).pairs.select(s.WIUP_CODE, c.FEATURE_INDEX)


def pairs_geopandas(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pl.DataFrame:
    joined = gpd.sjoin(points[[s.WIUP_CODE, "geometry"]], areas, predicate="intersects")
    return pl.DataFrame(
        {
            s.WIUP_CODE: joined[s.WIUP_CODE].to_numpy().astype(str),
            c.FEATURE_INDEX: joined["index_right"].to_numpy().astype(np.int64),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licenses", type=int, default=10_000)
    parser.add_argument("--polygons", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=MIN_REPEAT)
    parser.add_argument("--quick", action="store_true", help="1,000 licenses, 10,000 polygons")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    n, m = (1_000, 10_000) if args.quick else (args.licenses, args.polygons)
    warnings.simplefilter("ignore")  # the sample's rows say they are synthetic
    frame = licenses(n)
    points = to_geodataframe(frame)
    areas = layer(m)
    key = [s.WIUP_CODE, c.FEATURE_INDEX]
    ours, theirs = pairs_ours(frame, areas).sort(key), pairs_geopandas(points, areas).sort(key)
    if not ours.equals(theirs):
        msg = f"the two joins differ: {ours.height:,} pairs against {theirs.height:,}"
        raise SystemExit(msg)
    print(f"{ours.height:,} (license, feature) pairs, equal on both sides")
    times = alternate(
        {OURS: lambda: pairs_ours(frame, areas), BASE: lambda: pairs_geopandas(points, areas)},
        repeat=max(args.repeat, MIN_REPEAT),
    )
    note = f"{ours.height:,} pairs; ours also checks and checksums the layer"
    rows = [case(f"{n:,} licenses x {m:,} polygons", ours=OURS, baseline=BASE, times=times,
                 note=note)]  # fmt: skip
    write_results(args.json, "spatial", f"{n:,} licenses, {m:,} polygons", rows)


if __name__ == "__main__":
    main()
