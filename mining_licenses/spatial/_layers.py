"""Polygon layers in: the bundled islands, and any layer a user brings, checked and described.

:func:`read_layer` takes a GeoDataFrame or a path to anything pyogrio reads
(GeoParquet through geopandas), checks it is usable for a screen (a CRS, at
least one feature, polygons only) and returns it with a :class:`LayerInfo`:
where it came from, its CRS, its feature count and a SHA-256 checksum, so a
result always says which layer it was computed against.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mining_licenses import _validate as v
from mining_licenses._errors import ConfigurationError
from mining_licenses._oserrors import not_a_file, reading
from mining_licenses.spatial._layerfacts import Facts, facts_of, file_sha256, types

if TYPE_CHECKING:
    import geopandas as gpd

#: The bundled islands layer (GSHHG full resolution; see its README).
ISLANDS_FILE: Final = "data/islands/islands.parquet"
ISLANDS_SOURCE: Final = (
    "GSHHG full-resolution shorelines, level 1 (Wessel & Smith; LGPL-3.0-or-later), "
    "every island reaching Indonesia's extent, built by scripts/build_islands.py"
)
#: The scale the bundled layer resolves, said wherever its results are shown.
ISLANDS_SCALE: Final = (
    "GSHHG full resolution (World Vector Shoreline, 1:250,000): islands smaller than a few "
    "hectares, reefs and recent reclamation are missing; coasts may be off by a few hundred metres"
)
#: Column of the bundled layer with each island's area (km2, equal-area, whole island).
ISLANDS_AREA: Final = "area_km2"
ISLANDS_ID: Final = "island_id"

#: Extensions read through geopandas' Parquet reader; the rest go through pyogrio (GDAL).
_PARQUET: Final = (".parquet", ".geoparquet")
_POLYGONAL: Final = frozenset({"Polygon", "MultiPolygon"})
_FORMATS: Final = "GeoParquet, GeoPackage, FlatGeobuf, shapefile or GeoJSON"
#: Formats that are one file (a folder of that name is no layer; GDAL reads some folders).
_ONE_FILE: Final = (*_PARQUET, ".gpkg", ".fgb", ".shp", ".geojson", ".json")


@dataclasses.dataclass(frozen=True, kw_only=True)
class LayerInfo:
    """Where a layer came from and what it held, recorded with every screen's result.

    ``sha256`` is the checksum of the file's bytes (for a shapefile, of its
    ``.shp``, ``.shx``, ``.dbf`` and ``.prj`` in that order); for a
    GeoDataFrame given in memory, of its CRS, each feature's geometry type and
    coordinate count, and its coordinates (little-endian float64).
    """

    source: str
    path: str | None
    layer: str | None
    crs: str
    features: int
    sha256: str
    geometry_types: tuple[str, ...]
    without_geometry: int = 0
    repaired: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the record as a JSON-ready dict."""
        data = dataclasses.asdict(self)
        data["geometry_types"] = list(self.geometry_types)
        return data


def _crs_name(crs: Any) -> str:
    """Return ``AUTHORITY:CODE`` when the CRS has one, else its name."""
    found = crs.to_authority()
    return f"{found[0]}:{found[1]}" if found else str(crs.name)


def _file_sha256(path: Path) -> str:
    """Checksum a layer's file (cached, see ``_layerfacts``); a refusal to read names the layer."""
    with _reading_layer(path):
        return file_sha256(path)


def _read_file(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    import geopandas as gpd

    if not path.is_file() and (path.suffix.lower() in _ONE_FILE or not path.exists()):
        fix = f"Give the path to a readable {_FORMATS} file."
        raise not_a_file(path, what="the layer", error=ConfigurationError, fix=fix)
    try:
        with _reading_layer(path):
            if path.suffix.lower() in _PARQUET:
                return gpd.read_parquet(path)
            return gpd.read_file(path, layer=layer, engine="pyogrio")
    except (ValueError, RuntimeError) as err:  # pyogrio's errors derive from these
        said = " ".join(str(err).split()).replace(".;", ";").rstrip(". ")  # GDAL's own stops
        msg = f"Cannot read the layer {path}: {said}. Give a readable {_FORMATS} file."
        raise ConfigurationError(msg) from err


def _reading_layer(path: Path) -> contextlib.AbstractContextManager[None]:
    """Turn a failure of the system to read a layer's file into a ConfigurationError."""
    fix = f"Give the path to a readable {_FORMATS} file."
    return reading(path, what="the layer", error=ConfigurationError, fix=fix)


def _polygonal(
    gdf: gpd.GeoDataFrame, name: str, *, repair: bool
) -> tuple[gpd.GeoDataFrame, Facts, int, int]:
    """Return the features with a geometry (repaired where invalid, if asked); counts of both."""
    facts = facts_of(gdf)
    wrong = [t for t in facts.types if t not in _POLYGONAL]
    if wrong:
        msg = (
            f"The layer {name} holds {', '.join(wrong)} geometries; a screen needs polygons "
            "(Polygon, MultiPolygon). Buffer lines or points into polygons first, or pick "
            "a polygon layer (layer_name=)."
        )
        raise ConfigurationError(msg)
    present = facts.present
    kept = gdf if present.all() else gdf[present]  # the same object keeps its spatial index
    if not repair:
        return kept, facts, int((~present).sum()), 0
    geometry, invalid = facts.made_valid()
    if invalid:
        kept = kept.set_geometry(geometry, crs=gdf.crs)
    return kept, facts, int((~present).sum()), invalid


def read_layer(
    layer: gpd.GeoDataFrame | str | os.PathLike[str],
    *,
    layer_name: str | None = None,
    what: str = "layer",
    repair: bool = True,
) -> tuple[gpd.GeoDataFrame, LayerInfo]:
    """Return a usable polygon layer and its :class:`LayerInfo`.

    Features without a geometry are left out (and counted); with ``repair``,
    invalid polygons are repaired with ``shapely.make_valid`` (and counted):
    areas and intersections need valid polygons, a point-in-polygon test
    does not. The row order of
    the kept features is the layer's, and ``feature_index`` in a screen's
    result is the position in the layer as read, before anything was left out.

    Raises
    ------
    ConfigurationError
        For a missing or unreadable file, a layer without a CRS, an empty
        layer, or one holding anything but polygons.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> gdf = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4326")
    >>> read_layer(gdf)[1].features, read_layer(gdf)[1].crs
    (1, 'EPSG:4326')
    """
    kept, info, _ = read_checked(layer, layer_name=layer_name, what=what, repair=repair)
    return kept, info


def read_checked(
    layer: gpd.GeoDataFrame | str | os.PathLike[str],
    *,
    layer_name: str | None = None,
    what: str = "layer",
    repair: bool = True,
) -> tuple[gpd.GeoDataFrame, LayerInfo, Facts]:
    """Return what :func:`read_layer` returns and the facts found of the layer's geometry."""
    import geopandas as gpd
    import pandas as pd

    if isinstance(layer, gpd.GeoDataFrame):
        gdf, path, source = layer, None, "GeoDataFrame"
        name = f"({what} given as a GeoDataFrame)"
    elif isinstance(layer, str | os.PathLike):
        path = v.path(layer, name=what, function=None).expanduser()
        gdf, source, name = _read_file(path, layer_name), "file", str(path)
    else:
        raise v.wrong_type(
            layer,
            name=what,
            function=None,
            wanted=f"a GeoDataFrame or a path to a {_FORMATS} file",
        )
    if gdf.crs is None:
        msg = (
            f"The layer {name} has no CRS, so its coordinates cannot be placed. Set it "
            "(gdf.set_crs('EPSG:...')) or give the file its CRS (a .prj for a shapefile)."
        )
        raise ConfigurationError(msg)
    if len(gdf) == 0:
        msg = f"The layer {name} has no features; nothing to screen against."
        raise ConfigurationError(msg)
    if not isinstance(gdf.index, pd.RangeIndex) or gdf.index.start != 0 or gdf.index.step != 1:
        gdf = gdf.reset_index(drop=True)  # feature_index is the position in the layer
    kept, facts, dropped, repaired = _polygonal(gdf, name, repair=repair)
    if len(kept) == 0:
        msg = f"The layer {name} has no feature with a geometry; nothing to screen against."
        raise ConfigurationError(msg)
    info = LayerInfo(
        source=source,
        path=str(path) if path is not None else None,
        layer=layer_name,
        crs=_crs_name(gdf.crs),
        features=len(gdf),
        sha256=_file_sha256(path) if path is not None else facts.checksum(),
        geometry_types=types(kept.geometry.to_numpy()) if repaired else facts.types,
        without_geometry=dropped,
        repaired=repaired,
    )
    return kept, info, facts


def islands_path() -> Path:
    """Return the path of the bundled islands layer (GeoParquet).

    Examples
    --------
    >>> islands_path().name
    'islands.parquet'
    """
    return Path(str(resources.files("mining_licenses").joinpath(ISLANDS_FILE)))


@functools.cache
def _bundled_islands() -> tuple[gpd.GeoDataFrame, LayerInfo]:
    import geopandas as gpd

    path = islands_path()
    gdf = gpd.read_parquet(path)
    info = LayerInfo(
        source="bundled: " + ISLANDS_SOURCE,
        path=str(path),
        layer=None,
        crs=_crs_name(gdf.crs),
        features=len(gdf),
        sha256=_file_sha256(path),
        geometry_types=types(gdf.geometry.to_numpy()),
    )
    return gdf, info


def islands_layer() -> gpd.GeoDataFrame:
    """Return the bundled islands layer: one polygon per island, with its area in km2.

    Columns: ``island_id`` (1 = largest), ``area_km2`` (the whole island, on
    EPSG:6933, an equal-area projection), ``clipped`` (continental polygons cut
    to the layer's box) and ``geometry`` (OGC:CRS84). GSHHG full resolution,
    every island reaching Indonesia's extent plus a degree; see the README in
    ``mining_licenses/data/islands/`` for its scale, sources and licence.

    Examples
    --------
    >>> layer = islands_layer()
    >>> int(layer.loc[layer["area_km2"] <= 2000, "island_id"].count()) > 5000
    True
    """
    return _bundled_islands()[0].copy()
