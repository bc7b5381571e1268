"""Benchmark mining_licenses.spatial.overlap against the same join written directly in geopandas.

Run: ``.venv/bin/python benchmarks/bench_spatial.py [--licenses N] [--polygons M] [--json OUT]``

10,000 licenses (points from the API, across Indonesia) against a layer of
100,000 polygons (irregular hexagons of 0.5 to 30 km across, many
overlapping, EPSG:4326), both built vectorised and deterministically. Two
cases, each alternating the sides after a warm-up (``_measure.py``: at least
five runs each, min and median), their outputs checked equal first:

* points: ours is ``overlap(licenses, layer)`` on the polars frame, which
  also checks the layer (CRS, polygons), checksums it for the provenance and
  returns the per-license and per-feature frames; the baseline is what a
  competent geopandas user writes for the same pairs, ``gpd.sjoin(points,
  layer, predicate="intersects")`` on the licenses' GeoDataFrame (converted
  once, outside the timings). The (license, feature) pairs are checked equal.
* circles: ours is ``overlap(..., footprint="circle")`` (it also checks the
  layer's validity); the baseline draws the same circles (a geodesic 64-gon
  of the licensed area around each point, with pyproj's ``Geod.fwd``, the
  radius widened as ``overlap`` widens it), joins them with ``gpd.sjoin``,
  intersects each pair, measures areas on the same equal-area CRS
  (``to_crs``) and dissolves each license's parts for its share inside any
  feature. Pairs, shares and shares in any are checked equal (to 1e-9). A
  planar ``buffer`` in a projected CRS would draw other circles (an ellipse
  on the ground, up to a few percent off across Indonesia), whose answers
  could not be checked equal to ours.

Both sides query the layer's spatial index (geopandas' ``sindex``, built once
per layer object, kept between runs on both sides alike); ours also keeps
what its checks and checksum found while the layer is unchanged
(``spatial/_layerfacts.py``), computed on the warm-up call, and tests points
against the layer's edges from its second screen on. A third case gives both
sides a new copy of the layer on every call (``.copy()``, on both sides):
each builds the index again, and ours checks and hashes the layer again and
tests points with GEOS, as on a first screen.
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
OURS_CIRCLE, BASE_CIRCLE = "overlap (circle)", "circles + gpd.sjoin + intersection"
#: The equal-area CRS the baseline measures in (the one overlap uses, written out).
LAEA = "+proj=laea +lat_0=-2 +lon_0=118 +datum=WGS84 +units=m +no_defs"
VERTICES = 64


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


def circles_ours(frame: pl.DataFrame, areas: gpd.GeoDataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Our circle screen: (license, feature, share) pairs and each license's share in any."""
    result = overlap(frame, areas, footprint="circle")
    pairs = result.pairs.select(s.WIUP_CODE, c.FEATURE_INDEX, c.APPROX_CIRCLE_SHARE)
    licenses = result.licenses.filter(pl.col(c.FEATURES) > 0)
    return pairs, licenses.select(s.WIUP_CODE, c.APPROX_CIRCLE_SHARE_ANY)


def circles_geopandas(
    frame: pl.DataFrame, areas: gpd.GeoDataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The same circles written directly: pyproj's geodesic circles, sjoin, intersection, areas."""
    from pyproj import Geod

    area = frame[s.AREA_HA].cast(pl.Float64).to_numpy()
    rows = frame.filter(pl.Series(np.isfinite(area) & (area > 0) & (area <= s.MAX_AREA_HA)))
    n, area = rows.height, rows[s.AREA_HA].cast(pl.Float64).to_numpy()
    radius = np.sqrt(area * 1e4 / (VERTICES / 2 * np.sin(2 * np.pi / VERTICES)))
    lon, lat, _ = Geod(ellps="WGS84").fwd(
        np.repeat(rows[s.LONGITUDE].to_numpy(), VERTICES),
        np.repeat(rows[s.LATITUDE].to_numpy(), VERTICES),
        np.tile(np.linspace(0.0, 360.0, VERTICES, endpoint=False), n),
        np.repeat(radius, VERTICES),
    )
    ring = np.stack([lon.reshape(n, -1), lat.reshape(n, -1)], -1)
    shapes = shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))
    codes = rows[s.WIUP_CODE].to_numpy()
    circles = gpd.GeoDataFrame({s.WIUP_CODE: codes}, geometry=shapes, crs="OGC:CRS84")
    joined = gpd.sjoin(circles, areas[["geometry"]], predicate="intersects")
    inside = joined.geometry.intersection(areas.geometry.loc[joined["index_right"]], align=False)
    inside_m2 = inside.to_crs(LAEA)
    circle_m2 = circles.geometry.to_crs(LAEA).area
    pieces = gpd.GeoDataFrame({s.WIUP_CODE: joined[s.WIUP_CODE]}, geometry=inside_m2, crs=LAEA)
    merged = pieces.dissolve(s.WIUP_CODE)
    whole = circle_m2.set_axis(codes).loc[merged.index].to_numpy()
    pairs = pl.DataFrame(
        {
            s.WIUP_CODE: joined[s.WIUP_CODE].to_numpy().astype(str),
            c.FEATURE_INDEX: joined["index_right"].to_numpy().astype(np.int64),
            c.APPROX_CIRCLE_SHARE: (inside_m2.area / circle_m2.loc[joined.index]).to_numpy(),
        }
    )
    licenses = pl.DataFrame(
        {
            s.WIUP_CODE: merged.index.to_numpy().astype(str),
            c.APPROX_CIRCLE_SHARE_ANY: np.minimum(merged.area.to_numpy() / whole, 1.0),
        }
    )
    return pairs, licenses


def pairs_geopandas(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pl.DataFrame:
    joined = gpd.sjoin(points[[s.WIUP_CODE, "geometry"]], areas, predicate="intersects")
    return pl.DataFrame(
        {
            s.WIUP_CODE: joined[s.WIUP_CODE].to_numpy().astype(str),
            c.FEATURE_INDEX: joined["index_right"].to_numpy().astype(np.int64),
        }
    )


def equal_circles(frame: pl.DataFrame, areas: gpd.GeoDataFrame) -> int:
    """Check both circle screens give the same pairs, shares and shares in any; return the pairs."""
    key = [s.WIUP_CODE, c.FEATURE_INDEX]
    ours, theirs = circles_ours(frame, areas), circles_geopandas(frame, areas)
    for mine, other, by, value in (
        (ours[0], theirs[0], key, c.APPROX_CIRCLE_SHARE),
        (ours[1], theirs[1], [s.WIUP_CODE], c.APPROX_CIRCLE_SHARE_ANY),
    ):
        a, b = mine.sort(by), other.sort(by)
        if not (a.select(by).equals(b.select(by)) and ((a[value] - b[value]).abs() <= 1e-9).all()):
            msg = f"the circle screens differ in {value}: {a.height:,} rows against {b.height:,}"
            raise SystemExit(msg)
    print(f"{ours[0].height:,} circle pairs, their shares and shares in any equal on both sides")
    return int(ours[0].height)


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
    circles = equal_circles(frame, areas)
    repeat = max(args.repeat, MIN_REPEAT)
    times = alternate(
        {OURS: lambda: pairs_ours(frame, areas), BASE: lambda: pairs_geopandas(points, areas)},
        repeat=repeat,
    )
    note = (
        f"{ours.height:,} pairs; ours also checks the layer and gives its checksum, both kept "
        "from the warm-up while the layer is unchanged, and builds three frames"
    )
    size = f"{n:,} licenses x {m:,} polygons"
    rows = [case(f"points: {size}", ours=OURS, baseline=BASE, times=times, note=note)]
    times = alternate(  # a layer seen for the first time: nothing kept on either side
        {
            OURS: lambda: pairs_ours(frame, areas.copy()),
            BASE: lambda: pairs_geopandas(points, areas.copy()),
        },
        repeat=repeat,
    )
    note = "a new copy of the layer each call: both build its index, ours checks and hashes it"
    rows.append(
        case(f"points, new layer: {size}", ours=OURS, baseline=BASE, times=times, note=note)
    )
    times = alternate(
        {
            OURS_CIRCLE: lambda: circles_ours(frame, areas),
            BASE_CIRCLE: lambda: circles_geopandas(frame, areas),
        },
        repeat=repeat,
    )
    note = (
        f"{circles:,} pairs; shares per pair and per license (a dissolve), the same "
        "geodesic circles on both sides"
    )
    rows.append(
        case(f"circles: {size}", ours=OURS_CIRCLE, baseline=BASE_CIRCLE, times=times, note=note)
    )
    write_results(args.json, "spatial", f"{n:,} licenses, {m:,} polygons", rows)


if __name__ == "__main__":
    main()
