"""The store as a catalogue: list its snapshots, read them all as history, find one, prune.

Listing reads only footers, each once: what a footer says is kept by the
file's (size, modification time, inode), and snapshot files are never
rewritten. :func:`history` is lazy: one scan over the snapshots it needs,
with filters and columns pushed down into the Parquet reader.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import polars as pl
from polars.io.plugins import register_io_source

from mining_licenses import _config
from mining_licenses import _validate as v
from mining_licenses import schema as s
from mining_licenses._atomic import TEMP_SUFFIX
from mining_licenses._errors import ConfigurationError, SnapshotError, shorten
from mining_licenses._filters import FilterValue, validate_filters
from mining_licenses._oserrors import unreadable
from mining_licenses._redact import get_logger
from mining_licenses.store._checksum import check_footer, verify_once
from mining_licenses.store._footer import META_KEY, check_geo, encode_json, entries_in, read_footer
from mining_licenses.store._names import PREFIX, snapshot_files, snapshot_paths
from mining_licenses.store._provenance import (
    SnapshotMeta,
    read_snapshot_meta,
    utc,
)
from mining_licenses.store._shrink import accepted_path, is_held_back

logger = get_logger(__name__)


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
    "checksum": pl.Boolean(),
    "shrink": pl.String(),
    "credits_upper_bound": pl.Int64(),
    "duplicates_upstream": pl.Int64(),
    "incomplete_reasons": pl.String(),
    "notes": pl.String(),
    "held_back": pl.Boolean(),
}
#: The column :func:`history` adds: the snapshot's file name.
SNAPSHOT: Final = "snapshot"
PATH_COLUMN: Final = "__path"
#: Footers remembered at most (a few hundred bytes each).
_FOOTERS_KEPT: Final = 20_000
#: Store folders whose last listing is remembered at most.
_FRAMES_KEPT: Final = 16

_StatKey = tuple[int, int, int]
# path -> (size, mtime, inode) when read, and the listing row or why it was unreadable
_footers: dict[str, tuple[_StatKey, dict[str, Any] | SnapshotError]] = {}
_footers_lock = threading.Lock()
# what was said of damaged snapshots (a few at most: said once each)
_warned: set[str] = set()
# store folder -> the rows (the very objects) and held-back flags last listed, and the frame
_frames: dict[str, tuple[list[dict[str, Any]], list[bool], pl.DataFrame]] = {}


def _snapshot_meta(path: Path) -> tuple[SnapshotMeta, bool]:
    """Return the provenance of a snapshot, its footer checked, and whether it has a checksum.

    Read from the footer's bytes where they read cleanly; pyarrow says what is wrong otherwise.
    """
    footer = read_footer(path)
    if footer is not None:
        sealed = check_footer(path, footer) is not None  # a damaged footer: SnapshotError
        entries = entries_in(footer.raw)
        if entries is not None:
            try:
                check_geo(path, entries)
                return SnapshotMeta.from_json(json.loads(entries[META_KEY])), sealed
            except (SnapshotError, ValueError, TypeError):
                pass
    return read_snapshot_meta(path), bool(footer and check_footer(path, footer))


def _listing_row(path: Path) -> dict[str, Any] | SnapshotError:
    """Return the listing row of one snapshot from its footer, or the error reading it."""
    try:
        info, sealed = _snapshot_meta(path)
    except SnapshotError as err:
        return err
    row = info.to_json()
    row.update(
        path=str(path),
        fetched_at=info.fetched_at,
        filters=encode_json(info.filters).decode(),
        checksum=sealed,
        shrink=None if info.shrink is None else encode_json(info.shrink).decode(),
        incomplete_reasons=", ".join(info.incomplete_reasons) or None,
        notes=json.dumps(list(info.notes), ensure_ascii=False) if info.notes else None,
    )
    return {k: row.get(k) for k in _LISTING}


def _footer_rows(paths: list[str]) -> list[dict[str, Any] | SnapshotError]:
    """Return the listing row (or error) of each path, reading only footers not seen before."""
    out: list[dict[str, Any] | SnapshotError] = []
    for path in paths:
        try:
            st = os.stat(path)  # noqa: PTH116 (strings: a Path a file costs more than the stat)
        except OSError as err:  # removed since it was listed
            error = unreadable(err.errno, Path(path), what="the snapshot", error=SnapshotError)
            out.append(error)
            continue
        key = (st.st_size, st.st_mtime_ns, st.st_ino)
        seen = _footers.get(path)
        if seen is not None and seen[0] == key:
            out.append(seen[1])
            continue
        row = _listing_row(Path(path))
        with _footers_lock:
            if len(_footers) >= _FOOTERS_KEPT:
                _footers.pop(next(iter(_footers)))
            _footers[path] = (key, row)
        out.append(row)
    return out


def _listing(store: str | os.PathLike[str] | None) -> tuple[pl.DataFrame, list[SnapshotError]]:
    folder = _config.store_dir(store)
    rows: list[dict[str, Any]] = []
    held: list[bool] = []
    damaged: list[SnapshotError] = []
    for row in _footer_rows(snapshot_paths(folder)):
        if isinstance(row, SnapshotError):
            damaged.append(row)
        else:  # held back until accepted: the acceptance is a file beside it
            rows.append(row)
            shrink = json.loads(row["shrink"]) if row["shrink"] else None
            held.append(shrink is not None and is_held_back(shrink, Path(row["path"])))
    # The same footers (the same row objects: each is replaced when its file changes)
    # and the same acceptances give the same frame: built once, not per call.
    seen = _frames.get(str(folder))
    if (
        seen is not None
        and seen[1] == held
        and len(seen[0]) == len(rows)
        and all(a is b for a, b in zip(seen[0], rows, strict=True))
    ):
        return seen[2], damaged
    frame = pl.DataFrame(
        [{**row, "held_back": h} for row, h in zip(rows, held, strict=True)],
        schema=_LISTING,
        orient="row",
    )
    frame = frame.with_row_index("_n").sort(s.FETCHED_AT, "_n").drop("_n")
    with _footers_lock:
        if len(_frames) >= _FRAMES_KEPT:
            _frames.pop(next(iter(_frames)))
        _frames[str(folder)] = (rows, held, frame)
    return frame, damaged


def list_snapshots(store: str | os.PathLike[str] | None = None) -> pl.DataFrame:
    """List the store's snapshots, oldest first, from their footers only.

    Each footer is read once per process: a file whose size, modification
    time and inode are unchanged is listed from memory, and while every file
    and acceptance is as it was the frame itself is reused, so listing a store
    of a thousand snapshots again takes a few milliseconds (a stat a file). Unreadable files are
    skipped with a logged warning.

    Returns
    -------
    polars.DataFrame
        ``path``, ``fetched_at``, ``source``, ``filters`` (JSON), ``records``,
        ``total_count``, ``complete``, ``synthetic``, ``package_version``,
        ``schema_version``, ``pages``, ``credits_spent``, ``base_url``;
        ``checksum`` (whether the file carries one: older files do not, and
        are read unverified), ``shrink`` (JSON: how many of the previous
        snapshot's licenses it lacks, when more than a fifth) and
        ``held_back`` (it shrank and was not accepted: not used as the
        newest complete snapshot; see :func:`accept_snapshot`);
        ``credits_upper_bound`` (the most credits the sweep may have been
        billed: ``credits_spent`` is the least), ``duplicates_upstream``
        (rows repeating a license the API served twice), ``incomplete_reasons``
        (comma-separated) and ``notes`` (JSON list): what the sweep knew, null
        for snapshots written before it was kept.

    A file whose footer does not match its checksum is skipped, with a
    logged warning that names it.

    Examples
    --------
    >>> import tempfile
    >>> list_snapshots(tempfile.mkdtemp()).height
    0
    """
    frame, damaged = _listing(store)
    for err in damaged:  # once a process for each damage (a command lists more than once)
        said = str(err)
        if said not in _warned:
            _warned.add(said)
            logger.warning("Skipping a snapshot: %s", said)
    return frame


def history(
    store: str | os.PathLike[str] | None = None,
    *,
    wiup_code: str | Sequence[str] | None = None,
    since: dt.datetime | dt.date | None = None,
    columns: Sequence[str] | None = None,
) -> pl.LazyFrame:
    """All snapshots of the store as one lazy frame, with a ``snapshot`` (file name) column.

    Each row keeps its ``fetched_at``, so ``group_by("fetched_at")`` follows the
    registry over time. The frame is one scan of the snapshot files: filters
    and column choices, these arguments' and your own, are pushed down to the
    Parquet reader, and ``collect(engine="streaming")`` never holds every
    snapshot in memory. Each snapshot read is first checked whole against
    its checksum, once per process while the file is unchanged. Held-back
    snapshots (see :func:`list_snapshots`) are part of the history.

    Parameters
    ----------
    store
        The snapshot folder (see :func:`list_snapshots`).
    wiup_code
        Keep only this license (or these licenses): its trajectory.
    since
        Keep only snapshots fetched at or after this time (a date means its
        00:00 UTC; a naive time is UTC). Snapshots before it are not opened.
    columns
        Canonical columns to keep, in this order (default: all); ``snapshot``
        always comes last.

    Raises
    ------
    SnapshotError
        If a snapshot's footer is unreadable, its columns are not canonical,
        or a byte of it differs from its checksum (the message names the file).
    ConfigurationError
        For a column that is not canonical.

    Examples
    --------
    >>> import tempfile
    >>> history(tempfile.mkdtemp()).collect().columns[-1]
    'snapshot'

    One license over time, and what the last 30 days held (``store`` a folder
    of daily snapshots)::

        trajectory = history(store, wiup_code="3411003442014022").collect()
        recent = history(store, since=dt.date.today() - dt.timedelta(days=30))
        recent.group_by("fetched_at").agg(pl.len()).collect()
    """
    wanted = _columns(columns)
    start = v.moment(since, name="since", function="history", dates=True)
    codes = None if wiup_code is None else v.names(wiup_code, name="wiup_code", function="history")
    listing, damaged = _listing(store)
    if damaged:
        raise damaged[0]
    if start is not None:
        listing = listing.filter(pl.col(s.FETCHED_AT) >= start)
    paths = listing["path"].to_list()
    if not paths:
        empty = s.empty_frame().lazy().select(wanted)
        return empty.with_columns(pl.lit(None, pl.String()).alias(SNAPSHOT))
    schema = {**{c: s.COLUMNS[c] for c in wanted}, SNAPSHOT: pl.String()}
    return register_io_source(
        functools.partial(_read_history, paths, wanted, codes), schema=schema, is_pure=True
    )


#: Snapshots read by one scan of :func:`history` (a damaged one is then looked for among them).
_HISTORY_BATCH: Final = 64


def _read_history(
    paths: list[str],
    wanted: list[str],
    codes: Sequence[str] | None,
    with_columns: list[str] | None,
    predicate: pl.Expr | None,
    n_rows: int | None,
    _batch_size: int | None,
) -> Iterator[pl.DataFrame]:
    """Read the snapshots a few dozen files at a time, with every filter pushed down.

    The source of :func:`history`: polars hands it the columns and the
    predicate of the whole query, so only what is asked for is read, and a
    file whose data turns out damaged is named in a :class:`SnapshotError`.
    """
    for start in range(0, len(paths), _HISTORY_BATCH):
        if n_rows is not None and n_rows <= 0:
            return
        batch = paths[start : start + _HISTORY_BATCH]
        for path in batch:  # damage is an error before the decoder sees it
            verify_once(Path(path))
        scan = pl.scan_parquet(batch, include_file_paths=PATH_COLUMN)
        if codes is not None:
            scan = scan.filter(pl.col(s.WIUP_CODE).is_in(list(codes)))
        scan = scan.select(
            *(pl.col(c).cast(s.COLUMNS[c]) for c in wanted),
            pl.col(PATH_COLUMN).str.extract(r"([^/\\]+)$").alias(SNAPSHOT),
        )
        if predicate is not None:
            scan = scan.filter(predicate)
        if with_columns is not None:
            scan = scan.select(with_columns)
        if n_rows is not None:
            scan = scan.head(n_rows)
        try:
            frame = scan.collect()
        except (pl.exceptions.PolarsError, OSError) as err:
            raise _damaged(batch, err) from err
        if n_rows is not None:
            n_rows -= frame.height
        yield frame


def _damaged(paths: list[str], err: Exception) -> SnapshotError:
    """Name the first of ``paths`` whose data cannot be read (``err`` came from reading them)."""
    for path in paths:
        try:
            pl.read_parquet(path)  # every page decoded: the damage shows
        except (pl.exceptions.PolarsError, OSError):
            bad = path
            break
    else:
        bad = ", ".join(Path(p).name for p in paths)
    msg = (
        f"Snapshot {bad} is damaged or unreadable ({type(err).__name__}: {shorten(str(err))}). "
        "Move it out of the store (or delete it) and retry."
    )
    return SnapshotError(msg)


def _columns(columns: Sequence[str] | None) -> list[str]:
    given = None if columns is None else v.names(columns, name="columns", function="history")
    wanted = list(s.COLUMNS) if given is None else given
    unknown = [c for c in wanted if c not in s.COLUMNS]
    if unknown or not wanted:
        msg = (
            f"columns={shorten(wanted)}: name one or more of the canonical columns: "
            f"{', '.join(s.COLUMNS)}."
        )
        raise ConfigurationError(msg)
    return wanted


def utc_start(when: dt.datetime | dt.date) -> dt.datetime:
    """Return ``when`` as a UTC time; a date is its first instant in UTC."""
    if not isinstance(when, dt.datetime):
        when = dt.datetime.combine(when, dt.time(), tzinfo=dt.UTC)
    return utc(when)


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
    max_age: dt.timedelta | float | None = None,
    include_synthetic: bool = False,
    now: dt.datetime | None = None,
    accept_shrink: bool = False,
) -> Path | None:
    """Return the newest complete snapshot that can answer ``filters``, or None.

    A snapshot answers when it was verified complete and its own filters are
    a subset of ``filters`` (a full sweep answers any filters; a sweep of
    ``commodity_type="Coal"`` answers Coal in Kalimantan Timur, not Nickel).
    Apply ``filters`` to what :func:`read_snapshot` returns. A snapshot held
    back because it lacks too many of its predecessor's licenses is passed
    over until it is accepted.

    Parameters
    ----------
    filters
        The API's filters (validated, canonical spellings).
    max_age
        Skip snapshots fetched longer ago than this before ``now``: a
        ``timedelta`` or seconds (``0``: only a snapshot of this very instant).
    include_synthetic
        Also consider synthetic snapshots (sample, replica demos).
    now
        The time ``max_age`` counts from; defaults to the current time.
    accept_shrink
        Also consider held-back snapshots.

    Examples
    --------
    >>> import tempfile
    >>> find_snapshot(store=tempfile.mkdtemp(), filters={"commodity_type": "coal"}) is None
    True
    """
    function = "find_snapshot"
    want = validate_filters(v.mapping(filters, name="filters", function=function))
    age = v.duration(max_age, name="max_age", function=function)
    now = v.moment(now, name="now", function=function, dates=False)
    synthetic = v.flag(include_synthetic, name="include_synthetic", function=function)
    accept = v.flag(accept_shrink, name="accept_shrink", function=function)
    listing = list_snapshots(store).filter(pl.col("complete"))
    if not synthetic:
        listing = listing.filter(~pl.col("synthetic"))
    if not accept:
        listing = listing.filter(~pl.col("held_back"))
    if age is not None:
        try:
            oldest = utc(now or dt.datetime.now(dt.UTC)) - age
        except OverflowError:  # older than year 1: every snapshot is young enough
            oldest = None
        if oldest is not None:
            listing = listing.filter(pl.col(s.FETCHED_AT) >= oldest)
    for row in reversed(listing.select("path", "filters").rows()):
        if _answers(json.loads(row[1]), want):
            return Path(row[0])
    return None


def held_back_after(
    path: Path, *, store: str | os.PathLike[str] | None, filters: Mapping[str, FilterValue]
) -> list[tuple[Path, dict[str, Any]]]:
    """Return the held-back snapshots newer than ``path`` that would answer ``filters``.

    What a reader of ``path`` is told about: newer data that was not used, and why.
    """
    listing = list_snapshots(store)
    when = listing.filter(pl.col("path") == str(path))[s.FETCHED_AT]
    held = listing.filter(pl.col("held_back"))
    if when.len():
        held = held.filter(pl.col(s.FETCHED_AT) >= when[0], pl.col("path") != str(path))
    return [
        (Path(row[0]), json.loads(row[2]))
        for row in held.select("path", "filters", "shrink").rows()
        if _answers(json.loads(row[1]), filters)
    ]


def prune(*, keep: int, store: str | os.PathLike[str] | None = None) -> list[Path]:
    """Delete all but the ``keep`` newest snapshots of the store; return what was deleted.

    Also removes temporary files that crashed writers left (older than a day).

    Examples
    --------
    >>> import tempfile
    >>> prune(keep=3, store=tempfile.mkdtemp())
    []
    """
    if v.whole(keep, name="keep", function="prune") < 1:
        msg = f"prune(keep={keep}) would delete every snapshot; keep at least 1."
        raise ConfigurationError(msg)
    folder = _config.store_dir(store)
    files = snapshot_files(folder)
    doomed = files[: max(len(files) - keep, 0)]
    for path in doomed:
        path.unlink()
        accepted_path(path).unlink(missing_ok=True)
        logger.info("Pruned snapshot %s", path)
    stale = dt.datetime.now(dt.UTC).timestamp() - 86_400
    for temp in folder.glob(f".{PREFIX}*{TEMP_SUFFIX}*") if folder.is_dir() else []:
        if temp.stat().st_mtime < stale:
            temp.unlink(missing_ok=True)
    return doomed
