"""Results about licenses (a screen's rows: the licenses' columns and more) written for GIS use.

:func:`write_result` writes any frame with ``longitude``/``latitude`` as
GeoParquet 1.1 (points in EPSG:4326, a ``bbox`` covering, every column kept)
or CSV (lists joined, the point as WKT where there is one), published with the store's one atomic
write. Both carry two provenance records: the licenses' (the snapshot's
:class:`SnapshotMeta`, under the same key as a snapshot's) and the result's own
(what was computed, against which layer), in the file's metadata for
GeoParquet and in the ``<file>.provenance.json`` sidecar for CSV.
:func:`provenance_of` finds the licenses' provenance the way
:func:`~mining_licenses.store.export` does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from mining_licenses import _csv as csv
from mining_licenses import schema as s
from mining_licenses._atomic import check_writable, write_atomic, write_together
from mining_licenses._errors import ConfigurationError, SchemaError
from mining_licenses.store._export import WKT_COLUMN, _provenance, as_frame
from mining_licenses.store._footer import GEO_KEY, META_KEY, encode_json
from mining_licenses.store._provenance import SnapshotMeta, provenance_line, sidecar_path

if TYPE_CHECKING:
    import geopandas as gpd

#: File-metadata key (GeoParquet) and sidecar entry (CSV) of the result's own provenance.
RESULT_KEY: Final = "mining_licenses:result"
RESULT_FORMATS: Final = (".parquet", ".csv")


def provenance_of(
    data: pl.DataFrame | gpd.GeoDataFrame,
    meta: SnapshotMeta | Mapping[str, Any] | None = None,
) -> SnapshotMeta:
    """Return the provenance of licenses: ``meta``, a GeoDataFrame's own, the sample's, or unknown.

    Examples
    --------
    >>> provenance_of(licenses).synthetic
    True
    """
    return _provenance(data, as_frame(data), meta)


def _points_table(frame: pl.DataFrame) -> tuple[Any, dict[str, Any]]:
    from mining_licenses.store._geoparquet import coordinates, extent_of, geo_metadata, with_points

    x, y = coordinates(frame)
    return with_points(frame.to_arrow(), x, y), geo_metadata(extent_of(x, y))


def _write_parquet(frame: pl.DataFrame, path: Path, metadata: dict[bytes, bytes]) -> None:
    from mining_licenses.store._geoparquet import write_table

    table, geo = _points_table(frame)
    write_table(table, path, {GEO_KEY: encode_json(geo), **metadata})


def _write_csv(frame: pl.DataFrame, path: Path, *, safe: bool) -> None:
    """Write the rows as CSV with the package's one CSV writer, the point as WKT where known."""
    if s.LONGITUDE in frame.columns and s.LATITUDE in frame.columns:
        import shapely

        from mining_licenses.geo import points_from_frame

        wkt = shapely.to_wkt(points_from_frame(frame), rounding_precision=-1)
        frame = frame.with_columns(pl.Series(WKT_COLUMN, wkt, dtype=pl.String()))
    csv.write_csv(frame, path, safe=safe, datetime_format="%Y-%m-%dT%H:%M:%S%.fZ")


def write_result(
    frame: pl.DataFrame,
    path: str | os.PathLike[str],
    *,
    meta: SnapshotMeta,
    details: Mapping[str, Any],
    overwrite: bool = False,
    csv_safe: bool = True,
) -> Path:
    """Write a result frame as GeoParquet (``.parquet``) or CSV (``.csv``) with its provenance.

    ``meta`` is the licenses' provenance; ``details`` the result's own
    (JSON-ready). The file is published whole or not at all, a CSV together
    with its sidecar (both or neither). CSV text that a spreadsheet would run
    as a formula gets a leading ``'`` unless ``csv_safe`` is False.

    Raises
    ------
    ConfigurationError
        For another extension.
    SchemaError
        For GeoParquet, if the frame has no ``longitude``/``latitude`` (a CSV
        is written without the ``wkt`` column then).
    OutputExistsError
        If ``path`` (or a CSV's sidecar) exists and ``overwrite`` is False.
    OutputError
        If the system refuses the file (the message names it and says what to do).

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "screen.parquet"
    >>> write_result(licenses.head(3), out, meta=SnapshotMeta(), details={"screen": "x"}).name
    'screen.parquet'
    """
    target = Path(path).expanduser()
    suffix = target.suffix.lower()
    if suffix not in RESULT_FORMATS:
        msg = f"Cannot write a result to {target}: use one of {', '.join(RESULT_FORMATS)}."
        raise ConfigurationError(msg)
    missing = [c for c in (s.LONGITUDE, s.LATITUDE) if c not in frame.columns]
    if missing and suffix == ".parquet":
        msg = f"The result has no {' or '.join(missing)} column, so it has no points to write."
        raise SchemaError(msg)
    check_writable(target, overwrite=overwrite)  # before the work
    if suffix == ".csv":
        check_writable(sidecar_path(target), overwrite=overwrite)
        body = {
            "file": target.name,
            "description": provenance_line(meta),
            **meta.to_json(),
            RESULT_KEY: dict(details),
        }
        text = json.dumps(body, ensure_ascii=False, indent=1) + "\n"
        write_together(
            [
                (target, lambda temp: _write_csv(frame, temp, safe=csv_safe)),
                (sidecar_path(target), text.encode()),
            ],
            overwrite=overwrite,
        )
        return target
    metadata = {META_KEY: encode_json(meta.to_json()), RESULT_KEY.encode(): encode_json(details)}
    return write_atomic(
        target, lambda temp: _write_parquet(frame, temp, metadata), overwrite=overwrite
    )
