"""Polars frame <-> GeoDataFrame, vectorised, in EPSG:4326.

The GeoDataFrame's dtypes are chosen so that geopandas' own tools take it as
it is (``to_file`` to GeoPackage/FlatGeobuf with typed fields, ``to_parquet``,
``explore``, ``plot``) and :func:`to_polars` gives back exactly the frame it
started from:

- dates (``license_effective_date``, ``license_expiry_date``) are
  ``datetime64[ms]`` at midnight (GDAL writes a DateTime field; the ``ms``
  unit holds any year, unlike ``ns``), ``fetched_at`` is
  ``datetime64[us, UTC]``;
- text and numbers are pyarrow-backed (``large_string[pyarrow]``,
  ``double[pyarrow]``): missing stays missing, NaN stays NaN, a
  ``wiup_code`` stays a string;
- ``issues`` is one string, the codes joined with ``;`` (empty when clean),
  as in every export; :func:`to_polars` splits it back into a list.

``gdf.to_json()`` needs ``default=str`` for the date columns (geopandas'
``to_json`` serialises no datetime column without it); ``export(gdf,
"x.geojson")`` writes ISO dates and the provenance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pyarrow as pa

from mining_licenses import _validate as v
from mining_licenses import schema as s
from mining_licenses._errors import SchemaError

if TYPE_CHECKING:  # imported where used: loading the package must not pay for them
    import geopandas as gpd
    import pandas as pd


def points_from_frame(frame: pl.DataFrame) -> np.ndarray:
    """Shapely points from ``longitude``/``latitude``; None where either is missing.

    Examples
    --------
    >>> frame = pl.DataFrame({"longitude": [116.1, None], "latitude": [-1.4, 0.5]})
    >>> [None if g is None else g.wkt for g in points_from_frame(frame)]
    ['POINT (116.1 -1.4)', None]
    """
    import shapely

    missing = [c for c in (s.LONGITUDE, s.LATITUDE) if c not in frame.columns]
    if missing:
        msg = (
            f"The frame has no {' or '.join(missing)} column; pass a canonical frame "
            "(from load_licenses or normalize_records)."
        )
        raise SchemaError(msg)
    x = frame[s.LONGITUDE].cast(pl.Float64).to_numpy()
    y = frame[s.LATITUDE].cast(pl.Float64).to_numpy()
    placed = np.isfinite(x) & np.isfinite(y)
    geometry = np.full(len(frame), None, dtype=object)
    geometry[placed] = shapely.points(x[placed], y[placed])
    return geometry


def _pandas_dtype(arrow_type: pa.DataType) -> pd.ArrowDtype | None:
    """Return the pandas dtype of an Arrow column: numpy date-times, pyarrow-backed others."""
    import pandas as pd

    return None if pa.types.is_timestamp(arrow_type) else pd.ArrowDtype(arrow_type)


def to_geodataframe(frame: pl.DataFrame) -> gpd.GeoDataFrame:
    """Return the frame as a GeoDataFrame of points in EPSG:4326.

    Rows that could not be placed get a missing (``None``) geometry; they are
    kept. Dates become ``datetime64[ms]``, list columns (``issues``) one
    ``;``-joined string, the rest pyarrow-backed columns (see the module
    docstring), so ``gdf.to_file(...)`` writes typed fields and
    :func:`to_polars` is lossless.

    Examples
    --------
    >>> import datetime as dt
    >>> frame = pl.DataFrame({"wiup_code": ["0123456789012345"], "issues": [["a", "b"]],
    ...                       "license_expiry_date": [dt.date(2030, 1, 31)],
    ...                       "longitude": [116.1], "latitude": [-1.4]})
    >>> gdf = to_geodataframe(frame)
    >>> gdf.crs.to_epsg(), gdf.geometry.iloc[0].wkt, gdf["issues"].iloc[0]
    (4326, 'POINT (116.1 -1.4)', 'a;b')
    >>> str(gdf["license_expiry_date"].dtype)
    'datetime64[ms]'
    """
    import geopandas as gpd

    v.instance(
        frame,
        pl.DataFrame,
        name="frame",
        function="to_geodataframe",
        wanted="a polars DataFrame",
        hint="pass a canonical frame, e.g. from load_licenses(as_='polars')",
    )
    geometry = points_from_frame(frame)
    prepared = frame.with_columns(
        [pl.col(n).cast(pl.Datetime("ms")) for n, t in frame.schema.items() if t == pl.Date]
        + [
            pl.col(n).cast(pl.List(pl.String)).list.join(s.LIST_SEPARATOR)
            for n, t in frame.schema.items()
            if isinstance(t, pl.List)
        ]
    )
    table = prepared.to_arrow(compat_level=pl.CompatLevel.oldest())  # GDAL wants large_string
    data = table.to_pandas(types_mapper=_pandas_dtype)
    return gpd.GeoDataFrame(
        data, geometry=gpd.GeoSeries(geometry, index=data.index, crs=s.CRS), crs=s.CRS
    )


def _canonical(frame: pl.DataFrame) -> pl.DataFrame:
    """Canonical dtypes for the canonical columns; joined lists split back."""
    casts = []
    for name, dtype in s.COLUMNS.items():
        if name not in frame.columns:
            continue
        column = pl.col(name)
        if isinstance(dtype, pl.List) and frame.schema[name] == pl.String:
            empty = pl.lit([], dtype=dtype)
            column = pl.when(column == "").then(empty).otherwise(column.str.split(s.LIST_SEPARATOR))
        casts.append(column.cast(dtype).alias(name))
    return frame.with_columns(casts)


def to_polars(gdf: pd.DataFrame) -> pl.DataFrame:
    """Return a (Geo)DataFrame as a polars frame, the geometry as longitude/latitude.

    The geometry is authoritative: if it was edited in geopandas, ``longitude``
    and ``latitude`` follow it (reprojected to EPSG:4326; a non-point geometry
    is represented by a point inside it). Canonical columns get their canonical
    dtypes; other columns are kept as they are.

    Examples
    --------
    >>> frame = pl.DataFrame({"wiup_code": ["0123456789012345"],
    ...                       "longitude": [116.1], "latitude": [-1.4]})
    >>> to_polars(to_geodataframe(frame)).equals(frame)
    True
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    v.instance(
        gdf,
        pd.DataFrame,
        name="gdf",
        function="to_polars",
        wanted="a GeoDataFrame or a pandas DataFrame",
        hint="polars frames need no conversion",
    )
    if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf.columns:
        geoms = gdf.geometry
        if geoms.crs is not None and geoms.crs.to_epsg() != 4326:
            geoms = geoms.to_crs(s.CRS)
        values = geoms.to_numpy()
        is_point = shapely.get_type_id(values) == shapely.GeometryType.POINT
        points = np.where(is_point, values, shapely.point_on_surface(values))
        x, y = shapely.get_x(points), shapely.get_y(points)
        frame = pl.from_pandas(pd.DataFrame(gdf.drop(columns=geoms.name)))
        frame = frame.with_columns(
            pl.Series(s.LONGITUDE, x, dtype=pl.Float64, nan_to_null=True),
            pl.Series(s.LATITUDE, y, dtype=pl.Float64, nan_to_null=True),
        )
    else:
        frame = pl.from_pandas(pd.DataFrame(gdf))
    return _canonical(frame)
