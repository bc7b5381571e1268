"""Diffs between two snapshots: licenses added, removed, and changed field by field."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import polars as pl

from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError
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
    added = new.join(old.select(_KEY), on=_KEY, how="anti")
    removed = old.join(new.select(_KEY), on=_KEY, how="anti")
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
    parts = [
        both.filter(pl.col(f).ne_missing(pl.col(f"{f}__new"))).select(
            pl.col(_KEY),
            pl.col("__code").alias(s.WIUP_CODE),
            pl.col("__number").alias(s.LICENSE_NUMBER),
            pl.lit(f).alias("field"),
            _text(f, s.COLUMNS[f]).alias("old"),
            _text(f"{f}__new", s.COLUMNS[f]).alias("new"),
        )
        for f in fields
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
    >>> new = licenses.with_columns(
    ...     pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("non-CNC"))
    ...     .otherwise(pl.col("cnc")).alias("cnc"))
    >>> d = diff_snapshots(licenses, new)
    >>> d.summary["changed"], d.changed["field"].to_list()
    (1, ['cnc'])
    """
    if not fields or any(f not in s.COLUMNS for f in fields):
        msg = f"fields={list(fields)!r} must name columns among: {', '.join(s.COLUMNS)}."
        raise ConfigurationError(msg)
    return compare(_load(a, store), _load(b, store), fields)
