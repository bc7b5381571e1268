"""What ``mining-licenses snapshots`` says about each sweep: credits, why incomplete, notes.

The listing (:func:`mining_licenses.store.list_snapshots`) carries what each
sweep knew about itself; this module turns it into the ``credits`` column
(``43``, or ``43-45`` when timed-out requests may have been billed) and one
line per snapshot that is incomplete, saw duplicates upstream or has notes.
"""

from __future__ import annotations

import json

import polars as pl

__all__ = ["credits_column", "sweep_lines"]


def credits_column() -> pl.Expr:
    """Return the credits a sweep spent as text: ``43``, or ``43-45`` (the most it may have)."""
    spent = pl.col("credits_spent").cast(pl.String)
    upper = pl.col("credits_upper_bound")
    ranged = pl.format("{}-{}", pl.col("credits_spent"), upper)
    return (
        pl.when(upper.is_not_null() & (upper > pl.col("credits_spent")))
        .then(ranged)
        .otherwise(spent)
        .alias("credits")
    )


def sweep_lines(listing: pl.DataFrame) -> list[str]:
    """Return one line per snapshot whose sweep was incomplete, met duplicates or left notes.

    Examples
    --------
    >>> listing = pl.DataFrame({
    ...     "path": ["s/a.parquet"], "incomplete_reasons": ["short, refused"],
    ...     "duplicates_upstream": [2], "notes": [None],
    ...     "records": [1236], "total_count": [1237]})
    >>> sweep_lines(listing)  # doctest: +NORMALIZE_WHITESPACE
    ['a.parquet: incomplete (short, refused), 1,236 of 1,237 licenses; 2 duplicate rows
      upstream (kept, flagged)']
    """
    lines = []
    columns = ("path", "incomplete_reasons", "duplicates_upstream", "notes", "records")
    for path, reasons, duplicates, notes, records, total in listing.select(
        *columns, "total_count"
    ).rows():
        said = []
        if reasons:
            counted = f", {records:,} of {total:,} licenses" if total is not None else ""
            said.append(f"incomplete ({reasons}){counted}")
        noted = json.loads(notes or "[]")
        if duplicates and not noted:  # a sweep's notes say it in words, with the count
            rows = "duplicate row" if duplicates == 1 else "duplicate rows"
            said.append(f"{duplicates:,} {rows} upstream (kept, flagged)")
        said += noted
        if said:
            name = path.replace("\\", "/").rsplit("/", 1)[-1]
            lines.append(f"{name}: " + "; ".join(said))
    return lines
