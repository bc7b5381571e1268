"""Typed events between consecutive snapshots, computed for many pairs at once.

The rows of a run of snapshots (``__n``: each snapshot's place in its chain)
are keyed, collapsed to one row per license and snapshot, and sorted by
``(key, __n)``. Then every question is a comparison with the neighbouring row
of the same key, never a loop over rows:

* the row before it is in snapshot ``n - 1``: the license continued, and its
  fields are compared with that row's (``extended``, ``cnc_changed``, ...);
* no row before it in ``n - 1``: it appeared (``new``, or ``reappeared`` when
  the key was seen earlier, in this run or in ``seen``);
* no row after it in ``n + 1``: it vanished (``vanished_expired`` or
  ``vanished_early`` by its expiry date against the newer snapshot's day).

The license key is ``wiup_code`` (the WIUP area code, which stays with a
license when it is renumbered, e.g. from exploration to production); a record
without one is keyed by ``license_number:<number>``, and a record with
neither cannot be followed and raises no event. A key listed several times in
one snapshot (``duplicate_wiup_code``) is compared on one of its copies, the
first by content (not by file order), so a repeated record raises nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from mining_licenses import schema as s
from mining_licenses.changes import vocabulary as v
from mining_licenses.changes._fields import (
    CONTEXT,
    DAY,
    DAY_BEFORE,
    N,
    area_text,
    compare,
    expired,
    finish,
    text,
    was,
)

#: Columns the classification reads from each snapshot: every field of a license (not the
#: derived ``geometry_source``, the quality ``issues`` or the snapshot's ``fetched_at``).
READ_COLUMNS: Final = tuple(
    c for c in s.COLUMNS if c not in (s.GEOMETRY_SOURCE, s.ISSUES, s.FETCHED_AT)
)
#: Columns read to know which keys a snapshot holds (for ``new`` against ``reappeared``).
KEY_COLUMNS: Final = (s.WIUP_CODE, s.LICENSE_NUMBER)

LAST: Final = "__last"  # the last place a key was seen at
NAME: Final = "__snapshot"  # a snapshot's file name
_AT: Final = "__at"  # a snapshot's fetched_at
_PREV: Final = "__prev_n"
_NEXT: Final = "__next_n"
_H: Final = "__h"  # a hash of the key and every compared field
_GOLDEN: Final = 0x9E3779B97F4A7C15  # 2**64 / the golden ratio: spreads small numbers
_SAME_BEFORE: Final = "__same_before"  # the snapshot before holds this row unchanged
_SAME_AFTER: Final = "__same_after"  # the snapshot after holds this row unchanged


def key_expr() -> pl.Expr:
    """Return the license key: ``wiup_code`` trimmed, else ``license_number:<number>``."""
    code = pl.col(s.WIUP_CODE).str.strip_chars()
    number = pl.col(s.LICENSE_NUMBER).str.strip_chars()
    return (
        pl.when(code.str.len_chars() > 0)
        .then(code)
        .when(number.str.len_chars() > 0)
        .then(pl.lit(v.NUMBER_KEY_PREFIX) + number)
        .alias(v.KEY)
    )


def _status(prefix: str = "") -> pl.Expr:
    """One line about a license: type and stage, area, expiry (``new`` and ``vanished`` values)."""

    def col(name: str) -> pl.Expr:
        return pl.col(f"{name}{prefix}")

    return pl.concat_str(
        [
            col(s.LICENSE_TYPE).fill_null("?"),
            pl.lit(" "),
            col(s.ACTIVITY).fill_null("(stage unknown)"),
            pl.lit(", "),
            area_text(col(s.AREA_HA)).fill_null("?"),
            pl.lit(" ha, expires "),
            text(col(s.EXPIRY_DATE)).fill_null("(unknown)"),
        ]
    )


def _seentext(name: pl.Expr) -> pl.Expr:
    """Return ``the snapshot of YYYY-MM-DD``, read from a snapshot's file name."""
    digits = name.str.extract(r"(\d{8})T")
    day = pl.concat_str(
        [digits.str.slice(0, 4), digits.str.slice(4, 2), digits.str.slice(6, 2)], separator="-"
    )
    return pl.concat_str([pl.lit("the snapshot of "), day.fill_null(name)])


def _keyed(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows keyed, one per (snapshot, key), with ``__h``: a hash of the key and every field."""
    fields = [c for c in READ_COLUMNS if c in rows.columns]
    keyed = rows.with_columns(key_expr()).filter(pl.col(v.KEY).is_not_null())
    by = [N, v.KEY]
    if keyed.select(by).hash_rows(seed=7).is_duplicated().any():
        # the first copy by content, whatever the file order
        keyed = keyed.sort([*by, *fields], nulls_last=True).unique(by, keep="first")
    compared = [v.KEY, *(f for f in fields if f != s.COMPANY_KEY)]
    return keyed.with_columns(keyed.select(compared).hash_rows(seed=17).alias(_H))


def _same(keyed: pl.DataFrame, step: int) -> pl.Series:
    """Whether snapshot ``__n + step`` holds a row equal to each row (key and fields).

    A row of snapshot ``n`` is coded ``hash xor mix(n)``, ``mix`` spreading
    ``n`` over 64 bits (a Fibonacci multiplier), so two different rows share
    a code only by a 64-bit accident; a row of ``n + step`` equal to it has
    the code ``hash xor mix(n + step)``.
    """
    h, n = pl.col(_H), pl.col(N).cast(pl.UInt64())  # n + 1 + step >= 0

    def mix(at: pl.Expr) -> pl.Expr:
        return at * pl.lit(_GOLDEN, pl.UInt64())

    codes = keyed.select(h.xor(mix(n + 1)).alias("here"), h.xor(mix(n + (1 + step))).alias("there"))
    return codes["there"].is_in(codes["here"].implode())


def classify(
    rows: pl.DataFrame,
    stamps: pl.DataFrame,
    *,
    first: int,
    seen: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Return the events of each pair ``(n - 1, n)`` for ``n`` from ``first`` to the last.

    Rows equal (key and every field) to a row of the snapshot before and to
    one of the snapshot after are set aside first, by looking up a hash of
    each row in the neighbouring snapshots: only the few rows that differ
    from a neighbour are sorted and compared.

    Parameters
    ----------
    rows
        :data:`READ_COLUMNS` and ``__n`` of snapshots ``first - 1`` to the last.
    stamps
        One row per snapshot ``__n``: ``__snapshot`` (file name, may be null),
        ``__at`` (fetched_at) and ``__day`` (its UTC date).
    first
        The newer snapshot of the first pair.
    seen
        ``key`` and ``__last`` (snapshot name where it was last seen) of keys
        seen before ``first - 1``: they ``reappear`` rather than being ``new``.

    Returns
    -------
    polars.DataFrame
        ``__n`` (the pair's newer snapshot) and the event columns without the
        snapshot stamps (see :func:`stamped`).
    """
    keyed = _keyed(rows)
    last = int(stamps[N].max())  # type: ignore[arg-type]
    days = stamps.select(N, DAY)
    names = stamps.select(N, NAME)
    n = pl.col(N)
    flagged = (
        keyed.with_columns(_same(keyed, -1).alias(_SAME_BEFORE), _same(keyed, 1).alias(_SAME_AFTER))
        .lazy()
        .with_columns(
            (pl.col(_SAME_BEFORE) | (n < first)).alias(_SAME_BEFORE),
            (pl.col(_SAME_AFTER) | (n >= last)).alias(_SAME_AFTER),
        )
    )
    kept = flagged.filter(~pl.col(_SAME_BEFORE) | ~pl.col(_SAME_AFTER)).sort([v.KEY, N]).collect()
    unchanged = flagged.filter(pl.col(_SAME_BEFORE) & (n >= first)).select(
        N, v.KEY, *CONTEXT, s.EXPIRY_DATE
    )
    same_prev = pl.col(v.KEY) == pl.col(v.KEY).shift(1)
    same_next = pl.col(v.KEY) == pl.col(v.KEY).shift(-1)
    lazy = kept.lazy().with_columns(
        pl.when(same_prev).then(n.shift(1)).alias(_PREV),
        pl.when(same_next).then(n.shift(-1)).alias(_NEXT),
    )
    parts = [
        *_appeared(lazy.filter(~pl.col(_SAME_BEFORE)), first, names, seen),
        *_vanished(lazy.filter(~pl.col(_SAME_AFTER)), first, last, days),
        expired(_with_days(unchanged, days)),
        *_continued(kept, first, days),
    ]
    return pl.concat(pl.collect_all(parts), how="vertical")


def _with_days(lazy: pl.LazyFrame, days: pl.DataFrame) -> pl.LazyFrame:
    """Add ``__day`` (the pair's newer snapshot's day) and ``__day_before`` (the older's)."""
    before = days.lazy().rename({DAY: DAY_BEFORE}).with_columns(pl.col(N) + 1)
    return lazy.join(days.lazy(), on=N, how="left").join(before, on=N, how="left")


def _appeared(
    lazy: pl.LazyFrame, first: int, names: pl.DataFrame, seen: pl.DataFrame | None
) -> list[pl.LazyFrame]:
    n, prev = pl.col(N), pl.col(_PREV)
    came = lazy.filter((n >= first) & (prev.is_null() | (prev < n - 1)))
    came = came.join(names.lazy().rename({N: _PREV, NAME: "__prev_name"}), on=_PREV, how="left")
    if seen is not None and seen.height:
        came = came.join(seen.lazy().rename({LAST: "__seen_name"}), on=v.KEY, how="left")
    else:
        came = came.with_columns(pl.lit(None, pl.String()).alias("__seen_name"))
    last_seen = pl.coalesce(pl.col("__prev_name"), pl.col("__seen_name"))
    back = prev.is_not_null() | pl.col("__seen_name").is_not_null()
    event = pl.when(back).then(pl.lit(v.REAPPEARED)).otherwise(pl.lit(v.NEW))
    detail = (
        pl.when(back)
        .then(pl.concat_str([pl.lit("listed again; last seen in "), _seentext(last_seen)]))
        .otherwise(pl.lit("first listed"))
    )
    return [finish(came, event, pl.lit(None), _status(), detail)]


def _vanished(lazy: pl.LazyFrame, first: int, last: int, days: pl.DataFrame) -> list[pl.LazyFrame]:
    n, nxt = pl.col(N), pl.col(_NEXT)
    gone = lazy.filter((n >= first - 1) & (n < last) & (nxt.is_null() | (nxt > n + 1)))
    gone = gone.with_columns(n + 1).join(days.lazy(), on=N, how="left")
    expiry = pl.col(s.EXPIRY_DATE)
    lapsed = expiry.is_not_null() & (expiry < pl.col(DAY))
    event = pl.when(lapsed).then(pl.lit(v.VANISHED_EXPIRED)).otherwise(pl.lit(v.VANISHED_EARLY))
    why = (
        "revoked, or dropped by the API because a field went blank upstream "
        "(both are possible; the registry does not say which)"
    )
    detail = (
        pl.when(lapsed)
        .then(pl.concat_str([pl.lit("no longer listed; expired on "), text(expiry)]))
        .when(expiry.is_null())
        .then(pl.lit(f"no longer listed, with no expiry date known: {why}"))
        .otherwise(
            pl.concat_str(
                [pl.lit("no longer listed while valid until "), text(expiry), pl.lit(f": {why}")]
            )
        )
    )
    return [finish(gone, event, _status(), pl.lit(None), detail)]


def _continued(kept: pl.DataFrame, first: int, days: pl.DataFrame) -> list[pl.LazyFrame]:
    """Events of licenses in both snapshots of a pair that differ: fields against the row before.

    ``kept`` is sorted by key and snapshot and holds, for every row that
    differs from the row before it, that row too.
    """
    fields = [c for c in READ_COLUMNS if c in kept.columns]
    n = pl.col(N)
    old = [pl.col(f).shift(1).alias(was(f)) for f in fields]
    continuing = (
        (pl.col(v.KEY) == pl.col(v.KEY).shift(1))
        & (n.shift(1) == n - 1)
        & (n >= first)
        & ~pl.col(_SAME_BEFORE)
    )
    lazy = kept.lazy().with_columns(*old, continuing.alias("__continuing"))
    lazy = _with_days(lazy.filter(pl.col("__continuing")).drop("__continuing"), days)
    return compare(lazy.collect().lazy())  # few rows: each rule reads them


def stamped(events: pl.DataFrame, stamps: pl.DataFrame) -> pl.DataFrame:
    """Add ``snapshot_before``, ``snapshot_after`` and ``observed_at``; order and type the rows."""
    before = stamps.select(pl.col(N) + 1, pl.col(NAME).alias(v.SNAPSHOT_BEFORE))
    after = stamps.select(N, pl.col(NAME).alias(v.SNAPSHOT_AFTER), pl.col(_AT).alias(v.OBSERVED_AT))
    rank = pl.col(v.EVENT).replace_strict(
        list(v.EVENT_ORDER), list(range(len(v.EVENT_ORDER))), return_dtype=pl.Int64()
    )
    out = events.join(before, on=N, how="left").join(after, on=N, how="left")
    return order(out.with_columns(rank.alias("__rank")), extra=[N]).select(
        pl.col(c).cast(t) for c, t in v.EVENT_COLUMNS.items()
    )


def order(frame: pl.DataFrame, *, extra: Sequence[str] = ()) -> pl.DataFrame:
    """Sort events as the ledger keeps them: by time, pair, type, key, then values."""
    if "__rank" not in frame.columns:
        rank = pl.col(v.EVENT).replace_strict(
            list(v.EVENT_ORDER), list(range(len(v.EVENT_ORDER))), return_dtype=pl.Int64()
        )
        frame = frame.with_columns(rank.alias("__rank"))
    by = [v.OBSERVED_AT, *extra, v.SNAPSHOT_AFTER, "__rank", v.KEY, v.OLD, v.NEW_VALUE, v.DETAIL]
    return frame.sort(by, nulls_last=True).drop("__rank")
