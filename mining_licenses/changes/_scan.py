"""Events over a store: its snapshots as chains, read a batch of files at a time.

A snapshot is compared with the snapshot before it **in its chain**: the
complete snapshots of the store with the same filters and the same synthetic
flag, oldest first. An incomplete sweep is never compared (its missing
licenses would read as vanished), nor a Nickel-only pull with a full one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl

from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SnapshotError, shorten
from mining_licenses.changes import vocabulary as v
from mining_licenses.changes._classify import (
    _AT,
    KEY_COLUMNS,
    LAST,
    NAME,
    READ_COLUMNS,
    classify,
    key_expr,
    order,
    stamped,
)
from mining_licenses.changes._fields import DAY, N
from mining_licenses.store import list_snapshots, read_snapshot

if TYPE_CHECKING:
    import geopandas as gpd

#: Snapshots read by one scan (memory holds one batch: ~64 x 4,200 rows).
BATCH: Final = 64
_PATH: Final = "__path"


@dataclass(frozen=True)
class Chain:
    """The complete snapshots of one scope (filters and synthetic flag), oldest first."""

    scope: str
    paths: tuple[str, ...]
    times: tuple[dt.datetime, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The snapshots' file names."""
        return tuple(Path(p).name for p in self.paths)


def scope_of(filters: str | None, synthetic: bool | None) -> str:
    """Return the chain a snapshot belongs to: its filters (JSON) and whether it is synthetic."""
    parsed = json.loads(filters) if filters else {}
    return json.dumps({"filters": parsed, "synthetic": bool(synthetic)}, sort_keys=True)


def chains(store: str | os.PathLike[str] | None) -> list[Chain]:
    """Return the store's chains of complete snapshots, the largest first."""
    listing = list_snapshots(store).filter(pl.col("complete"))
    found: dict[str, tuple[list[str], list[dt.datetime]]] = {}
    rows = listing.select("path", s.FETCHED_AT, "filters", "synthetic").iter_rows()
    for path, at, filters, synthetic in rows:  # one row per snapshot file: a few thousand at most
        paths, times = found.setdefault(scope_of(filters, synthetic), ([], []))
        paths.append(path)
        times.append(at)
    made = [Chain(k, tuple(p), tuple(t)) for k, (p, t) in found.items()]
    return sorted(made, key=lambda c: (-len(c.paths), c.scope))


def _stamps(
    names: Sequence[str | None], times: Sequence[dt.datetime | None], lo: int
) -> pl.DataFrame:
    frame = pl.DataFrame(
        {N: list(range(lo, lo + len(names))), NAME: list(names), _AT: list(times)},
        schema={N: pl.Int64(), NAME: pl.String(), _AT: v.EVENT_COLUMNS[v.OBSERVED_AT]},
    )
    return frame.with_columns(pl.col(_AT).dt.date().alias(DAY))


def _read(paths: Sequence[str], lo: int, columns: Sequence[str]) -> pl.DataFrame:
    """Read ``columns`` of ``paths`` (snapshots ``lo``...) with ``__n``, one scan for all."""
    order_n = pl.col(_PATH).replace_strict(
        list(paths), list(range(lo, lo + len(paths))), return_dtype=pl.Int64()
    )
    try:
        return (
            pl.scan_parquet(list(paths), include_file_paths=_PATH)
            .select(order_n.alias(N), *(pl.col(c).cast(s.COLUMNS[c]) for c in columns))
            .collect()
        )
    except (pl.exceptions.PolarsError, OSError) as err:
        names = ", ".join(Path(p).name for p in paths[:3]) + (" ..." if len(paths) > 3 else "")
        msg = (
            f"Snapshots {names} could not be read for events ({type(err).__name__}: "
            f"{shorten(str(err), 200)}). Move a damaged snapshot out of the store and retry."
        )
        raise SnapshotError(msg) from err


def seen_keys(rows: pl.DataFrame, names: Sequence[str | None], lo: int) -> pl.DataFrame:
    """Return ``key`` and ``__last`` (the name of the last snapshot holding it) of ``rows``."""
    last = rows.select(key_expr(), N).drop_nulls(v.KEY).group_by(v.KEY).agg(pl.col(N).max())
    return last.select(
        v.KEY,
        pl.col(N)
        .replace_strict(list(range(lo, lo + len(names))), list(names), return_dtype=pl.String())
        .alias(LAST),
    )


def merge_seen(seen: pl.DataFrame | None, newer: pl.DataFrame) -> pl.DataFrame:
    """Return the keys of both, each with its latest ``__last`` (``newer`` wins)."""
    if seen is None or not seen.height:
        return newer
    return pl.concat([seen.join(newer, on=v.KEY, how="anti"), newer])


def _batches(lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """Yield ranges ``[a, b]`` of snapshots covering pairs ``lo..hi``, overlapping by one."""
    start = lo - 1
    while start < hi:
        end = min(start + BATCH - 1, hi)
        yield start, end
        start = end


def chain_events(
    chain: Chain,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    seen: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Return the events of the pairs of ``chain`` whose newer snapshot is in ``[since, until)``."""
    times, names, paths = chain.times, chain.names, chain.paths
    pairs = [
        k
        for k in range(1, len(paths))
        if (since is None or times[k] >= since) and (until is None or times[k] < until)
    ]
    if not pairs:
        return v.empty_events()
    lo, hi = pairs[0], pairs[-1]
    for start in range(0, lo - 1, BATCH):  # keys of the snapshots before the first pair
        end = min(start + BATCH, lo - 1)
        rows = _read(paths[start:end], start, KEY_COLUMNS)
        seen = merge_seen(seen, seen_keys(rows, names[start:end], start))
    found = []
    for a, b in _batches(lo, hi):
        rows = _read(paths[a : b + 1], a, READ_COLUMNS)
        stamps = _stamps(names[a : b + 1], times[a : b + 1], a)
        found.append(stamped(classify(rows, stamps, first=a + 1, seen=seen), stamps))
        seen = merge_seen(seen, seen_keys(rows, names[a : b + 1], a))
    return pl.concat(found)


def _utc(when: object, *, end: bool = False) -> dt.datetime | None:
    """Return ``since``/``until`` as UTC; a date ``until`` means the end of that day."""
    if when is None:
        return None
    if isinstance(when, dt.datetime):
        return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    if not isinstance(when, dt.date):
        msg = f"{'until' if end else 'since'}={when!r} must be a date or a datetime."
        raise ConfigurationError(msg)
    day = when + dt.timedelta(days=1) if end else when  # a date "until" includes its day
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def events(
    store: str | os.PathLike[str] | None = None,
    *,
    since: dt.datetime | dt.date | None = None,
    until: dt.datetime | dt.date | None = None,
) -> pl.DataFrame:
    """Return the typed events of the store: each snapshot against the one before it.

    A snapshot is compared with the previous complete snapshot of its chain
    (the same filters, the same synthetic flag); the first of a chain has no
    events, and two snapshots with the same content have none. See
    :data:`~mining_licenses.changes.EVENT_TYPES` for the vocabulary and the
    rule of each type, and ``docs/monitoring.md`` for the license key.

    Parameters
    ----------
    store
        The snapshot folder (default: ``MINING_LICENSES_DATA``).
    since, until
        Keep the pairs whose newer snapshot was fetched at or after ``since``
        and before ``until`` (a date ``until`` includes its whole day; naive
        times are UTC). Older snapshots are read only for their keys, so that
        a license seen long ago ``reappears`` rather than being ``new``.

    Returns
    -------
    polars.DataFrame
        One row per event, with the columns of
        :data:`~mining_licenses.changes.EVENT_COLUMNS`, oldest first.

    Examples
    --------
    >>> import tempfile
    >>> from mining_licenses.store import write_snapshot
    >>> folder = tempfile.mkdtemp()
    >>> meta = {"source": "sample", "synthetic": True, "complete": True}
    >>> _ = write_snapshot(licenses, store=folder, meta=meta)
    >>> later = licenses.with_columns(
    ...     pl.col("fetched_at").dt.offset_by("1mo"),
    ...     pl.when(pl.col("cnc") == "CNC").then(pl.lit("non-CNC")).otherwise(pl.col("cnc"))
    ...     .alias("cnc")).slice(0, 4000)
    >>> _ = write_snapshot(later, store=folder, meta=meta)
    >>> events(folder).group_by("event").len().sort("event").rows()
    [('cnc_changed', 2252), ('expired', 19), ('vanished_early', 121), ('vanished_expired', 79)]
    """
    start, end = _utc(since), _utc(until, end=True)
    found = [chain_events(chain, since=start, until=end) for chain in chains(store)]
    if not found:
        return v.empty_events()
    return order(pl.concat(found))


def _frame(
    item: str | os.PathLike[str] | pl.DataFrame | gpd.GeoDataFrame,
    store: str | os.PathLike[str] | None,
) -> tuple[pl.DataFrame, str | None]:
    if isinstance(item, str | os.PathLike):
        frame = read_snapshot(item, store=store)
        name = None if str(item) == "latest" else Path(item).name
        return frame, name
    from mining_licenses.store._export import as_frame

    return as_frame(item), None


def events_between(
    a: str | os.PathLike[str] | pl.DataFrame | gpd.GeoDataFrame,
    b: str | os.PathLike[str] | pl.DataFrame | gpd.GeoDataFrame,
    *,
    store: str | os.PathLike[str] | None = None,
) -> pl.DataFrame:
    """Return the typed events from snapshot ``a`` to snapshot ``b`` (paths or frames).

    With two snapshots alone, a license in ``b`` and not in ``a`` is ``new``
    (``reappeared`` needs the history of :func:`events`). ``observed_at`` is
    ``b``'s newest ``fetched_at``; the snapshot columns hold the file names,
    or null for frames.

    Examples
    --------
    >>> later = licenses.with_columns(
    ...     pl.col("fetched_at").dt.offset_by("1h"),
    ...     pl.when(pl.col("wiup_code") == licenses["wiup_code"][0])
    ...     .then(pl.col("license_expiry_date").dt.offset_by("5y"))
    ...     .otherwise(pl.col("license_expiry_date")))
    >>> events_between(licenses, later).select("event", "detail").rows()
    [('extended', '+1826 days')]
    """
    (old, old_name), (new, new_name) = _frame(a, store), _frame(b, store)
    columns = list(READ_COLUMNS)
    rows = pl.concat(
        [
            frame.select(
                pl.lit(n, pl.Int64()).alias(N), *(pl.col(c).cast(s.COLUMNS[c]) for c in columns)
            )
            for n, frame in enumerate((old, new))
        ]
    )
    times = [f[s.FETCHED_AT].max() for f in (old, new)]
    stamps = _stamps([old_name, new_name], times, 0)  # type: ignore[arg-type]
    return order(stamped(classify(rows, stamps, first=1), stamps))
