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

import dataclasses
import itertools
import json
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import polars as pl

from mining_licenses import _config, _terms
from mining_licenses import _validate as v
from mining_licenses import schema as s
from mining_licenses._atomic import write_atomic
from mining_licenses._errors import (
    ConfigurationError,
    ShrunkSnapshotWarning,
    SnapshotError,
    UnverifiedSnapshotWarning,
    shorten,
    warn_once,
)
from mining_licenses._oserrors import read_error
from mining_licenses._redact import get_logger
from mining_licenses.store._catalog import list_snapshots
from mining_licenses.store._checksum import checked_metadata, verified
from mining_licenses.store._footer import check_columns, check_geo
from mining_licenses.store._names import snapshot_files, snapshot_stem
from mining_licenses.store._provenance import (
    SnapshotMeta,
    file_metadata,
    resolve_meta,
)
from mining_licenses.store._shrink import shrink_message, shrink_record

if TYPE_CHECKING:
    import geopandas as gpd

logger = get_logger(__name__)

Output = Literal["polars", "geopandas"]


# ------------------------------------------------------------------- writing
def write_snapshot(
    data: pl.DataFrame | gpd.GeoDataFrame,
    *,
    store: str | os.PathLike[str] | None = None,
    meta: SnapshotMeta | Mapping[str, Any] | None = None,
    accept_shrink: bool = False,
) -> Path:
    """Write the frame as a new GeoParquet snapshot in the store; return its path.

    A complete snapshot that lacks more than a fifth of the licenses of the
    previous complete snapshot of the same filters is written but *held
    back* (its provenance says so, with the numbers, and a
    :class:`ShrunkSnapshotWarning` too): ``load_licenses`` goes on using the
    previous one until it is accepted (:func:`accept_snapshot`), unless
    ``accept_shrink`` is True.

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
    accept_shrink
        Use the snapshot as the newest data even if it lacks many licenses of
        the previous one (the shrink is still recorded).

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

    frame = as_frame(data, function="write_snapshot")
    accept = v.flag(accept_shrink, name="accept_shrink", function="write_snapshot")
    parts, geo = to_parts(frame)
    info = resolve_meta(meta, frame)
    shrink = shrink_record(frame, info, store, accept=accept)
    info = dataclasses.replace(info, shrink=shrink)
    folder = _config.store_dir(store)
    stem = snapshot_stem(info.fetched_at)
    names = (
        folder / (f"{stem}.parquet" if n == 1 else f"{stem}-{n}.parquet")
        for n in itertools.count(1)
    )
    target = write_atomic(names, lambda temp: write_table(parts, temp, file_metadata(info, geo)))
    logger.info("Wrote snapshot %s (%d records)", target, frame.height)
    if shrink is not None:
        warnings.warn(shrink_message(target, shrink), ShrunkSnapshotWarning, stacklevel=2)
    return target


# ------------------------------------------------------------------- reading
def snapshot_path(
    path: str | os.PathLike[str] = "latest", *, store: str | os.PathLike[str] | None = None
) -> Path:
    """Return the file a snapshot name means: ``"latest"``, a file name in the store, or a path.

    ``"sample"`` is the bundled synthetic sample (unless a file of that name
    is there). The file need not exist (reading it says so); ``"latest"`` of an empty
    store raises :class:`SnapshotError` with what to do. A held-back snapshot
    is never ``"latest"`` (a :class:`ShrunkSnapshotWarning` says when it is newer).

    Examples
    --------
    >>> snapshot_path(bundled_sample_path()) == bundled_sample_path()
    True
    """
    path = v.path(path, name="path", function="read_snapshot")
    if str(path) == "latest":
        listing = list_snapshots(store)
        newest = listing.filter(~pl.col("held_back"))
        for row in listing.filter(pl.col("held_back")).iter_rows(named=True):
            if not newest.height or row[s.FETCHED_AT] >= newest[-1, s.FETCHED_AT]:
                held = Path(row["path"])
                warn_once(str(held), shrink_message(held, json.loads(row["shrink"])),
                          ShrunkSnapshotWarning, stacklevel=4)  # fmt: skip
        listing = newest
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
        if str(path) == "sample":  # the bundled synthetic sample, as --snapshot sample means
            return bundled_sample_path()
    return candidate


@overload
def read_snapshot(
    path: str | os.PathLike[str] = ...,
    *,
    store: str | os.PathLike[str] | None = ...,
    as_: Literal["polars"] = ...,
    columns: Sequence[str] | None = ...,
    verify: bool = ...,
) -> pl.DataFrame: ...
@overload
def read_snapshot(
    path: str | os.PathLike[str] = ...,
    *,
    store: str | os.PathLike[str] | None = ...,
    as_: Literal["geopandas"],
    columns: Sequence[str] | None = ...,
    verify: bool = ...,
) -> gpd.GeoDataFrame: ...
def read_snapshot(
    path: str | os.PathLike[str] = "latest",
    *,
    store: str | os.PathLike[str] | None = None,
    as_: Output = "polars",
    columns: Sequence[str] | None = None,
    verify: bool = True,
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
    verify
        Check the whole file against the checksum in its footer while it is
        read (the default; it costs one SHA-256 pass over the file, run
        alongside the decoding). The footer is checked either way.

    Returns
    -------
    polars.DataFrame or geopandas.GeoDataFrame
        Rows in the file's (Hilbert) order; rows without a point included.

    Raises
    ------
    SnapshotError
        If the file is missing, truncated, corrupt, not GeoParquet or not of
        the canonical schema, or any byte of it differs from what its
        checksum says (a damaged file never reads as other data); or the
        store is empty for ``"latest"``.

    Warns
    -----
    UnverifiedSnapshotWarning
        For a snapshot written before snapshots carried a checksum (read as before).

    Examples
    --------
    >>> frame = read_snapshot(bundled_sample_path())
    >>> frame.schema == s.POLARS_SCHEMA
    True
    """
    v.choice(as_, ("polars", "geopandas"), name="as_", function="read_snapshot")
    verify = v.flag(verify, name="verify", function="read_snapshot")
    given = None if columns is None else v.names(columns, name="columns", function="read_snapshot")
    wanted = list(s.COLUMNS) if given is None else given
    unknown = [c for c in wanted if c not in s.COLUMNS]
    if unknown:
        msg = f"Unknown column(s) {', '.join(unknown)}; the columns are: {', '.join(s.COLUMNS)}."
        raise ConfigurationError(msg)
    needed = list(dict.fromkeys(wanted + ([s.LONGITUDE, s.LATITUDE] if as_ == "geopandas" else [])))
    file = snapshot_path(path, store=store)
    metadata, sealed = checked_metadata(file)
    check_geo(file, metadata)
    check_columns(file, needed)
    if sealed is None:
        warn_once(
            f"unverified:{file}",
            f"Snapshot {file} carries no checksum (written by an older mining-licenses): it is "
            "read unverified. Export it again (export(read_snapshot(path), new_path)) to add one.",
            UnverifiedSnapshotWarning,
            stacklevel=3,
        )

    def read() -> pl.DataFrame:
        try:
            return pl.read_parquet(file, columns=needed).select(
                pl.col(c).cast(s.COLUMNS[c], strict=True) for c in needed
            )
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as err:  # polars raises several kinds (a panic too) for a damage
            refused = read_error(
                err, file, what="the snapshot", error=SnapshotError, fix="List the store again."
            )
            if refused is not None:  # the system's refusal (vanished, no permission), not damage
                raise refused from err
            msg = (
                f"Snapshot {file} could not be read ({type(err).__name__}: {shorten(str(err))}); "
                "it is damaged: restore it from a backup, or delete it and pull again."
            )
            raise SnapshotError(msg) from err

    frame = verified(file, sealed if verify else None, read)
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
