"""Snapshots: GeoParquet files of the canonical frame, written atomically and read back.

A store is a folder (``store=``, else ``MINING_LICENSES_DATA``, else the
per-user data directory) holding one file per snapshot, named by the UTC
time the data was fetched: ``licenses_20261101T060000Z.parquet`` (a second
snapshot of the same second gets ``-2``, ``-3``...). Each file is GeoParquet
1.1 (see :mod:`mining_licenses.store._geoparquet`) that QGIS, DuckDB, GDAL and
geopandas open as it is, and carries a ``mining_licenses`` JSON block in its
file metadata: package and schema versions, source, base URL, filters,
``fetched_at``, the API's ``total_count``, records, pages, credits spent,
whether the sweep was verified complete and whether the data is synthetic.
Never an API key.

Files are written to a hidden temporary name in the same folder, flushed to
disk, then linked into place without ever replacing an existing snapshot, so
a crash leaves nothing that :func:`list_snapshots` or :func:`read_snapshot`
would pick up, and two processes writing at once both keep their snapshot.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import polars as pl

from mining_licenses import _config, _terms
from mining_licenses import schema as s
from mining_licenses._atomic import write_atomic
from mining_licenses._errors import ConfigurationError, SnapshotError
from mining_licenses.store._catalog import list_snapshots
from mining_licenses.store._footer import check_columns, check_geo, read_metadata
from mining_licenses.store._names import snapshot_files, snapshot_stem
from mining_licenses.store._provenance import (
    SnapshotMeta,
    file_metadata,
    resolve_meta,
)

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

Output = Literal["polars", "geopandas"]


# ------------------------------------------------------------------- writing
def write_snapshot(
    data: pl.DataFrame | gpd.GeoDataFrame,
    *,
    store: str | os.PathLike[str] | None = None,
    meta: SnapshotMeta | Mapping[str, Any] | None = None,
) -> Path:
    """Write the frame as a new GeoParquet snapshot in the store; return its path.

    Parameters
    ----------
    data
        The canonical polars frame, or a GeoDataFrame of it (its geometry wins).
    store
        Snapshot folder (created if needed); defaults to ``MINING_LICENSES_DATA``
        or the per-user data directory.
    meta
        Provenance: a :class:`SnapshotMeta` or a dict of its fields. Entries
        whose name suggests a secret (``api_key``, ``token``...) are dropped.

    Returns
    -------
    pathlib.Path
        ``<store>/licenses_<UTC fetched_at>.parquet`` (``-2``... if taken).

    Raises
    ------
    SchemaError
        If ``data`` lacks canonical columns.
    ConfigurationError
        For unknown metadata, an unknown source or invalid filters.

    Examples
    --------
    >>> import tempfile
    >>> path = write_snapshot(licenses, store=tempfile.mkdtemp(), meta={"source": "sample"})
    >>> path.name
    'licenses_20261101T060000Z.parquet'
    """
    # the writer's numpy and pyarrow are imported here, not by readers of the store
    from mining_licenses.store._export import as_frame
    from mining_licenses.store._geoparquet import to_parts, write_table

    frame = as_frame(data)
    parts, geo = to_parts(frame)
    info = resolve_meta(meta, frame)
    folder = _config.store_dir(store)
    stem = snapshot_stem(info.fetched_at)
    names = (
        folder / (f"{stem}.parquet" if n == 1 else f"{stem}-{n}.parquet")
        for n in itertools.count(1)
    )
    target = write_atomic(names, lambda temp: write_table(parts, temp, file_metadata(info, geo)))
    logger.info("Wrote snapshot %s (%d records)", target, frame.height)
    return target


# ------------------------------------------------------------------- reading
def snapshot_path(
    path: str | os.PathLike[str] = "latest", *, store: str | os.PathLike[str] | None = None
) -> Path:
    """Return the file a snapshot name means: ``"latest"``, a file name in the store, or a path.

    The file need not exist (reading it says so); ``"latest"`` of an empty
    store raises :class:`SnapshotError` with what to do.

    Examples
    --------
    >>> snapshot_path(bundled_sample_path()) == bundled_sample_path()
    True
    """
    if str(path) == "latest":
        listing = list_snapshots(store)
        if not listing.height:
            msg = (
                f"The snapshot store {_config.store_dir(store)} holds no snapshot. Create one "
                + _terms.pick(
                    "with `mining-licenses pull` or load_licenses(source='api') (needs "
                    "SECTORS_API_KEY), or read the bundled synthetic sample: "
                    "read_snapshot(bundled_sample_path()).",
                    "with `mining-licenses pull` (needs SECTORS_API_KEY), or use the "
                    "bundled synthetic sample: --snapshot sample.",
                )
            )
            raise SnapshotError(msg)
        return Path(listing[-1, "path"])
    candidate = Path(path).expanduser()
    if not candidate.exists() and not candidate.is_absolute():
        in_store = _config.store_dir(store) / candidate
        if in_store.exists():
            return in_store
    return candidate


@overload
def read_snapshot(
    path: str | os.PathLike[str] = ...,
    *,
    store: str | os.PathLike[str] | None = ...,
    as_: Literal["polars"] = ...,
    columns: Sequence[str] | None = ...,
) -> pl.DataFrame: ...
@overload
def read_snapshot(
    path: str | os.PathLike[str] = ...,
    *,
    store: str | os.PathLike[str] | None = ...,
    as_: Literal["geopandas"],
    columns: Sequence[str] | None = ...,
) -> gpd.GeoDataFrame: ...
def read_snapshot(
    path: str | os.PathLike[str] = "latest",
    *,
    store: str | os.PathLike[str] | None = None,
    as_: Output = "polars",
    columns: Sequence[str] | None = None,
) -> pl.DataFrame | gpd.GeoDataFrame:
    """Read a snapshot back as the canonical frame (or a GeoDataFrame), dtypes exact.

    Parameters
    ----------
    path
        A snapshot file, a file name inside the store, or ``"latest"``.
    store
        The store for ``"latest"`` and bare names.
    as_
        ``"polars"`` (default) or ``"geopandas"`` (points in EPSG:4326).
    columns
        Canonical columns to read (default: all), in the order given.

    Returns
    -------
    polars.DataFrame or geopandas.GeoDataFrame
        Rows in the file's (Hilbert) order; rows without a point included.

    Raises
    ------
    SnapshotError
        If the file is missing, truncated, corrupt, not GeoParquet or not of
        the canonical schema; or the store is empty for ``"latest"``.

    Examples
    --------
    >>> frame = read_snapshot(bundled_sample_path())
    >>> frame.schema == s.POLARS_SCHEMA
    True
    """
    if as_ not in ("polars", "geopandas"):
        msg = f"as_={as_!r} is not one of 'polars', 'geopandas'."
        raise ConfigurationError(msg)
    wanted = list(columns) if columns is not None else list(s.COLUMNS)
    unknown = [c for c in wanted if c not in s.COLUMNS]
    if unknown:
        msg = f"Unknown column(s) {', '.join(unknown)}; the columns are: {', '.join(s.COLUMNS)}."
        raise ConfigurationError(msg)
    needed = list(dict.fromkeys(wanted + ([s.LONGITUDE, s.LATITUDE] if as_ == "geopandas" else [])))
    file = snapshot_path(path, store=store)
    check_geo(file, read_metadata(file))
    check_columns(file, needed)
    try:
        frame = pl.read_parquet(file, columns=needed).select(
            pl.col(c).cast(s.COLUMNS[c], strict=True) for c in needed
        )
    except Exception as err:  # polars raises several kinds for a damaged file
        msg = f"Snapshot {file} could not be read ({type(err).__name__}: {err}); it is damaged."
        raise SnapshotError(msg) from err
    if as_ == "polars":
        return frame
    from mining_licenses.geo import to_geodataframe

    return to_geodataframe(frame).drop(columns=[c for c in needed if c not in wanted])


# ------------------------------------------------------------------- listing
def bundled_sample_path() -> Path:
    """Return the bundled synthetic sample snapshot (in the wheel or the source checkout).

    Examples
    --------
    >>> bundled_sample_path().name
    'licenses_20261101T060000Z.parquet'
    """
    here = Path(__file__).resolve().parents[1]  # the package folder
    for folder in (here / "_bundled_sample", here.parent / "data" / "sample"):
        files = snapshot_files(folder)
        if files:
            return files[-1]
    msg = (
        "The bundled sample snapshot is missing: reinstall mining-licenses, or in a source "
        "checkout run `make sample` (mining-licenses sample --write-snapshot data/sample)."
    )
    raise SnapshotError(msg)
