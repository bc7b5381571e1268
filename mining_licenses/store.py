"""Snapshots: GeoParquet files of the canonical frame, written atomically, listed, diffed.

A store is a folder (``store=``, else ``MINING_LICENSES_DATA``, else the
per-user data directory) holding one file per snapshot, named by the UTC
time the data was fetched: ``licenses_20261101T060000Z.parquet`` (a second
snapshot of the same second gets ``-2``, ``-3``...). Each file is GeoParquet
1.1 (see :mod:`mining_licenses._geoparquet`) that QGIS, DuckDB, GDAL and
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

import datetime as dt
import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, overload

import polars as pl

from mining_licenses import _config
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SnapshotError
from mining_licenses._export import (
    DIFF_FIELDS,
    EXPORT_FORMATS,
    PREFIX,
    SnapshotDiff,
    as_frame,
    compare,
    export,
    fsync_dir,
    fsync_file,
    publish,
    snapshot_files,
    snapshot_stem,
    temp_path,
    write_sample,
)
from mining_licenses._filters import FilterValue, validate_filters
from mining_licenses._geoparquet import (
    META_KEY,
    SOURCES,
    SnapshotMeta,
    check_columns,
    check_geo,
    encode_json,
    file_metadata,
    read_footer,
    resolve_meta,
    to_parts,
    utc,
    write_table,
)
from mining_licenses.geo import to_geodataframe

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)


__all__ = [
    "EXPORT_FORMATS",
    "SOURCES",
    "SnapshotDiff",
    "SnapshotMeta",
    "bundled_sample_path",
    "diff_snapshots",
    "export",
    "find_snapshot",
    "history",
    "list_snapshots",
    "prune",
    "read_snapshot",
    "read_snapshot_meta",
    "write_sample",
    "write_snapshot",
]

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
    >>> import tempfile, warnings
    >>> from mining_licenses.loader import sample_frame
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     frame = sample_frame()
    >>> path = write_snapshot(frame, store=tempfile.mkdtemp(), meta={"source": "sample"})
    >>> path.name
    'licenses_20261101T060000Z.parquet'
    """
    frame = as_frame(data)
    parts, geo = to_parts(frame)
    info = resolve_meta(meta, frame)
    folder = _config.store_dir(store)
    folder.mkdir(parents=True, exist_ok=True)
    stem = snapshot_stem(info.fetched_at)
    temp = temp_path(folder, stem)
    try:
        write_table(parts, temp, file_metadata(info, geo))
        fsync_file(temp)
        number = 1
        while True:
            target = folder / (f"{stem}.parquet" if number == 1 else f"{stem}-{number}.parquet")
            if publish(temp, target, overwrite=False):
                break
            number += 1
    finally:
        temp.unlink(missing_ok=True)
    fsync_dir(folder)
    logger.info("Wrote snapshot %s (%d records)", target, frame.height)
    return target


# ------------------------------------------------------------------- reading
def read_snapshot_meta(path: str | os.PathLike[str]) -> SnapshotMeta:
    """Return the provenance stored in a snapshot, reading only its footer.

    Examples
    --------
    >>> read_snapshot_meta(bundled_sample_path()).synthetic
    True
    """
    path = Path(path)
    _, metadata = read_footer(path)
    check_geo(path, metadata)
    raw = metadata.get(META_KEY)
    if raw is None:
        msg = f"{path} is GeoParquet but not a mining_licenses snapshot (no provenance block)."
        raise SnapshotError(msg)
    try:
        return SnapshotMeta.from_json(json.loads(raw))
    except (ValueError, TypeError) as err:
        msg = f"Snapshot {path} has a malformed provenance block ({err})."
        raise SnapshotError(msg) from err


def _resolve(path: str | os.PathLike[str], store: str | os.PathLike[str] | None) -> Path:
    if str(path) == "latest":
        listing = list_snapshots(store)
        if not listing.height:
            msg = (
                f"The snapshot store {_config.store_dir(store)} holds no snapshot. Create one "
                "with `mining-licenses pull` or load_licenses(source='api') (needs "
                "SECTORS_API_KEY), or read the bundled synthetic sample: "
                "read_snapshot(bundled_sample_path())."
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
    file = _resolve(path, store)
    footer, metadata = read_footer(file)
    check_geo(file, metadata)
    check_columns(file, footer, needed)
    try:
        frame = pl.read_parquet(file, columns=needed).select(
            pl.col(c).cast(s.COLUMNS[c], strict=True) for c in needed
        )
    except Exception as err:  # polars raises several kinds for a damaged file
        msg = f"Snapshot {file} could not be read ({type(err).__name__}: {err}); it is damaged."
        raise SnapshotError(msg) from err
    if as_ == "polars":
        return frame
    return to_geodataframe(frame).drop(columns=[c for c in needed if c not in wanted])


# ------------------------------------------------------------------- listing
_LISTING: Final = {
    "path": pl.String(),
    s.FETCHED_AT: pl.Datetime("us", "UTC"),
    "source": pl.String(),
    "filters": pl.String(),
    "records": pl.Int64(),
    "total_count": pl.Int64(),
    "complete": pl.Boolean(),
    "synthetic": pl.Boolean(),
    "package_version": pl.String(),
    "schema_version": pl.String(),
    "pages": pl.Int64(),
    "credits_spent": pl.Int64(),
    "base_url": pl.String(),
}


def list_snapshots(store: str | os.PathLike[str] | None = None) -> pl.DataFrame:
    """List the store's snapshots, oldest first, from their footers only.

    Unreadable files are skipped with a logged warning.

    Returns
    -------
    polars.DataFrame
        ``path``, ``fetched_at``, ``source``, ``filters`` (JSON), ``records``,
        ``total_count``, ``complete``, ``synthetic``, ``package_version``,
        ``schema_version``, ``pages``, ``credits_spent``, ``base_url``.

    Examples
    --------
    >>> import tempfile
    >>> list_snapshots(tempfile.mkdtemp()).height
    0
    """
    rows = []
    for path in snapshot_files(_config.store_dir(store)):
        try:
            info = read_snapshot_meta(path)
        except SnapshotError as err:
            logger.warning("Skipping %s: %s", path.name, err)
            continue
        row = info.to_json()
        row.update(
            path=str(path), fetched_at=info.fetched_at, filters=encode_json(info.filters).decode()
        )
        rows.append({k: row.get(k) for k in _LISTING})
    frame = pl.DataFrame(rows, schema=_LISTING, orient="row")
    return frame.with_row_index("_n").sort(s.FETCHED_AT, "_n").drop("_n")


def history(store: str | os.PathLike[str] | None = None) -> pl.LazyFrame:
    """All snapshots of the store as one lazy frame, with a ``snapshot`` (file name) column.

    Each row keeps its ``fetched_at``, so ``group_by("fetched_at")`` follows the
    registry over time.

    Examples
    --------
    >>> import tempfile
    >>> history(tempfile.mkdtemp()).collect().columns[-1]
    'snapshot'
    """
    scans = [
        pl.scan_parquet(path)
        .select(pl.col(c).cast(t) for c, t in s.COLUMNS.items())
        .with_columns(pl.lit(Path(path).name).alias("snapshot"))
        for path in list_snapshots(store)["path"]
    ]
    if not scans:
        return s.empty_frame().lazy().with_columns(pl.lit(None, pl.String()).alias("snapshot"))
    return pl.concat(scans, how="vertical")


def _answers(have: Mapping[str, FilterValue], want: Mapping[str, FilterValue]) -> bool:
    """Tell whether a snapshot pulled with ``have`` holds every row ``want`` selects.

    That is when every filter of the snapshot is also asked for, with the same
    value (``expiring_soon=False`` filters nothing, on both sides).
    """
    have = {k: v for k, v in have.items() if v is not False}
    want = {k: v for k, v in want.items() if v is not False}
    return all(want.get(k) == v for k, v in have.items())


def find_snapshot(
    *,
    store: str | os.PathLike[str] | None = None,
    filters: Mapping[str, object] | None = None,
    max_age: dt.timedelta | None = None,
    include_synthetic: bool = False,
    now: dt.datetime | None = None,
) -> Path | None:
    """Return the newest complete snapshot that can answer ``filters``, or None.

    A snapshot answers when it was verified complete and its own filters are
    a subset of ``filters`` (a full sweep answers any filters; a sweep of
    ``commodity_type="Coal"`` answers Coal in Kalimantan Timur, not Nickel).
    Apply ``filters`` to what :func:`read_snapshot` returns.

    Parameters
    ----------
    filters
        The API's filters (validated, canonical spellings).
    max_age
        Skip snapshots fetched longer ago than this before ``now``.
    include_synthetic
        Also consider synthetic snapshots (sample, replica demos).
    now
        The time ``max_age`` counts from; defaults to the current time.

    Examples
    --------
    >>> import tempfile
    >>> find_snapshot(store=tempfile.mkdtemp(), filters={"commodity_type": "coal"}) is None
    True
    """
    want = validate_filters(filters or {})
    listing = list_snapshots(store).filter(pl.col("complete"))
    if not include_synthetic:
        listing = listing.filter(~pl.col("synthetic"))
    if max_age is not None:
        oldest = utc(now or dt.datetime.now(dt.UTC)) - max_age
        listing = listing.filter(pl.col(s.FETCHED_AT) >= oldest)
    for row in reversed(listing.select("path", "filters").rows()):
        if _answers(json.loads(row[1]), want):
            return Path(row[0])
    return None


# ----------------------------------------------------------------------- diff
def _load(
    item: str | os.PathLike[str] | pl.DataFrame | gpd.GeoDataFrame,
    store: str | os.PathLike[str] | None,
) -> pl.DataFrame:
    if isinstance(item, str | os.PathLike):
        return read_snapshot(item, store=store)
    return as_frame(item)


def diff_snapshots(
    a: str | os.PathLike[str] | pl.DataFrame | gpd.GeoDataFrame,
    b: str | os.PathLike[str] | pl.DataFrame | gpd.GeoDataFrame,
    *,
    fields: Sequence[str] = DIFF_FIELDS,
    store: str | os.PathLike[str] | None = None,
) -> SnapshotDiff:
    """Compare two snapshots (paths, ``"latest"`` or frames): added, removed, changed licenses.

    Licenses are matched on ``wiup_code``. Where a code is missing or
    repeated (in either snapshot) the key is ``wiup_code|license_number``,
    and exact repeats are numbered (``#2``), so no row is lost or paired twice.

    Parameters
    ----------
    a, b
        The older and the newer snapshot.
    fields
        Columns compared (default: all but ``fetched_at`` and ``issues``).
    store
        The store that ``"latest"`` and bare file names refer to.

    Examples
    --------
    >>> old = read_snapshot(bundled_sample_path())
    >>> new = old.with_columns(
    ...     pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("non-CNC"))
    ...     .otherwise(pl.col("cnc")).alias("cnc"))
    >>> d = diff_snapshots(old, new)
    >>> d.summary["changed"], d.changed["field"].to_list()
    (1, ['cnc'])
    """
    if not fields or any(f not in s.COLUMNS for f in fields):
        msg = f"fields={list(fields)!r} must name columns among: {', '.join(s.COLUMNS)}."
        raise ConfigurationError(msg)
    return compare(_load(a, store), _load(b, store), fields)


# --------------------------------------------------------------- maintenance
def prune(*, keep: int, store: str | os.PathLike[str] | None = None) -> list[Path]:
    """Delete all but the ``keep`` newest snapshots of the store; return what was deleted.

    Also removes temporary files that crashed writers left (older than a day).

    Examples
    --------
    >>> import tempfile
    >>> prune(keep=3, store=tempfile.mkdtemp())
    []
    """
    if keep < 1:
        msg = f"keep={keep} would delete every snapshot; keep at least 1."
        raise ConfigurationError(msg)
    folder = _config.store_dir(store)
    files = snapshot_files(folder)
    doomed = files[: max(len(files) - keep, 0)]
    for path in doomed:
        path.unlink()
        logger.info("Pruned snapshot %s", path)
    stale = dt.datetime.now(dt.UTC).timestamp() - 86_400
    for temp in folder.glob(f".{PREFIX}*.tmp") if folder.is_dir() else []:
        if temp.stat().st_mtime < stale:
            temp.unlink(missing_ok=True)
    return doomed


# ----------------------------------------------------------- bundled sample
def bundled_sample_path() -> Path:
    """Return the bundled synthetic sample snapshot (in the wheel or the source checkout).

    Examples
    --------
    >>> bundled_sample_path().name
    'licenses_20261101T060000Z.parquet'
    """
    here = Path(__file__).resolve().parent
    for folder in (here / "_bundled_sample", here.parent / "data" / "sample"):
        files = snapshot_files(folder)
        if files:
            return files[-1]
    msg = (
        "The bundled sample snapshot is missing: reinstall mining-licenses, or in a source "
        "checkout run `make sample` (python -m mining_licenses.store --write-sample data/sample)."
    )
    raise SnapshotError(msg)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mining_licenses.store --write-sample data/sample`` (``make sample``)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mining_licenses.store")
    parser.add_argument("--write-sample", type=Path, metavar="FOLDER", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    write_sample(args.write_sample)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
