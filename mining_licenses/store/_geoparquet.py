"""GeoParquet 1.1 encoding of the canonical frame: Arrow table, ``geo`` metadata, footer checks.

The file layout, chosen for GIS readers and for size:

- every canonical column with its exact type (``string``, ``date32``,
  ``double``, ``list<string>``, ``timestamp[us, UTC]``), then ``geometry``
  (WKB points, null where a license could not be placed) and ``bbox`` (the
  GeoParquet 1.1 covering column, a struct of ``xmin``/``ymin``/``xmax``/``ymax``);
- rows in Hilbert order of their points (rows without a point last, in their
  original order), so a row group covers a small area and its ``bbox``
  statistics let DuckDB, GDAL and pyarrow skip it;
- ZSTD, row groups of :data:`ROW_GROUP_ROWS`, dictionary encoding only for
  the repetitive text columns, byte-stream-split for the coordinates.

Polars' Arrow data is written as it is (string views, no copy) without the
``ARROW:schema`` footer entry, so every reader takes the Parquet logical
types and sees plain ``string``, ``list<string>``, ``date32`` and
``timestamp[us, tz=UTC]`` columns.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, Final

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from mining_licenses import schema as s
from mining_licenses._errors import SchemaError, shorten
from mining_licenses._redact import get_logger
from mining_licenses.store._checksum import placeholder, seal

logger = get_logger(__name__)

GEOPARQUET_VERSION: Final = "1.1.0"
BBOX: Final = "bbox"
BBOX_FIELDS: Final = ("xmin", "ymin", "xmax", "ymax")
ROW_GROUP_ROWS: Final = 65_536
COMPRESSION: Final = "zstd"
COMPRESSION_LEVEL: Final = 1  # level 6 saves ~5% of the size for twice the time
_HILBERT_LEVEL: Final = 16

_ARROW_TYPES: Final = {
    pl.String(): pa.string(),
    pl.Date(): pa.date32(),
    pl.Float64(): pa.float64(),
    pl.List(pl.String()): pa.list_(pa.string()),
    pl.Datetime("us", "UTC"): pa.timestamp("us", tz="UTC"),
}
_BBOX_TYPE: Final = pa.struct([(name, pa.float64()) for name in BBOX_FIELDS])
#: Text columns with few distinct values (dictionary encoding pays off).
_DICTIONARY_COLUMNS: Final = (
    s.LICENSE_TYPE,
    s.COMPANY_NAME,
    s.COMPANY_SLUG,
    s.COMPANY_KEY,
    s.COMMODITY,
    s.ACTIVITY,
    s.PROVINCE,
    s.CITY,
    s.EFFECTIVE_DATE,
    s.EXPIRY_DATE,
    s.CNC,
    s.GENERATION,
    s.LOCATION_TEXT,
    s.GEOMETRY_SOURCE,
    f"{s.ISSUES}.list.element",
    s.FETCHED_AT,
)
_SPLIT_COLUMNS: Final = (
    s.AREA_HA,
    s.LONGITUDE,
    s.LATITUDE,
    *(f"{BBOX}.{name}" for name in BBOX_FIELDS),
)


def canonical_arrow_schema() -> pa.Schema:
    """Return the Arrow types the canonical columns are written with."""
    return pa.schema([pa.field(name, _ARROW_TYPES[dtype]) for name, dtype in s.COLUMNS.items()])


def arrow_schema() -> pa.Schema:
    """Return the Arrow schema of a snapshot file: canonical columns, ``geometry``, ``bbox``."""
    return (
        canonical_arrow_schema()
        .append(pa.field(s.GEOMETRY, pa.binary()))
        .append(pa.field(BBOX, _BBOX_TYPE))
    )


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    """Return the canonical columns of ``frame`` in order, checking their dtypes.

    Raises
    ------
    SchemaError
        If a canonical column is missing or has a dtype that does not cast.
    """
    missing = [c for c in s.COLUMNS if c not in frame.columns]
    if missing:
        msg = (
            f"The frame lacks the canonical column(s) {', '.join(missing)}; pass a frame "
            "from load_licenses() or normalize_records()."
        )
        raise SchemaError(msg)
    try:
        return frame.select(pl.col(c).cast(t, strict=True) for c, t in s.COLUMNS.items())
    except pl.exceptions.PolarsError as err:
        msg = f"The frame's columns do not have the canonical dtypes ({shorten(str(err), 300)})."
        raise SchemaError(msg) from err


def _interleave(v: np.ndarray) -> np.ndarray:
    """Spread the low 16 bits of ``v`` to the even bits."""
    v = (v | (v << 8)) & 0x00FF00FF
    v = (v | (v << 4)) & 0x0F0F0F0F
    v = (v | (v << 2)) & 0x33333333
    return np.asarray((v | (v << 1)) & 0x55555555, dtype=np.uint32)


def hilbert_index(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index along a 2**16 x 2**16 Hilbert curve of integer cells ``x``, ``y`` (uint32).

    The branch-free prefix-scan formulation (F. Giesen's, as geopandas'
    ``hilbert_distance`` uses), on whole arrays; equal to geopandas' result.
    """
    x, y = x.astype(np.uint32), y.astype(np.uint32)
    full = np.uint32(0xFFFF)
    a, b = x ^ y, full ^ (x ^ y)
    c, d = full ^ (x | y), x & (y ^ full)
    a, b, c, d = (
        a | (b >> 1),
        (a >> 1) ^ a,
        ((c >> 1) ^ (b & (d >> 1))) ^ c,
        ((a & (c >> 1)) ^ (d >> 1)) ^ d,
    )
    for shift in (2, 4):
        a, b, c, d = (
            (a & (a >> shift)) ^ (b & (b >> shift)),
            (a & (b >> shift)) ^ (b & ((a ^ b) >> shift)),
            c ^ ((a & (c >> shift)) ^ (b & (d >> shift))),
            d ^ ((b & (c >> shift)) ^ ((a ^ b) & (d >> shift))),
        )
    c, d = (
        c ^ ((a & (c >> 8)) ^ (b & (d >> 8))),
        d ^ ((b & (c >> 8)) ^ ((a ^ b) & (d >> 8))),
    )
    a, b = c ^ (c >> 1), d ^ (d >> 1)
    i0 = x ^ y
    i1 = b | (full ^ (i0 | a))
    return np.asarray((_interleave(i1) << 1) | _interleave(i0), dtype=np.uint32)


def _cells(v: np.ndarray, low: float, high: float) -> np.ndarray:
    """Cells 0..2**16-1 of finite ``v`` within [low, high], without overflow or NaN.

    Halves first: ``high - low`` overflows to inf for coordinates far apart (a
    hostile ``1e308``), and inf times 0 is NaN; half the values never overflow.
    """
    half_span = high / 2 - low / 2
    if not half_span > 0:
        return np.zeros(len(v), dtype=np.uint32)
    share = (v / 2 - low / 2) / half_span  # in [0, 1]
    return np.minimum(share * ((1 << _HILBERT_LEVEL) - 1), (1 << _HILBERT_LEVEL) - 1).astype(
        np.uint32
    )


def hilbert_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row order along a Hilbert curve over the points' extent; rows without a point last.

    ``x``/``y`` are float arrays with NaN where there is no point. The order
    is stable (ties and unplaced rows keep their input order), so a frame
    always sorts the same way. Only finite coordinates enter any arithmetic:
    unplaced rows get the largest key instead (no NaN, no warning).
    """
    placed = np.isfinite(x) & np.isfinite(y)
    key = np.full(len(x), np.iinfo(np.int64).max, dtype=np.int64)
    if placed.any():
        px, py = x[placed], y[placed]
        cx = _cells(px, float(px.min()), float(px.max()))
        cy = _cells(py, float(py.min()), float(py.max()))
        key[placed] = hilbert_index(cx, cy)
    return np.argsort(key, kind="stable")


def coordinates(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude as float arrays, NaN where missing."""
    return tuple(  # type: ignore[return-value]
        frame[c].cast(pl.Float64).fill_null(np.nan).to_numpy() for c in (s.LONGITUDE, s.LATITUDE)
    )


#: A little-endian 2D WKB point: byte order, geometry type 1, x, y (21 bytes, unpadded).
_WKB_POINT: Final = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])


def point_wkb(x: np.ndarray, y: np.ndarray) -> pa.BinaryArray:
    """WKB points of ``x``/``y``, null where either is not finite.

    The same bytes as ``shapely.to_wkb(points_from_frame(...))`` (a test
    holds them equal), laid out with numpy: a million points take a tenth
    of a second instead of a second through GEOS objects.
    """
    placed = np.isfinite(x) & np.isfinite(y)
    records = np.empty(int(placed.sum()), dtype=_WKB_POINT)
    records["order"], records["type"] = 1, 1
    records["x"], records["y"] = x[placed], y[placed]
    offsets = np.zeros(len(x) + 1, dtype=np.int32)
    np.cumsum(np.where(placed, _WKB_POINT.itemsize, 0), out=offsets[1:])
    validity = pa.py_buffer(np.packbits(placed, bitorder="little"))
    buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(records.tobytes())]
    return pa.BinaryArray.from_buffers(pa.binary(), len(x), buffers, int((~placed).sum()))


def _part(frame: pl.DataFrame, x: np.ndarray, y: np.ndarray) -> pa.Table:
    """Rows of the file: canonical columns, then ``geometry`` and ``bbox`` from ``x``/``y``."""
    # polars' own string views, exported without a copy; see write_table for the types
    return with_points(frame.to_arrow(compat_level=pl.CompatLevel.newest()), x, y)


def extent_of(x: np.ndarray, y: np.ndarray) -> list[float] | None:
    """Return ``[xmin, ymin, xmax, ymax]`` of the finite points, or None when there is none."""
    placed = np.isfinite(x) & np.isfinite(y)
    if not placed.any():
        return None
    px, py = x[placed], y[placed]
    return [float(px.min()), float(py.min()), float(px.max()), float(py.max())]


def with_points(table: pa.Table, x: np.ndarray, y: np.ndarray) -> pa.Table:
    """Return ``table`` with ``geometry`` (WKB points) and ``bbox`` of ``x``/``y`` (finite only)."""
    missing = ~(np.isfinite(x) & np.isfinite(y))
    xs, ys = pa.array(x, mask=missing), pa.array(y, mask=missing)
    # A point's box is the point itself: xmin = xmax, ymin = ymax.
    bbox = pa.StructArray.from_arrays(
        [xs, ys, xs, ys], fields=list(_BBOX_TYPE), mask=pa.array(missing)
    )
    return table.append_column(s.GEOMETRY, point_wkb(x, y)).append_column(BBOX, bbox)


def to_parts(frame: pl.DataFrame) -> tuple[Iterator[pa.Table], dict[str, Any]]:
    """Return the file's rows in Hilbert order, one row group at a time, and the ``geo`` metadata.

    Rows are gathered group by group, so writing holds one row group's copy
    of the data at a time, not a sorted copy of the whole frame.
    """
    frame = canonical(frame).rechunk()  # gathering from one chunk is several times faster
    x, y = coordinates(frame)
    order = hilbert_order(x, y)
    x, y = x[order], y[order]
    extent = extent_of(x, y)
    size = ROW_GROUP_ROWS

    def parts() -> Iterator[pa.Table]:
        for start in range(0, max(frame.height, 1), size):
            rows = slice(start, start + size)
            yield _part(frame[order[rows]], x[rows], y[rows])

    return parts(), geo_metadata(extent)


def to_table(frame: pl.DataFrame) -> tuple[pa.Table, dict[str, Any]]:
    """Return the whole file's rows as one table (Hilbert order) and the ``geo`` metadata."""
    parts, geo = to_parts(frame)
    return pa.concat_tables(parts), geo


@functools.cache
def _crs_projjson() -> dict[str, Any]:
    from pyproj import CRS

    projjson: dict[str, Any] = CRS.from_user_input(s.CRS).to_json_dict()
    return projjson


def geo_metadata(extent: list[float] | None) -> dict[str, Any]:
    """Return the GeoParquet 1.1 ``geo`` metadata of a snapshot with points inside ``extent``."""
    column: dict[str, Any] = {
        "encoding": "WKB",
        "geometry_types": ["Point"],
        "crs": _crs_projjson(),
        "edges": "planar",
        "covering": {BBOX: {name: [BBOX, name] for name in BBOX_FIELDS}},
    }
    if extent is not None:
        column[BBOX] = extent
    return {
        "version": GEOPARQUET_VERSION,
        "primary_column": s.GEOMETRY,
        "columns": {s.GEOMETRY: column},
    }


def write_table(
    data: pa.Table | Iterable[pa.Table],
    sink: str | os.PathLike[str] | IO[bytes],
    metadata: Mapping[bytes, bytes],
) -> None:
    """Write a table, or row groups from :func:`to_parts`, as Parquet with ``metadata`` keys.

    A file written to a path is sealed: its footer gets the SHA-256 of its
    bytes (:mod:`mining_licenses.store._checksum`), so a changed byte is found
    on read.
    """
    sealed = isinstance(sink, str | os.PathLike)
    metadata = {**metadata, **placeholder()} if sealed else metadata
    parts = iter([data] if isinstance(data, pa.Table) else data)
    first = next(parts)
    names = set(first.column_names)
    with (
        pq.ParquetWriter(
            sink,
            first.schema,
            compression=COMPRESSION,
            compression_level=COMPRESSION_LEVEL,
            use_dictionary=[c for c in _DICTIONARY_COLUMNS if c.split(".")[0] in names],
            use_byte_stream_split=[c for c in _SPLIT_COLUMNS if c.split(".")[0] in names],
            write_statistics=True,
            # No ARROW:schema: readers then take the Parquet types (UTF8 -> string,
            # LIST -> list, TIMESTAMP(UTC) -> timestamp[us, tz=UTC]) rather than
            # polars' string_view/large types, which older pandas and GDAL lack.
            store_schema=False,
        ) as writer,
        ThreadPoolExecutor(1) as helper,
    ):
        # Gather the next row group while this one is encoded: both release the GIL.
        part: pa.Table | None = first
        while part is not None:
            upcoming = helper.submit(next, parts, None)
            writer.write_table(part, row_group_size=ROW_GROUP_ROWS)
            part = upcoming.result()
        writer.add_key_value_metadata({k.decode(): v.decode() for k, v in metadata.items()})
    if sealed:
        seal(Path(sink))  # type: ignore[arg-type]
