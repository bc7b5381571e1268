"""Diffs between two snapshots: licenses added, removed, and changed field by field."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl

from mining_licenses import _validate as v
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SchemaError, shorten
from mining_licenses.store._catalog import PATH_COLUMN, SNAPSHOT, list_snapshots, utc_start
from mining_licenses.store._export import as_frame
from mining_licenses.store._snapshots import read_snapshot

if TYPE_CHECKING:
    import geopandas as gpd

DIFF_FIELDS: Final = tuple(c for c in s.COLUMNS if c not in (s.FETCHED_AT, s.ISSUES))
_KEY: Final = "key"


@dataclasses.dataclass(frozen=True)
class SnapshotDiff:
    """What changed from snapshot ``a`` to snapshot ``b``.

    Attributes
    ----------
    added, removed
        Canonical rows (with ``key``) only in ``b`` / only in ``a``.
    changed
        One row per changed field of a license in both: ``key``,
        ``wiup_code``, ``license_number`` (as in ``b``), ``field``, ``old``,
        ``new`` (values as text; lists joined with ``;``).
    summary
        Counts: ``a_records``, ``b_records``, ``added``, ``removed``,
        ``changed`` (licenses with any change) and ``unchanged``.
    """

    added: pl.DataFrame
    removed: pl.DataFrame
    changed: pl.DataFrame
    summary: dict[str, int]

    def by_field(self) -> pl.DataFrame:
        """How many licenses changed in each field, most first."""
        return (
            self.changed.group_by("field")
            .agg(pl.col(_KEY).n_unique().alias("licenses"))
            .sort("licenses", "field", descending=[True, False])
        )


def _keyed(frame: pl.DataFrame, ambiguous: pl.Series) -> pl.DataFrame:
    """Add the license key: ``wiup_code``; ``wiup_code|license_number`` where that is ambiguous."""
    code, number = pl.col(s.WIUP_CODE), pl.col(s.LICENSE_NUMBER)
    composite = pl.concat_str([code.fill_null(""), number.fill_null("")], separator="|")
    key = pl.when(code.is_null() | code.is_in(ambiguous.implode())).then(composite).otherwise(code)
    frame = frame.with_columns(key.alias(_KEY))
    if not frame.select(pl.col(_KEY).is_duplicated().any()).item():
        return frame
    occurrence = pl.int_range(pl.len()).over(_KEY)  # exact duplicates: number them
    return frame.with_columns(
        pl.when(occurrence > 0)
        .then(pl.format("{}#{}", pl.col(_KEY), occurrence + 1))
        .otherwise(pl.col(_KEY))
        .alias(_KEY)
    )


def _text(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    return column.list.join(";") if isinstance(dtype, pl.List) else column.cast(pl.String())


def compare(old: pl.DataFrame, new: pl.DataFrame, fields: Sequence[str]) -> SnapshotDiff:
    """Diff two canonical frames on the license key (see ``store.diff_snapshots``)."""
    code = pl.col(s.WIUP_CODE)
    ambiguous = pl.concat(
        [f.select(code.filter(code.is_duplicated())) for f in (old, new)]
    ).to_series()
    old, new = _keyed(old, ambiguous), _keyed(new, ambiguous)
    added = new.join(old.select(_KEY), on=_KEY, how="anti", maintain_order="left")
    removed = old.join(new.select(_KEY), on=_KEY, how="anti", maintain_order="left")
    both = old.select(_KEY, *fields).join(
        new.select(
            _KEY,
            pl.col(s.WIUP_CODE).alias("__code"),
            pl.col(s.LICENSE_NUMBER).alias("__number"),
            *(pl.col(f).alias(f"{f}__new") for f in fields),
        ),
        on=_KEY,
        how="inner",
    )
    # the (few) licenses with any change first, then each field on those only
    differs = [pl.col(f).ne_missing(pl.col(f"{f}__new")) for f in fields]
    touched = both.filter(pl.any_horizontal(differs))
    counts = touched.select(differ.sum() for differ in differs).row(0)
    parts = [
        touched.filter(differ).select(
            pl.col(_KEY),
            pl.col("__code").alias(s.WIUP_CODE),
            pl.col("__number").alias(s.LICENSE_NUMBER),
            pl.lit(f).alias("field"),
            _text(f, s.COLUMNS[f]).alias("old"),
            _text(f"{f}__new", s.COLUMNS[f]).alias("new"),
        )
        for f, differ, count in zip(fields, differs, counts, strict=True)
        if count or f == fields[0]  # one part at least, for the columns
    ]
    changed = pl.concat(parts).sort(_KEY, maintain_order=True)
    changed_licenses = changed[_KEY].n_unique() if changed.height else 0
    summary = {
        "a_records": old.height,
        "b_records": new.height,
        "added": added.height,
        "removed": removed.height,
        "changed": changed_licenses,
        "unchanged": both.height - changed_licenses,
    }
    return SnapshotDiff(added=added, removed=removed, changed=changed, summary=summary)


def _load(
    item: str | os.PathLike[str] | pl.DataFrame | gpd.GeoDataFrame,
    store: str | os.PathLike[str] | None,
    name: str,
) -> pl.DataFrame:
    if isinstance(item, str | os.PathLike):
        return read_snapshot(item, store=store)
    return as_frame(item, function="diff_snapshots", name=name)


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
    >>> new = licenses.with_columns(
    ...     pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("non-CNC"))
    ...     .otherwise(pl.col("cnc")).alias("cnc"))
    >>> d = diff_snapshots(licenses, new)
    >>> d.summary["changed"], d.changed["field"].to_list()
    (1, ['cnc'])
    """
    names = _checked_fields(fields)
    old, new = (_comparable(_load(v, store, k), k, names) for k, v in (("a", a), ("b", b)))
    return compare(old, new, names)


def _comparable(frame: pl.DataFrame, name: str, fields: list[str]) -> pl.DataFrame:
    """Check that ``frame`` has the key columns and ``fields`` with their canonical dtypes."""
    wanted = dict.fromkeys([s.WIUP_CODE, s.LICENSE_NUMBER, *fields])
    missing = [c for c in wanted if c not in frame.columns]
    wrong = [
        f"{c} ({frame.schema[c]}, not {s.COLUMNS[c]})"
        for c in wanted
        if c not in missing and frame.schema[c] not in (s.COLUMNS[c], pl.Null())
    ]
    if missing or wrong:
        problem = f"lacks {', '.join(missing)}" if missing else f"has {', '.join(wrong)}"
        msg = (
            f"diff_snapshots({name}=...): the frame {problem}; compare snapshots or canonical "
            "frames (read_snapshot(), load_licenses(as_='polars'))."
        )
        raise SchemaError(msg)
    return frame


#: Columns of :func:`changes`.
CHANGES_SCHEMA: Final = {
    s.FETCHED_AT: s.COLUMNS[s.FETCHED_AT],
    SNAPSHOT: pl.String(),
    "change": pl.String(),
    _KEY: pl.String(),
    s.WIUP_CODE: pl.String(),
    s.LICENSE_NUMBER: pl.String(),
    "field": pl.String(),
    "old": pl.String(),
    "new": pl.String(),
}
#: Snapshots read per scan by :func:`changes` (memory holds one batch).
_BATCH: Final = 64
_N: Final = "__n"  # a snapshot's place in the batch
_ROW: Final = "__row"  # a row's place in its snapshot


def _events(diff: SnapshotDiff, when: dt.datetime, name: str) -> pl.DataFrame:
    """One row per added or removed license and per changed field, stamped with the snapshot."""
    stamp = (
        pl.lit(when).cast(CHANGES_SCHEMA[s.FETCHED_AT]).alias(s.FETCHED_AT),
        pl.lit(name).alias(SNAPSHOT),
    )
    ends = [
        frame.select(*stamp, pl.lit(change).alias("change"), _KEY, s.WIUP_CODE, s.LICENSE_NUMBER)
        for change, frame in (("added", diff.added), ("removed", diff.removed))
    ]
    edits = diff.changed.select(*stamp, pl.lit("changed").alias("change"), pl.all())
    return pl.concat([*ends, edits], how="diagonal_relaxed").select(
        pl.col(c).cast(t) for c, t in CHANGES_SCHEMA.items()
    )


def changes(
    store: str | os.PathLike[str] | None = None,
    *,
    since: dt.datetime | dt.date,
    fields: Sequence[str] = DIFF_FIELDS,
) -> pl.DataFrame:
    """Return what changed in the store since a time: each snapshot against its predecessor.

    Every snapshot fetched at or after ``since`` is compared with its
    predecessor (the first with the last snapshot before ``since``, if any), as
    :func:`diff_snapshots` compares two. Snapshots are read a batch at a time,
    only the compared columns, so the store's age does not matter.

    Parameters
    ----------
    store
        The snapshot folder.
    since
        The first snapshot time to report (a date means its 00:00 UTC).
    fields
        Columns compared (default: all but ``fetched_at`` and ``issues``).

    Returns
    -------
    polars.DataFrame
        One row per event, oldest snapshot first: ``fetched_at`` and
        ``snapshot`` (the newer snapshot), ``change`` (``added``, ``removed``
        or ``changed``), ``key``, ``wiup_code``, ``license_number``, and for a
        change ``field``, ``old`` and ``new`` (as text).

    Examples
    --------
    >>> import tempfile
    >>> from mining_licenses.store import write_snapshot
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_snapshot(licenses, store=folder)
    >>> later = licenses.with_columns(
    ...     pl.col("fetched_at").dt.offset_by("1d"),
    ...     pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("non-CNC"))
    ...     .otherwise(pl.col("cnc")).alias("cnc"))
    >>> _ = write_snapshot(later.slice(0, 4000), store=folder)
    >>> events = changes(folder, since=dt.date(2026, 11, 2))
    >>> events.group_by("change").len().sort("change").rows()
    [('changed', 1), ('removed', 200)]
    """
    fields = _checked_fields(fields)
    listing = list_snapshots(store)
    start = utc_start(since)
    newer = listing.filter(pl.col(s.FETCHED_AT) >= start)
    if not newer.height:
        return pl.DataFrame(schema=CHANGES_SCHEMA)
    first = listing.height - newer.height
    listing = listing.slice(max(first - 1, 0))
    columns = list(dict.fromkeys([s.WIUP_CODE, s.LICENSE_NUMBER, *fields]))
    events: list[pl.DataFrame] = []
    before: pl.DataFrame | None = None
    for at in range(0, listing.height, _BATCH):
        batch = listing.slice(at, _BATCH)
        paths = batch["path"].to_list()
        order = pl.col(PATH_COLUMN).replace_strict(
            paths, list(range(1, len(paths) + 1)), return_dtype=pl.Int64()
        )
        rows = (
            pl.scan_parquet(paths, include_file_paths=PATH_COLUMN)
            .select(order.alias(_N), *(pl.col(c).cast(s.COLUMNS[c]) for c in columns))
            .collect()
        )
        first_new = 2  # the first snapshot of the first batch has nothing before it
        if before is not None:
            rows, first_new = (
                pl.concat([before.select(pl.lit(0, pl.Int64()).alias(_N), pl.all()), rows]),
                1,
            )
        stamps = pl.DataFrame(
            {
                _N: list(range(1, len(paths) + 1)),
                s.FETCHED_AT: batch[s.FETCHED_AT],
                SNAPSHOT: [Path(p).name for p in paths],
            },
            schema_overrides={_N: pl.Int64()},
        ).filter(pl.col(_N) >= first_new)
        if stamps.height:
            events.append(_batch_events(rows, stamps, fields))
        before = rows.filter(pl.col(_N) == len(paths)).drop(_N)
    return pl.concat(events) if events else pl.DataFrame(schema=CHANGES_SCHEMA)


def _batch_events(rows: pl.DataFrame, stamps: pl.DataFrame, fields: list[str]) -> pl.DataFrame:
    """Return the events of each snapshot ``n`` in ``stamps`` against snapshot ``n - 1``.

    One set of joins for the whole batch; a batch where some snapshot repeats
    a key is compared pair by pair (:func:`compare` numbers the repeats).
    """
    code, number = pl.col(s.WIUP_CODE), pl.col(s.LICENSE_NUMBER)
    composite = pl.concat_str([code.fill_null(""), number.fill_null("")], separator="|")
    keyed = rows.with_columns(
        pl.when(code.is_null()).then(composite).otherwise(code).alias(_KEY),
        pl.int_range(pl.len()).over(_N).alias(_ROW),
    )
    first, last = int(stamps[_N].min()), int(stamps[_N].max())  # type: ignore[arg-type]
    n = pl.col(_N)
    on = [_N, _KEY]
    new = keyed.filter(n >= first).select(
        *on,
        *(pl.col(c).alias(f"{c}__new") for c in (_ROW, s.WIUP_CODE, s.LICENSE_NUMBER)),
        *(pl.col(f).alias(f"{f}__new") for f in fields if f not in (s.WIUP_CODE, s.LICENSE_NUMBER)),
    )
    old = keyed.filter((n >= first - 1) & (n < last)).with_columns(n + 1)
    try:  # a snapshot that repeats a key: compare pair by pair (compare numbers repeats)
        joined = old.select(*on, _ROW, *dict.fromkeys([s.WIUP_CODE, s.LICENSE_NUMBER, *fields]))
        joined = joined.join(new, on=on, how="full", coalesce=True, validate="1:1")
    except pl.exceptions.ComputeError:
        return _pairwise_events(rows, stamps, fields)
    in_old, in_new = pl.col(_ROW).is_not_null(), pl.col(f"{_ROW}__new").is_not_null()
    ends = [
        joined.filter(~present)
        .sort(_N, row)
        .select(_N, pl.lit(change).alias("change"), _KEY, pl.col(c), pl.col(m))
        .rename({c: s.WIUP_CODE, m: s.LICENSE_NUMBER})
        for change, present, row, c, m in (
            ("added", in_old, f"{_ROW}__new", f"{s.WIUP_CODE}__new", f"{s.LICENSE_NUMBER}__new"),
            ("removed", in_new, _ROW, s.WIUP_CODE, s.LICENSE_NUMBER),
        )
    ]
    differs = [pl.col(f).ne_missing(pl.col(f"{f}__new")) for f in fields]
    touched = joined.filter(in_old & in_new & pl.any_horizontal(differs))
    edits = [
        touched.filter(differ).select(
            _N,
            pl.lit("changed").alias("change"),
            _KEY,
            pl.col(f"{s.WIUP_CODE}__new").alias(s.WIUP_CODE),
            pl.col(f"{s.LICENSE_NUMBER}__new").alias(s.LICENSE_NUMBER),
            pl.lit(f).alias("field"),
            _text(f, s.COLUMNS[f]).alias("old"),
            _text(f"{f}__new", s.COLUMNS[f]).alias("new"),
        )
        for f, differ in zip(fields, differs, strict=True)
    ]
    changed = pl.concat(edits).sort(_N, _KEY, maintain_order=True)
    return (
        pl.concat([*ends, changed], how="diagonal")
        .sort(_N, maintain_order=True)
        .join(stamps, on=_N, maintain_order="left")
        .select(pl.col(c).cast(t) for c, t in CHANGES_SCHEMA.items())
    )


def _pairwise_events(rows: pl.DataFrame, stamps: pl.DataFrame, fields: list[str]) -> pl.DataFrame:
    frames = rows.partition_by(_N, as_dict=True, include_key=False)
    empty = rows.clear().drop(_N)
    events = [
        _events(compare(frames.get((n - 1,), empty), frames.get((n,), empty), fields), when, name)
        for n, when, name in stamps.iter_rows()
    ]
    return pl.concat(events)


def _empty(columns: list[str]) -> pl.DataFrame:
    return s.empty_frame().select(columns)


def _checked_fields(fields: Sequence[str]) -> list[str]:
    names = v.names(fields, name="fields", function="diff_snapshots")
    if not names or any(f not in s.COLUMNS for f in names):
        msg = f"fields={shorten(names)} must name columns among: {', '.join(s.COLUMNS)}."
        raise ConfigurationError(msg)
    return names
