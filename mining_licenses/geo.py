"""Polars frame <-> GeoDataFrame, vectorised, in EPSG:4326.

The GeoDataFrame keeps every column of the canonical frame with pyarrow-backed
pandas dtypes (``date32``, ``timestamp[us, UTC]``, nullable floats, strings;
the ``issues`` lists as object arrays, which pandas can write to and read from
Parquet), so a round trip through geopandas gives back exactly the frame it
started from: dates stay dates, missing values stay missing, a ``wiup_code``
stays a string.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import polars as pl
import shapely

from mining_licenses import schema as s
from mining_licenses._errors import SchemaError

if TYPE_CHECKING:
    import geopandas as gpd


def points_from_frame(frame: pl.DataFrame) -> np.ndarray:
    """Shapely points from ``longitude``/``latitude``; None where either is missing.

    Examples
    --------
    >>> frame = pl.DataFrame({"longitude": [116.1, None], "latitude": [-1.4, 0.5]})
    >>> [None if g is None else g.wkt for g in points_from_frame(frame)]
    ['POINT (116.1 -1.4)', None]
    """
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


def to_geodataframe(frame: pl.DataFrame) -> gpd.GeoDataFrame:
    """Return the frame as a GeoDataFrame of points in EPSG:4326.

    Rows that could not be placed get a missing (``None``) geometry; they are
    kept. Columns keep pyarrow-backed dtypes so :func:`to_polars` is lossless.

    Examples
    --------
    >>> frame = pl.DataFrame({"wiup_code": ["0123456789012345"],
    ...                       "longitude": [116.1], "latitude": [-1.4]})
    >>> gdf = to_geodataframe(frame)
    >>> gdf.crs.to_epsg(), gdf.geometry.iloc[0].wkt
    (4326, 'POINT (116.1 -1.4)')
    """
    import geopandas as gpd

    geometry = points_from_frame(frame)
    data = frame.to_pandas(use_pyarrow_extension_array=True)
    # pandas cannot rebuild Arrow list dtypes from parquet metadata, so a list
    # column (``issues``) is kept as plain object arrays: GeoDataFrame.to_parquet
    # then round-trips through geopandas.read_parquet (converted in C, no loop)
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            data[name] = pd.Series(
                frame[name].to_arrow().to_pandas(), index=data.index, dtype=object
            )
    return gpd.GeoDataFrame(
        data, geometry=gpd.GeoSeries(geometry, index=data.index, crs=s.CRS), crs=s.CRS
    )


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
    return frame.with_columns(pl.col(c).cast(t) for c, t in s.COLUMNS.items() if c in frame.columns)
