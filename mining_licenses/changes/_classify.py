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

from mining_licenses import companies
from mining_licenses import schema as s
from mining_licenses.changes import vocabulary as v

#: Columns the classification reads from each snapshot.
READ_COLUMNS: Final = (
    s.WIUP_CODE,
    s.LICENSE_NUMBER,
    s.LICENSE_TYPE,
    s.COMPANY_NAME,
    s.COMPANY_SLUG,
    s.COMPANY_KEY,
    s.COMMODITY,
    s.ACTIVITY,
    s.PROVINCE,
    s.CITY,
    s.EFFECTIVE_DATE,
    s.EXPIRY_DATE,
    s.AREA_HA,
    s.CNC,
    s.GENERATION,
    s.LOCATION_TEXT,
    s.LONGITUDE,
    s.LATITUDE,
)
#: Columns read to know which keys a snapshot holds (for ``new`` against ``reappeared``).
KEY_COLUMNS: Final = (s.WIUP_CODE, s.LICENSE_NUMBER)
#: Fields reported as ``other`` when they change, one event each.
OTHER_FIELDS: Final = (s.LICENSE_NUMBER, s.EFFECTIVE_DATE, s.GENERATION)
_PLACE_FIELDS: Final = (s.PROVINCE, s.CITY, s.LOCATION_TEXT, s.LONGITUDE, s.LATITUDE)
_CONTEXT: Final = (
    s.WIUP_CODE,
    s.LICENSE_NUMBER,
    s.COMPANY_NAME,
    s.COMPANY_KEY,
    s.PROVINCE,
    s.COMMODITY,
)

N: Final = "__n"  # a snapshot's place in its chain
LAST: Final = "__last"  # the last place a key was seen at
NAME: Final = "__snapshot"  # a snapshot's file name
DAY: Final = "__day"  # a snapshot's UTC day
_AT: Final = "__at"  # a snapshot's fetched_at
_PREV: Final = "__prev_n"
_NEXT: Final = "__next_n"
_OLD: Final = "__old"  # suffix of the previous row's values
_H: Final = "__h"  # a hash of the key and every compared field
_SAME_BEFORE: Final = "__same_before"  # the snapshot before holds this row unchanged
_SAME_AFTER: Final = "__same_after"  # the snapshot after holds this row unchanged
_DAY_BEFORE: Final = "__day_before"
_KM_PER_DEGREE: Final = 111.195
#: An area difference below this (ha) is rounding noise, not a change.
AREA_TOLERANCE_HA: Final = 0.005


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


def _old(name: str) -> str:
    return f"{name}{_OLD}"


def _text(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String())


def _area_text(expr: pl.Expr) -> pl.Expr:
    return expr.round(2).cast(pl.String())


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
            _area_text(col(s.AREA_HA)).fill_null("?"),
            pl.lit(" ha, expires "),
            _text(col(s.EXPIRY_DATE)).fill_null("(unknown)"),
        ]
    )


def _seen_text(name: pl.Expr) -> pl.Expr:
    """Return ``the snapshot of YYYY-MM-DD``, read from a snapshot's file name."""
    digits = name.str.extract(r"(\d{8})T")
    day = pl.concat_str(
        [digits.str.slice(0, 4), digits.str.slice(4, 2), digits.str.slice(6, 2)], separator="-"
    )
    return pl.concat_str([pl.lit("the snapshot of "), day.fill_null(name)])


def _finish(
    frame: pl.LazyFrame, event: str | pl.Expr, old: pl.Expr, new: pl.Expr, detail: pl.Expr
) -> pl.LazyFrame:
    """Shape a frame of matching rows as events of pair ``__n``."""
    kind = pl.lit(event) if isinstance(event, str) else event
    return frame.select(
        pl.col(N),
        kind.alias(v.EVENT),
        pl.col(v.KEY),
        *(pl.col(c) for c in _CONTEXT),
        old.cast(pl.String()).alias(v.OLD),
        new.cast(pl.String()).alias(v.NEW_VALUE),
        detail.cast(pl.String()).alias(v.DETAIL),
    )


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

    A row of snapshot ``n`` is coded ``hash xor n``: a row of ``n + step``
    equal to it has the code ``hash xor (n + step)``.
    """
    h, n = pl.col(_H), pl.col(N).cast(pl.UInt64())  # n + 1 + step >= 0
    codes = keyed.select(h.xor(n + 1).alias("here"), h.xor(n + (1 + step)).alias("there"))
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
        N, v.KEY, *_CONTEXT, s.EXPIRY_DATE
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
        _expired(_with_days(unchanged, days)),
        *_continued(kept, first, days),
    ]
    return pl.concat(pl.collect_all(parts), how="vertical")


def _with_days(lazy: pl.LazyFrame, days: pl.DataFrame) -> pl.LazyFrame:
    """Add ``__day`` (the pair's newer snapshot's day) and ``__day_before`` (the older's)."""
    before = days.lazy().rename({DAY: _DAY_BEFORE}).with_columns(pl.col(N) + 1)
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
        .then(pl.concat_str([pl.lit("listed again; last seen in "), _seen_text(last_seen)]))
        .otherwise(pl.lit("first listed"))
    )
    return [_finish(came, event, pl.lit(None), _status(), detail)]


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
        .then(pl.concat_str([pl.lit("no longer listed; expired on "), _text(expiry)]))
        .when(expiry.is_null())
        .then(pl.lit(f"no longer listed, with no expiry date known: {why}"))
        .otherwise(
            pl.concat_str(
                [pl.lit("no longer listed while valid until "), _text(expiry), pl.lit(f": {why}")]
            )
        )
    )
    return [_finish(gone, event, _status(), pl.lit(None), detail)]


def _continued(kept: pl.DataFrame, first: int, days: pl.DataFrame) -> list[pl.LazyFrame]:
    """Events of licenses in both snapshots of a pair that differ: fields against the row before.

    ``kept`` is sorted by key and snapshot and holds, for every row that
    differs from the row before it, that row too.
    """
    fields = [c for c in READ_COLUMNS if c in kept.columns]
    n = pl.col(N)
    old = [pl.col(f).shift(1).alias(_old(f)) for f in fields]
    continuing = (
        (pl.col(v.KEY) == pl.col(v.KEY).shift(1))
        & (n.shift(1) == n - 1)
        & (n >= first)
        & ~pl.col(_SAME_BEFORE)
    )
    lazy = kept.lazy().with_columns(*old, continuing.alias("__continuing"))
    lazy = _with_days(lazy.filter(pl.col("__continuing")).drop("__continuing"), days)
    touched = lazy.collect().lazy()  # few rows: each rule below reads them
    return [
        _expired(touched),
        *_expiry_moved(touched),
        _stage(touched),
        _cnc(touched),
        *_holder(touched),
        *_area(touched),
        _moved(touched),
        _plain(touched, s.LICENSE_TYPE, v.TYPE_CHANGED),
        _plain(touched, s.COMMODITY, v.COMMODITY_CHANGED),
        *(_other(touched, f) for f in OTHER_FIELDS),
    ]


def _differs(field: str) -> pl.Expr:
    new, old = pl.col(field), pl.col(_old(field))
    if field == s.AREA_HA:
        gap = (new - old).abs() > AREA_TOLERANCE_HA
        return gap.fill_null(new.is_null() != old.is_null())
    return new.ne_missing(old)


def _expired(t: pl.LazyFrame) -> pl.LazyFrame:
    expiry = pl.col(s.EXPIRY_DATE)
    crossed = (expiry >= pl.col(_DAY_BEFORE)) & (expiry < pl.col(DAY))
    detail = pl.concat_str([pl.lit("expired on "), _text(expiry), pl.lit("; still listed")])
    return _finish(
        t.filter(crossed.fill_null(False)), v.EXPIRED, pl.lit("valid"), pl.lit("expired"), detail
    )


def _expiry_moved(t: pl.LazyFrame) -> list[pl.LazyFrame]:
    new, old = pl.col(s.EXPIRY_DATE), pl.col(_old(s.EXPIRY_DATE))
    days = (new - old).dt.total_days()
    moved = t.filter(new.is_not_null() & old.is_not_null() & (new != old))
    sign = pl.when(days > 0).then(pl.lit("+")).otherwise(pl.lit(""))
    detail = pl.concat_str([sign, _text(days), pl.lit(" days")])
    event = pl.when(days > 0).then(pl.lit(v.EXTENDED)).otherwise(pl.lit(v.SHORTENED))
    known = t.filter(new.is_null() != old.is_null())
    note = pl.when(new.is_null()).then(pl.lit("expiry date no longer given"))
    return [
        _finish(moved, event, _text(old), _text(new), detail),
        _finish(
            known,
            v.OTHER,
            _text(old),
            _text(new),
            pl.concat_str(
                [pl.lit(f"{s.EXPIRY_DATE}: "), note.otherwise(pl.lit("expiry date now given"))]
            ),
        ),
    ]


_STAGE_WORDS: Final = {"Eksplorasi": "exploration", "Operasi Produksi": "production"}


def _stage(t: pl.LazyFrame) -> pl.LazyFrame:
    new, old = pl.col(s.ACTIVITY), pl.col(_old(s.ACTIVITY))
    words = [
        e.replace_strict(list(_STAGE_WORDS), list(_STAGE_WORDS.values()), default=e).fill_null(
            "unknown"
        )
        for e in (old, new)
    ]
    detail = pl.concat_str([words[0], pl.lit(" -> "), words[1]])
    return _finish(t.filter(_differs(s.ACTIVITY)), v.STAGE_CHANGED, old, new, detail)


def _cnc(t: pl.LazyFrame) -> pl.LazyFrame:
    new, old = pl.col(s.CNC), pl.col(_old(s.CNC))
    clean, dirty = s.CNC_CLEAN, s.CNC_NOT_CLEAN
    detail = (
        pl.when((old == clean) & (new == dirty))
        .then(pl.lit("lost Clear & Clean (CNC -> non-CNC)"))
        .when((old == dirty) & (new == clean))
        .then(pl.lit("became Clear & Clean (non-CNC -> CNC)"))
        .when(old.is_null() & (new == clean))
        .then(pl.lit("verified Clear & Clean (not yet verified -> CNC)"))
        .when(old.is_null() & (new == dirty))
        .then(pl.lit("verified, not Clear & Clean (not yet verified -> non-CNC)"))
        .when(new.is_null())
        .then(pl.concat_str([pl.lit("status withdrawn ("), old, pl.lit(" -> not yet verified)")]))
        .otherwise(
            pl.concat_str(
                [
                    old.fill_null("not yet verified"),
                    pl.lit(" -> "),
                    new.fill_null("not yet verified"),
                ]
            )
        )
    )
    return _finish(t.filter(_differs(s.CNC)), v.CNC_CHANGED, old, new, detail)


def _holder(t: pl.LazyFrame) -> list[pl.LazyFrame]:
    """Raise ``holder_changed`` when old and new share no identity; renames, slugs: ``other``.

    A record's identities are its ``company_key``, its folded name
    (:func:`mining_licenses.companies.name_key`) and its slug: a respelling,
    a legal form added or a slug learnt keeps one of them.
    """
    named = t.filter(_differs(s.COMPANY_NAME) | _differs(s.COMPANY_SLUG)).collect()
    if not named.height:
        return []
    named = named.with_columns(
        companies.name_keys(named[s.COMPANY_NAME]).alias("__nk"),
        companies.name_keys(named[_old(s.COMPANY_NAME)]).alias(_old("__nk")),
    )
    sides = [
        [
            pl.col(f"{s.COMPANY_KEY}{x}"),
            pl.col(f"__nk{x}"),
            companies.slug_expr(pl.col(f"{s.COMPANY_SLUG}{x}")),
        ]
        for x in ("", _OLD)
    ]
    shared = pl.any_horizontal([(a == b).fill_null(False) for a in sides[1] for b in sides[0]])
    known = [pl.any_horizontal([e.is_not_null() for e in side]) for side in sides]
    changed = known[0] & known[1] & ~shared
    frame = named.lazy()
    name, old_name = pl.col(s.COMPANY_NAME), pl.col(_old(s.COMPANY_NAME))
    detail = pl.concat_str(
        [old_name.fill_null("(unnamed)"), pl.lit(" -> "), name.fill_null("(unnamed)")]
    )
    renamed = ~changed & _differs(s.COMPANY_NAME) & pl.col("__nk").ne_missing(pl.col(_old("__nk")))
    rename_note = pl.lit(f"{s.COMPANY_NAME}: renamed, the same company by key or slug: ")
    return [
        _finish(frame.filter(changed), v.HOLDER_CHANGED, old_name, name, detail),
        _finish(
            frame.filter(renamed), v.OTHER, old_name, name, pl.concat_str([rename_note, detail])
        ),
        _other(frame.filter(~changed), s.COMPANY_SLUG),
    ]


def _area(t: pl.LazyFrame) -> list[pl.LazyFrame]:
    new, old = pl.col(s.AREA_HA), pl.col(_old(s.AREA_HA))
    both = t.filter(_differs(s.AREA_HA) & new.is_not_null() & old.is_not_null())
    gap = new - old
    share = pl.when(old != 0).then(gap / old.abs() * 100)
    sign = pl.when(gap > 0).then(pl.lit("+")).otherwise(pl.lit(""))
    detail = pl.concat_str(
        [
            sign,
            gap.round(2).cast(pl.String()),
            pl.lit(" ha ("),
            sign,
            share.round(1).cast(pl.String()).fill_null("n/a"),
            pl.lit("%)"),
        ]
    )
    known = t.filter(new.is_null() != old.is_null())
    note = pl.when(new.is_null()).then(pl.lit(f"{s.AREA_HA}: area no longer given"))
    return [
        _finish(both, v.AREA_CHANGED, _area_text(old), _area_text(new), detail),
        _finish(
            known,
            v.OTHER,
            _area_text(old),
            _area_text(new),
            note.otherwise(pl.lit(f"{s.AREA_HA}: area now given")),
        ),
    ]


def _place(suffix: str) -> pl.Expr:
    return pl.concat_str(
        [
            pl.col(f"{s.PROVINCE}{suffix}").fill_null("?"),
            pl.lit(" / "),
            pl.coalesce(
                pl.col(f"{s.CITY}{suffix}"), pl.col(f"{s.LOCATION_TEXT}{suffix}")
            ).fill_null("?"),
        ]
    )


def _moved(t: pl.LazyFrame) -> pl.LazyFrame:
    changed = pl.any_horizontal([_differs(f) for f in _PLACE_FIELDS])
    notes = [
        pl.when(_differs(f)).then(
            pl.concat_str(
                [
                    pl.lit(f"{f}: "),
                    pl.col(_old(f)).fill_null("(none)"),
                    pl.lit(" -> "),
                    pl.col(f).fill_null("(none)"),
                ]
            )
        )
        for f in (s.PROVINCE, s.CITY, s.LOCATION_TEXT)
    ]
    lon, lat = pl.col(s.LONGITUDE), pl.col(s.LATITUDE)
    lon0, lat0 = pl.col(_old(s.LONGITUDE)), pl.col(_old(s.LATITUDE))
    mid = ((lat + lat0) / 2).radians().cos()
    km = (((lon - lon0) * mid) ** 2 + (lat - lat0) ** 2).sqrt() * _KM_PER_DEGREE
    point = pl.when(_differs(s.LONGITUDE) | _differs(s.LATITUDE)).then(
        pl.when(km.is_not_null())
        .then(pl.concat_str([pl.lit("point moved "), km.round(1).cast(pl.String()), pl.lit(" km")]))
        .when(lon.is_null())
        .then(pl.lit("point no longer given"))
        .otherwise(pl.lit("point now given"))
    )
    detail = pl.concat_str([*notes, point], separator="; ", ignore_nulls=True)
    return _finish(t.filter(changed), v.MOVED, _place(_OLD), _place(""), detail)


def _plain(t: pl.LazyFrame, field: str, event: str) -> pl.LazyFrame:
    new, old = pl.col(field), pl.col(_old(field))
    detail = pl.concat_str([old.fill_null("(none)"), pl.lit(" -> "), new.fill_null("(none)")])
    return _finish(t.filter(_differs(field)), event, old, new, detail)


def _other(t: pl.LazyFrame, field: str) -> pl.LazyFrame:
    new, old = _text(pl.col(field)), _text(pl.col(_old(field)))
    detail = pl.concat_str(
        [pl.lit(f"{field}: "), old.fill_null("(none)"), pl.lit(" -> "), new.fill_null("(none)")]
    )
    return _finish(t.filter(_differs(field)), v.OTHER, old, new, detail)


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
