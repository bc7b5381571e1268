"""Licenses against any polygon layer a user brings: which features each license falls in or near.

The API gives a license's point, not its polygon. ``footprint="point"`` asks
which features contain the point; ``footprint="circle"`` draws a circle of the
licensed area around the point (an approximation of the license, labelled
``approx_`` wherever it appears) and measures the share of it inside each
feature. The join works on whole arrays through the layer's spatial index
(:mod:`._join`); areas are measured on an equal-area projection, whatever the
layer's CRS.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import polars as pl

from mining_licenses import _validate as v
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, shorten
from mining_licenses._plausible import counted_values as counted
from mining_licenses.spatial import _geometry as g
from mining_licenses.spatial import _join as j
from mining_licenses.spatial import columns as c
from mining_licenses.spatial._inputs import licenses_frame, placed, provenance
from mining_licenses.spatial._layers import read_checked

if TYPE_CHECKING:
    import geopandas as gpd

    from mining_licenses.store import SnapshotMeta

Footprint = Literal["point", "circle"]
#: Columns of the licenses repeated on each (license, feature) pair.
PAIR_COLUMNS: Final = (
    s.WIUP_CODE,
    s.COMPANY_NAME,
    s.LICENSE_TYPE,
    s.COMMODITY,
    s.PROVINCE,
    s.AREA_HA,
    s.GEOMETRY_SOURCE,
    s.LONGITUDE,
    s.LATITUDE,
)
_NEEDED: Final = (s.WIUP_CODE, s.LONGITUDE, s.LATITUDE, s.GEOMETRY_SOURCE, s.AREA_HA, s.COMPANY_KEY)
#: Prefix of the layer's own columns carried into the result.
FEATURE_PREFIX: Final = "feature_"
APPROXIMATION_NOTE: Final = (
    "APPROXIMATION: the API gives a license's point, not its boundary. approx_ columns come "
    "from a circle of the licensed area centred on that point (a geodesic 64-gon), not from "
    "the license's real shape, which may lie elsewhere around the point and be any shape."
)
_COMPANY: Final = "__company"


@dataclasses.dataclass(frozen=True)
class Overlap:
    """The result of :func:`overlap`.

    Attributes
    ----------
    pairs
        One row per (license, feature) it falls in (point) or touches
        (circle): the license's identity, ``feature_index`` (0-based row of
        the layer as read), the layer's columns (prefixed ``feature_``), and
        for circles ``approx_circle_share_in_feature`` and
        ``approx_circle_ha_in_feature``.
    licenses
        Every license given, with ``footprint`` (null when not screened),
        ``features`` (how many) and, for circles, ``approx_circle_radius_m``
        and ``approx_circle_share_in_any_feature``.
    features
        One row per feature with at least one license: licenses, companies,
        and the licensed area (point) or the circles' hectares inside it
        (``approx_circle_ha_inside``).
    notes, provenance
        What the numbers mean, and what was computed against which layer
        (path, CRS, feature count, SHA-256) and licenses.
    """

    pairs: pl.DataFrame
    licenses: pl.DataFrame
    features: pl.DataFrame
    footprint: str
    notes: tuple[str, ...]
    provenance: dict[str, Any]


def _attributes(
    layer: gpd.GeoDataFrame, columns: Sequence[str] | None, rows: np.ndarray
) -> pl.DataFrame:
    """Return the layer's attribute columns for ``rows``, prefixed, as polars."""
    import pandas as pd

    names = (
        [n for n in layer.columns if n != layer.geometry.name] if columns is None else list(columns)
    )
    unknown = [n for n in names if n not in layer.columns or n == layer.geometry.name]
    if unknown:
        have = ", ".join(map(str, layer.columns))
        msg = f"columns={unknown!r}: not attribute columns of the layer ({have})."
        raise ConfigurationError(msg)
    picked = pd.DataFrame(layer[names]).iloc[rows].reset_index(drop=True)
    try:
        attrs = pl.from_pandas(picked)
    except (TypeError, ValueError, pl.exceptions.PolarsError) as err:
        msg = (
            f"The layer's columns {names!r} do not convert to polars ({err}); "
            "pick the ones to carry with columns=."
        )
        raise ConfigurationError(msg) from err
    return attrs.rename({n: f"{FEATURE_PREFIX}{n}" for n in attrs.columns})


def overlap(
    licenses: pl.DataFrame | gpd.GeoDataFrame,
    layer: gpd.GeoDataFrame | str | os.PathLike[str],
    *,
    footprint: Footprint = "point",
    layer_name: str | None = None,
    columns: Sequence[str] | None = None,
    include_regency: bool = False,
    meta: SnapshotMeta | Mapping[str, Any] | None = None,
) -> Overlap:
    """Find the features of any polygon layer each license falls in (or near).

    Parameters
    ----------
    licenses
        The canonical frame (polars) or a GeoDataFrame from ``load_licenses``.
    layer
        Polygons in any CRS: a GeoDataFrame, or a path to GeoParquet,
        GeoPackage, FlatGeobuf, a shapefile or GeoJSON (protected forest,
        moratorium areas, indigenous territories...).
    footprint
        ``"point"``: the features containing the license's point (edges
        count). ``"circle"``: a circle of the licensed area around the point,
        an APPROXIMATION of the license (the API gives no polygon), with the
        share of it inside each feature; every such column is named
        ``approx_...``.
    layer_name
        The layer to read from a file holding several (GeoPackage).
    columns
        The layer's columns to carry into the result (default: all), each
        prefixed ``feature_``.
    include_regency
        Also screen licenses placed at their regency's point. Off by default:
        that point is the regency's, not the license's, and would fall in
        whatever feature covers the regency's centre.
    meta
        The licenses' provenance, when it is not carried by a GeoDataFrame.

    Returns
    -------
    Overlap
        ``.pairs`` (per license and feature), ``.licenses`` (per license),
        ``.features`` (per feature), ``.notes``, ``.provenance`` (the layer's
        path, CRS, feature count and SHA-256; the licenses' snapshot).

    Raises
    ------
    ConfigurationError
        For a missing or unreadable layer, one without a CRS, an empty one,
        one holding anything but polygons, or licenses of which none has a point.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> box = shapely.box(114, -3, 119, 2)
    >>> kaltim = gpd.GeoDataFrame({"name": ["box"]}, geometry=[box], crs="EPSG:4326")
    >>> result = overlap(licenses, kaltim)
    >>> int(result.features["licenses"].sum()) == result.pairs.height
    True
    """
    function = "overlap"
    if not isinstance(footprint, str) or footprint not in ("point", "circle"):
        msg = (
            f"footprint={shorten(footprint)}: use 'point' or 'circle' (a circle of the "
            "licensed area)."
        )
        raise ConfigurationError(msg)
    include_regency = v.flag(include_regency, name="include_regency", function=function)
    if layer_name is not None:
        v.text(layer_name, name="layer_name", function=function)
    if columns is not None:
        columns = v.names(columns, name="columns", function=function)
    frame = licenses_frame(licenses, columns=_NEEDED, function="overlap")
    x, y, usable = placed(frame)
    if not include_regency:
        from_regency = frame[s.GEOMETRY_SOURCE] == s.GEOMETRY_FROM_REGENCY
        usable &= ~from_regency.fill_null(False).to_numpy()
    if not usable.any():
        left_out = "" if include_regency else "; regency points count with include_regency=True"
        msg = (
            f"None of the {frame.height:,} licenses has a point to screen (from the API"
            f"{left_out}); nothing to overlap."
        )
        raise ConfigurationError(msg)
    gdf, info, facts = read_checked(layer, layer_name=layer_name, repair=footprint == "circle")
    crs = g.crs_key(gdf.crs)
    shapes = gdf.geometry.to_numpy()
    circle = footprint == "circle"
    area_ha = frame[s.AREA_HA].cast(pl.Float64).fill_null(np.nan).to_numpy()
    if circle:  # a circle only of a counted area (finite, above 0, at most MAX_AREA_HA)
        usable &= np.isfinite(area_ha) & (area_ha > 0) & (area_ha <= s.MAX_AREA_HA)
    index = np.flatnonzero(usable)
    radius = g.radius_for_area(area_ha[index] * 1e4) if circle else np.zeros(index.size)
    if circle:
        cut = j.circle_pairs(gdf.sindex, shapes, x[index], y[index], radius, crs)
        at, hit = cut.at, cut.hit
    else:
        edges = facts.edges_if_reused()  # the present polygons, not repaired: gdf's rows
        at, hit = j.point_pairs(gdf.sindex, shapes, x[index], y[index], crs, edges)

    positions = gdf.index.to_numpy()
    picked = [n for n in PAIR_COLUMNS if n in frame.columns]
    pairs = frame.select(*picked, pl.col(s.COMPANY_KEY).alias(_COMPANY))[index[at]]
    pairs = pairs.with_columns(
        pl.Series(c.FEATURE_INDEX, positions[hit], dtype=pl.Int64),
        pl.lit(c.APPROX_CIRCLE if circle else c.POINT).alias(c.FOOTPRINT),
    )
    per_license = frame.with_columns(
        pl.when(pl.Series(usable))
        .then(pl.lit(c.APPROX_CIRCLE if circle else c.POINT))
        .alias(c.FOOTPRINT),
        pl.when(pl.Series(usable))
        .then(pl.Series(np.bincount(index[at], minlength=frame.height)))
        .cast(pl.Int64)
        .alias(c.FEATURES),
    )
    if circle:
        share = cut.piece_area / cut.drawn_area[at]
        pairs = pairs.with_columns(
            pl.Series(c.APPROX_CIRCLE_SHARE, share, dtype=pl.Float64),
            pl.Series(c.APPROX_CIRCLE_HA, share * area_ha[index[at]], dtype=pl.Float64),
        )
        any_share = j.area_in_any(cut, index.size) / cut.drawn_area
        full_radius = np.full(frame.height, np.nan)
        full_any = np.full(frame.height, np.nan)
        full_radius[index], full_any[index] = radius, any_share
        per_license = per_license.with_columns(
            pl.Series(c.APPROX_CIRCLE_RADIUS_M, full_radius).fill_nan(None),
            pl.Series(c.APPROX_CIRCLE_SHARE_ANY, np.minimum(full_any, 1.0)).fill_nan(None),
        )
    rows = np.flatnonzero(np.bincount(hit, minlength=len(gdf)))  # the features hit, in order
    attrs = _attributes(gdf, columns, rows)
    slot = np.zeros(len(gdf), dtype=np.int64)
    slot[rows] = np.arange(rows.size)
    pairs = pl.concat([pairs, attrs[slot[hit]]], how="horizontal")
    attrs = attrs.with_columns(pl.Series(c.FEATURE_INDEX, positions[rows], dtype=pl.Int64))
    measure = (
        pl.col(c.APPROX_CIRCLE_HA).sum().alias(c.FEATURE_APPROX_HA)
        if circle
        else counted(s.AREA_HA).sum().alias(c.FEATURE_AREA_HA)
    )
    features = (
        pairs.group_by(c.FEATURE_INDEX)
        .agg(
            pl.len().alias(c.FEATURE_LICENSES),
            pl.col(_COMPANY).drop_nulls().n_unique().alias(c.COMPANIES),
            measure,
        )
        .sort([c.FEATURE_LICENSES, c.FEATURE_INDEX], descending=[True, False])
        .join(attrs, on=c.FEATURE_INDEX, how="left", maintain_order="left")
    )
    skipped = int((~usable).sum())
    notes = [
        f"Layer: {info.path or '(a GeoDataFrame)'}, {info.features:,} features, {info.crs}.",
        f"{skipped:,} of {frame.height:,} licenses not screened (no point"
        + ("" if include_regency else ", or placed at their regency's point")
        + (", or no positive licensed area" if circle else "")
        + ").",
    ]
    if circle:
        notes.append(APPROXIMATION_NOTE)
    details = {
        "screen": "overlap",
        "footprint": c.APPROX_CIRCLE if circle else c.POINT,
        "include_regency": include_regency,
        "layer": info.to_json(),
        "area_crs": g.EQUAL_AREA_NAME,
    }
    if circle:
        details["approximation"] = APPROXIMATION_NOTE
    return Overlap(
        pairs=pairs.drop(_COMPANY),
        licenses=per_license,
        features=features,
        footprint=c.APPROX_CIRCLE if circle else c.POINT,
        notes=tuple(notes),
        provenance=provenance(licenses, meta, details),
    )
