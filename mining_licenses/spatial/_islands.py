"""Licenses on small islands: the island under each license's point, its area, and a summary.

Indonesian law bars mining on small islands: islands of at most 2,000 km2
(Law 27/2007 on coastal areas and small islands, as amended by Law 1/2014),
the ground of the Wawonii ruling (2024) and the Raja Ampat revocations (2025).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import polars as pl

from mining_licenses import gazetteer
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError
from mining_licenses.spatial import _geometry as g
from mining_licenses.spatial import columns as c
from mining_licenses.spatial._inputs import licenses_frame, placed, provenance
from mining_licenses.spatial._layers import (
    ISLANDS_AREA,
    ISLANDS_ID,
    ISLANDS_SCALE,
    LayerInfo,
    _bundled_islands,
    read_layer,
)
from mining_licenses.spatial._regencies import SINGLE_ISLAND_REGENCIES

if TYPE_CHECKING:
    import geopandas as gpd

    from mining_licenses.store import SnapshotMeta

#: The law's threshold: an island of at most this many km2 is small.
SMALL_ISLAND_KM2: Final = 2000.0
#: A point at sea this close to an island (metres) is taken to be on it, and flagged.
SNAP_M: Final = 1000.0
_NEEDED: Final = (
    s.WIUP_CODE,
    s.LONGITUDE,
    s.LATITUDE,
    s.GEOMETRY_SOURCE,
    s.AREA_HA,
    s.COMPANY_KEY,
    s.COMMODITY,
)


@dataclasses.dataclass(frozen=True)
class IslandScreen:
    """The result of :func:`small_islands`.

    Attributes
    ----------
    licenses
        Every license given, with ``island_id``, ``island_km2``,
        ``island_label``, ``small_island``, ``island_match`` and
        ``coast_distance_m`` added (see :mod:`mining_licenses.spatial.columns`).
    islands
        One row per island holding licenses: its area, whether it is small,
        licenses, licensed area, companies, commodities, how many licenses were
        snapped from the sea or placed from their regency, and a point inside
        it (``longitude``/``latitude``) to map it.
    notes
        What the numbers can and cannot say: the layer's scale, the snap
        distance, regency-placed licenses. Shown with every output.
    provenance
        What was computed (threshold, snap distance, the islands layer's path,
        CRS, feature count and SHA-256) and on which licenses (their snapshot's
        provenance).
    shapes
        The islands' polygons (shapely, lon/lat), in the order of ``islands``.
    """

    licenses: pl.DataFrame
    islands: pl.DataFrame
    max_km2: float
    snap_m: float
    notes: tuple[str, ...]
    provenance: dict[str, Any]
    shapes: np.ndarray = dataclasses.field(repr=False)

    def counts(self) -> dict[str, int]:
        """Return licenses by ``island_match``, and ``on_small_island``: those on a small island."""
        by_match = dict(
            self.licenses.group_by(c.ISLAND_MATCH).len().iter_rows()  # six rows at most
        )
        counts = {match: int(by_match.get(match, 0)) for match in c.MATCHES}
        counts["on_small_island"] = int(self.licenses[c.SMALL_ISLAND].sum() or 0)
        return counts

    def small(self) -> pl.DataFrame:
        """Return the licenses on a small island (``small_island`` true)."""
        return self.licenses.filter(pl.col(c.SMALL_ISLAND))

    def islands_gdf(self) -> gpd.GeoDataFrame:
        """Return ``islands`` as a GeoDataFrame of the islands' polygons (EPSG:4326)."""
        import geopandas as gpd

        table = self.islands.drop(s.LONGITUDE, s.LATITUDE).to_pandas()
        return gpd.GeoDataFrame(table, geometry=self.shapes, crs=s.CRS)


@dataclasses.dataclass(frozen=True)
class _Islands:
    geometry: np.ndarray  # lon/lat polygons
    ids: np.ndarray
    km2: np.ndarray
    info: LayerInfo


def _islands(islands: gpd.GeoDataFrame | str | os.PathLike[str] | None) -> _Islands:
    if islands is None:
        layer, info = _bundled_islands()
        km2 = layer[ISLANDS_AREA].to_numpy(dtype=np.float64)
        ids = layer[ISLANDS_ID].to_numpy(dtype=np.int64)
        return _Islands(layer.geometry.to_numpy(), ids, km2, info)
    layer, info = read_layer(islands, what="islands")
    source = g.crs_key(layer.crs)
    km2 = np.asarray(shapely_area(g.reproject(layer.geometry.to_numpy(), source, g.EQUAL_AREA_CRS)))
    lonlat = g.reproject(layer.geometry.to_numpy(), source, g.LONLAT)
    return _Islands(lonlat, layer.index.to_numpy(dtype=np.int64) + 1, km2 / 1e6, info)


def shapely_area(geometry: np.ndarray) -> np.ndarray:
    """Return the planar area of each geometry (in the units of its CRS, squared)."""
    import shapely

    return np.asarray(shapely.area(geometry))


def _match(
    x: np.ndarray, y: np.ndarray, layer: _Islands, snap_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return, per point, the island's row (-1: none), its match and metres to its coast."""
    import shapely

    n = len(x)
    row = np.full(n, -1, dtype=np.int64)
    match = np.full(n, c.AT_SEA, dtype=object)
    metres = np.full(n, np.nan)
    if not n:
        return row, match, metres
    points = shapely.points(x, y)
    tree = shapely.STRtree(layer.geometry)
    at, hit = tree.query(points, predicate="within")
    at, hit = g.first_per(at, layer.km2[hit], hit)  # overlapping islands: the smallest
    row[at], match[at], metres[at] = hit, c.ON_ISLAND, 0.0
    sea = np.flatnonzero(row < 0)
    if sea.size:
        near_at, near = tree.query_nearest(points[sea], all_matches=False)
        found = sea[near_at]
        metres[found] = g.distance_m(points[found], layer.geometry[near])
        close = found[metres[found] <= snap_m]
        row[close] = near[metres[found] <= snap_m]
        match[close] = c.SNAPPED
    return row, match, metres


def _regency_codes(frame: pl.DataFrame) -> pl.Series:
    """Return the regency code of each license placed at a regency point (null elsewhere).

    A point shared by several regencies of the gazetteer names none of them.
    """
    points = (
        gazetteer.regencies()
        .select(gazetteer.CODE, s.LONGITUDE, s.LATITUDE)
        .filter(pl.len().over(s.LONGITUDE, s.LATITUDE) == 1)
    )
    joined = frame.select(
        pl.col(s.GEOMETRY_SOURCE),
        pl.col(s.LONGITUDE).cast(pl.Float64),
        pl.col(s.LATITUDE).cast(pl.Float64),
    ).join(points, on=[s.LONGITUDE, s.LATITUDE], how="left", maintain_order="left")
    regency = pl.col(s.GEOMETRY_SOURCE) == s.GEOMETRY_FROM_REGENCY
    return joined.select(pl.when(regency).then(pl.col(gazetteer.CODE))).to_series()


def _labels(layer: _Islands, rows: np.ndarray) -> pl.DataFrame:
    """Label the islands at ``rows`` from the gazetteer: the regencies whose point is on it.

    An island with no regency point is labelled ``near`` the nearest one.
    """
    import shapely

    regencies = gazetteer.regencies().sort(gazetteer.CODE)
    names = regencies[gazetteer.NAME].to_numpy()
    points = shapely.points(regencies[s.LONGITUDE].to_numpy(), regencies[s.LATITUDE].to_numpy())
    shapes = layer.geometry[rows]
    on_point, on_island = shapely.STRtree(shapes).query(points, predicate="within")
    nearest_at, nearest = shapely.STRtree(points).query_nearest(shapes, all_matches=False)
    named = (
        pl.DataFrame({"i": on_island, "name": names[on_point].astype(str), "order": on_point})
        .sort("order")
        .group_by("i")
        .agg(pl.col("name").first(), pl.len().alias("n"))
    )
    near = pl.DataFrame({"i": nearest_at, "near": names[nearest].astype(str)})
    return (
        pl.DataFrame({"i": np.arange(len(rows)), c.ISLAND_ID: layer.ids[rows]})
        .join(named, on="i", how="left")
        .join(near, on="i", how="left")
        .select(
            c.ISLAND_ID,
            pl.when(pl.col("n") > 1)
            .then(pl.format("{} +{}", pl.col("name"), pl.col("n") - 1))
            .when(pl.col("n") == 1)
            .then(pl.col("name"))
            .otherwise(pl.format("near {}", pl.col("near")))
            .alias(c.ISLAND_LABEL),
        )
    )


def _summary(
    licenses: pl.DataFrame, layer: _Islands, rows: np.ndarray
) -> tuple[pl.DataFrame, np.ndarray]:
    import shapely

    inside = shapely.point_on_surface(layer.geometry[rows])
    where = pl.DataFrame(
        {
            c.ISLAND_ID: layer.ids[rows],
            s.LONGITUDE: shapely.get_x(inside),
            s.LATITUDE: shapely.get_y(inside),
        }
    )
    summary = (
        licenses.filter(pl.col(c.ISLAND_MATCH).is_in(c.ON_AN_ISLAND))
        .group_by(c.ISLAND_ID, c.ISLAND_LABEL, c.ISLAND_KM2, c.SMALL_ISLAND)
        .agg(
            pl.len().alias(c.LICENSES),
            pl.col(s.AREA_HA).sum().alias(c.AREA_HA),
            pl.col(s.COMPANY_KEY).drop_nulls().n_unique().alias(c.COMPANIES),
            pl.col(s.COMMODITY).drop_nulls().unique().sort().alias(c.COMMODITIES),
            (pl.col(c.ISLAND_MATCH) == c.SNAPPED).sum().alias(c.SNAPPED_LICENSES),
            (pl.col(c.ISLAND_MATCH) == c.REGENCY_ISLAND).sum().alias(c.REGENCY_LICENSES),
        )
        .join(where, on=c.ISLAND_ID, how="left")
        .sort([c.SMALL_ISLAND, c.LICENSES, c.ISLAND_ID], descending=[True, True, False])
    )
    ids = layer.ids[rows]
    order = np.argsort(ids, kind="stable")
    position = order[np.searchsorted(ids[order], summary[c.ISLAND_ID].to_numpy())]
    return summary, layer.geometry[rows][position]


def _notes(info: LayerInfo, max_km2: float, snap_m: float, *, bundled: bool) -> tuple[str, ...]:
    scale = ISLANDS_SCALE if bundled else f"islands layer {info.path or '(a GeoDataFrame)'}"
    return (
        f"Small island: at most {max_km2:,.0f} km2 (Law 27/2007 as amended by Law 1/2014), "
        f"the whole island's area on an equal-area projection. Layer: {scale}.",
        f"A point at sea within {snap_m:,.0f} m of an island is snapped to it "
        f"(island_match '{c.SNAPPED}'); farther out it is '{c.AT_SEA}'.",
        "A license placed at its regency's point (the record named only the regency) is "
        f"counted on an island only where the whole regency is that island "
        f"('{c.REGENCY_ISLAND}'); elsewhere its island is not known ('{c.REGENCY_UNKNOWN}').",
        "Island labels name the regencies whose gazetteer point lies on the island, or the "
        "nearest one; they are not official island names.",
    )


def small_islands(
    licenses: pl.DataFrame | gpd.GeoDataFrame,
    *,
    max_km2: float = SMALL_ISLAND_KM2,
    snap_m: float = SNAP_M,
    islands: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    meta: SnapshotMeta | Mapping[str, Any] | None = None,
) -> IslandScreen:
    """Find the island each license lies on, its area, and whether it is a small island.

    For each license with a point from the API: the island (land polygon)
    containing it; a point at sea within ``snap_m`` metres of an island is
    snapped to the nearest one and flagged ``snapped``; farther out it is
    flagged ``at_sea``. The island's area (km2) is the whole island's, on an
    equal-area projection, and ``small_island`` says whether it is at most
    ``max_km2`` (2,000 km2, the law's threshold, by default). Licenses placed
    at their regency's point are marked ``regency_island`` (the whole regency
    is one island, so the license is on it) or ``regency_unknown`` (not
    counted on any island); licenses without a point are ``no_point``.

    Precision: the bundled layer is GSHHG's full-resolution shoreline
    (1:250,000). Islands smaller than it resolves (a few hectares) are missing,
    so a license on one shows as snapped or at sea; coasts may be off by a few
    hundred metres. The API's point is one point of the license, not its
    polygon: a license on a small island may have its point offshore. The
    result's ``notes`` say this with every output.

    Parameters
    ----------
    licenses
        The canonical frame (polars) or a GeoDataFrame from ``load_licenses``.
    max_km2
        Islands of at most this area are small.
    snap_m
        Points at sea this close to an island (metres) are snapped to it.
    islands
        Another island layer (a GeoDataFrame or a polygon file in any CRS)
        instead of the bundled one; areas are then computed here.
    meta
        The licenses' provenance, when it is not carried by a GeoDataFrame.

    Returns
    -------
    IslandScreen
        ``.licenses`` (per license), ``.islands`` (per island), ``.notes``,
        ``.provenance``, ``.counts()``.

    Examples
    --------
    >>> screen = small_islands(licenses)
    >>> screen.counts()["on_small_island"] <= licenses.height
    True
    >>> sorted(screen.islands.columns)[:3]
    ['commodities', 'companies', 'island_id']
    """
    if not (np.isfinite(max_km2) and max_km2 > 0):
        msg = f"max_km2={max_km2!r}: give a positive number of km2 (the law's is 2000)."
        raise ConfigurationError(msg)
    if not (np.isfinite(snap_m) and snap_m >= 0):
        msg = f"snap_m={snap_m!r}: give a distance in metres, 0 or more."
        raise ConfigurationError(msg)
    frame = licenses_frame(licenses, columns=_NEEDED, function="small_islands")
    layer = _islands(islands)
    x, y, usable = placed(frame)
    source = frame[s.GEOMETRY_SOURCE].to_numpy()
    row = np.full(frame.height, -1, dtype=np.int64)
    match = np.where(usable, c.AT_SEA, c.NO_POINT).astype(object)
    metres = np.full(frame.height, np.nan)

    api = np.flatnonzero(usable & (source != s.GEOMETRY_FROM_REGENCY))
    row[api], match[api], metres[api] = _match(x[api], y[api], layer, snap_m)

    codes = _regency_codes(frame).to_numpy()
    regency = np.flatnonzero(usable & (source == s.GEOMETRY_FROM_REGENCY))
    match[regency] = c.REGENCY_UNKNOWN
    listed = regency[np.isin(codes[regency], list(SINGLE_ISLAND_REGENCIES))]
    hit, how, _ = _match(x[listed], y[listed], layer, snap_m)
    on = listed[how != c.AT_SEA]
    row[on], match[on] = hit[how != c.AT_SEA], c.REGENCY_ISLAND

    found = row >= 0
    rows = np.unique(row[found])
    safe = np.maximum(row, 0)
    result = frame.with_columns(
        pl.Series(c.ISLAND_ID, np.where(found, layer.ids[safe], np.nan))
        .fill_nan(None)
        .cast(pl.Int64),
        pl.Series(c.ISLAND_KM2, np.where(found, layer.km2[safe], np.nan)).fill_nan(None),
        pl.Series(c.ISLAND_MATCH, match.astype(str), dtype=pl.String),
        pl.Series(c.COAST_DISTANCE_M, metres).fill_nan(None),
    )
    result = result.join(_labels(layer, rows), on=c.ISLAND_ID, how="left", maintain_order="left")
    result = result.with_columns((pl.col(c.ISLAND_KM2) <= max_km2).alias(c.SMALL_ISLAND)).select(
        *frame.columns,
        c.ISLAND_ID,
        c.ISLAND_LABEL,
        c.ISLAND_KM2,
        c.SMALL_ISLAND,
        c.ISLAND_MATCH,
        c.COAST_DISTANCE_M,
    )
    bundled = islands is None
    details = {
        "screen": "small_islands",
        "max_km2": max_km2,
        "snap_m": snap_m,
        "area_crs": "EPSG:6933 (bundled layer, computed at build)"
        if bundled
        else g.EQUAL_AREA_NAME,
        "islands_layer": layer.info.to_json(),
    }
    summary, shapes = _summary(result, layer, rows)
    return IslandScreen(
        licenses=result,
        islands=summary,
        shapes=shapes,
        max_km2=max_km2,
        snap_m=snap_m,
        notes=_notes(layer.info, max_km2, snap_m, bundled=bundled),
        provenance=provenance(licenses, meta, details),
    )
