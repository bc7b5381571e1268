"""The store as a catalogue: list its snapshots, read them all as history, find one, prune.

Listing reads only footers; :func:`history` is lazy, and a damaged file it
meets is named in a :class:`SnapshotError`, never a bare polars error.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import polars as pl

from mining_licenses import _config
from mining_licenses import schema as s
from mining_licenses._atomic import TEMP_SUFFIX
from mining_licenses._errors import ConfigurationError, SnapshotError, shorten
from mining_licenses._filters import FilterValue, validate_filters
from mining_licenses.store._geoparquet import encode_json
from mining_licenses.store._names import PREFIX, snapshot_files
from mining_licenses.store._provenance import read_snapshot_meta, utc

logger = logging.getLogger(__name__)


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
    registry over time. Files are read when the frame is collected; one that
    is damaged (its footer read, its data not) raises :class:`SnapshotError`
    naming it.

    Examples
    --------
    >>> import tempfile
    >>> history(tempfile.mkdtemp()).collect().columns[-1]
    'snapshot'
    """
    scans = [_deferred(Path(path)) for path in list_snapshots(store)["path"]]
    if not scans:
        return s.empty_frame().lazy().with_columns(pl.lit(None, pl.String()).alias("snapshot"))
    return pl.concat(scans, how="vertical")


def _deferred(path: Path) -> pl.LazyFrame:
    """One snapshot as a lazy frame that names the file if it turns out to be damaged."""

    def read() -> pl.DataFrame:
        try:
            frame = pl.read_parquet(path, columns=list(s.COLUMNS))
            return frame.select(pl.col(c).cast(t) for c, t in s.COLUMNS.items()).with_columns(
                pl.lit(path.name).alias("snapshot")
            )
        except (pl.exceptions.PolarsError, OSError) as err:
            msg = (
                f"Snapshot {path} is damaged or unreadable ({type(err).__name__}: "
                f"{shorten(str(err))}). Move it out of the store (or delete it) and retry."
            )
            raise SnapshotError(msg) from err

    return pl.defer(read, schema={**s.COLUMNS, "snapshot": pl.String()})


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
    for temp in folder.glob(f".{PREFIX}*{TEMP_SUFFIX}*") if folder.is_dir() else []:
        if temp.stat().st_mtime < stale:
            temp.unlink(missing_ok=True)
    return doomed
