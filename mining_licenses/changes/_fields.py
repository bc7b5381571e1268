"""The rules for a license listed in both snapshots of a pair: one function per event type.

Each takes the rows that differ from the row before them (``touched``: the
newer values in the field's own column, the older ones in ``<field>__old``)
and returns that type's events as a lazy frame: a filter and the event's
values, as polars expressions. :func:`compare` applies them all.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from mining_licenses import companies
from mining_licenses import schema as s
from mining_licenses.changes import vocabulary as v

N: Final = "__n"  # a snapshot's place in its chain
DAY: Final = "__day"  # a snapshot's UTC day
DAY_BEFORE: Final = "__day_before"  # the day of the snapshot before
OLD: Final = "__old"  # suffix of the previous row's values
#: Fields reported as ``other`` when they change, one event each.
OTHER_FIELDS: Final = (s.LICENSE_NUMBER, s.EFFECTIVE_DATE, s.GENERATION)
#: The columns that place a license (``moved``).
PLACE_FIELDS: Final = (s.PROVINCE, s.CITY, s.LOCATION_TEXT, s.LONGITUDE, s.LATITUDE)
#: The license as an event shows it (from the newer row; the older for a vanished one).
CONTEXT: Final = (
    s.WIUP_CODE,
    s.LICENSE_NUMBER,
    s.COMPANY_NAME,
    s.COMPANY_KEY,
    s.PROVINCE,
    s.COMMODITY,
)
_KM_PER_DEGREE: Final = 111.195
#: An area difference below this (ha) is rounding noise, not a change.
AREA_TOLERANCE_HA: Final = 0.005


def was(name: str) -> str:
    return f"{name}{OLD}"


def text(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String())


def area_text(expr: pl.Expr) -> pl.Expr:
    return expr.round(2).cast(pl.String())


def finish(
    frame: pl.LazyFrame, event: str | pl.Expr, old: pl.Expr, new: pl.Expr, detail: pl.Expr
) -> pl.LazyFrame:
    """Shape a frame of matching rows as events of pair ``__n``."""
    kind = pl.lit(event) if isinstance(event, str) else event
    return frame.select(
        pl.col(N),
        kind.alias(v.EVENT),
        pl.col(v.KEY),
        *(pl.col(c) for c in CONTEXT),
        old.cast(pl.String()).alias(v.OLD),
        new.cast(pl.String()).alias(v.NEW_VALUE),
        detail.cast(pl.String()).alias(v.DETAIL),
    )


def compare(touched: pl.LazyFrame) -> list[pl.LazyFrame]:
    """Return the events of every rule over ``touched`` (continuing rows that differ)."""
    return [
        expired(touched),
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


def differs(field: str) -> pl.Expr:
    new, old = pl.col(field), pl.col(was(field))
    if field == s.AREA_HA:
        gap = (new - old).abs() > AREA_TOLERANCE_HA
        return gap.fill_null(new.is_null() != old.is_null())
    return new.ne_missing(old)


def expired(t: pl.LazyFrame) -> pl.LazyFrame:
    expiry = pl.col(s.EXPIRY_DATE)
    crossed = (expiry >= pl.col(DAY_BEFORE)) & (expiry < pl.col(DAY))
    detail = pl.concat_str([pl.lit("expired on "), text(expiry), pl.lit("; still listed")])
    return finish(
        t.filter(crossed.fill_null(False)), v.EXPIRED, pl.lit("valid"), pl.lit("expired"), detail
    )


def _expiry_moved(t: pl.LazyFrame) -> list[pl.LazyFrame]:
    new, old = pl.col(s.EXPIRY_DATE), pl.col(was(s.EXPIRY_DATE))
    days = (new - old).dt.total_days()
    moved = t.filter(new.is_not_null() & old.is_not_null() & (new != old))
    sign = pl.when(days > 0).then(pl.lit("+")).otherwise(pl.lit(""))
    detail = pl.concat_str([sign, text(days), pl.lit(" days")])
    event = pl.when(days > 0).then(pl.lit(v.EXTENDED)).otherwise(pl.lit(v.SHORTENED))
    known = t.filter(new.is_null() != old.is_null())
    note = pl.when(new.is_null()).then(pl.lit("expiry date no longer given"))
    return [
        finish(moved, event, text(old), text(new), detail),
        finish(
            known,
            v.OTHER,
            text(old),
            text(new),
            pl.concat_str(
                [pl.lit(f"{s.EXPIRY_DATE}: "), note.otherwise(pl.lit("expiry date now given"))]
            ),
        ),
    ]


_STAGE_WORDS: Final = {"Eksplorasi": "exploration", "Operasi Produksi": "production"}


def _stage(t: pl.LazyFrame) -> pl.LazyFrame:
    new, old = pl.col(s.ACTIVITY), pl.col(was(s.ACTIVITY))
    words = [
        e.replace_strict(list(_STAGE_WORDS), list(_STAGE_WORDS.values()), default=e).fill_null(
            "unknown"
        )
        for e in (old, new)
    ]
    detail = pl.concat_str([words[0], pl.lit(" -> "), words[1]])
    return finish(t.filter(differs(s.ACTIVITY)), v.STAGE_CHANGED, old, new, detail)


def _cnc(t: pl.LazyFrame) -> pl.LazyFrame:
    new, old = pl.col(s.CNC), pl.col(was(s.CNC))
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
    return finish(t.filter(differs(s.CNC)), v.CNC_CHANGED, old, new, detail)


def _holder(t: pl.LazyFrame) -> list[pl.LazyFrame]:
    """Raise ``holder_changed`` when old and new share no identity; renames, slugs: ``other``.

    A record's identities are its ``company_key``, its folded name
    (:func:`mining_licenses.companies.name_key`) and its slug: a respelling,
    a legal form added or a slug learnt keeps one of them.
    """
    named = t.filter(differs(s.COMPANY_NAME) | differs(s.COMPANY_SLUG)).collect()
    if not named.height:
        return []
    named = named.with_columns(
        companies.name_keys(named[s.COMPANY_NAME]).alias("__nk"),
        companies.name_keys(named[was(s.COMPANY_NAME)]).alias(was("__nk")),
    )
    sides = [
        [
            pl.col(f"{s.COMPANY_KEY}{x}"),
            pl.col(f"__nk{x}"),
            companies.slug_expr(pl.col(f"{s.COMPANY_SLUG}{x}")),
        ]
        for x in ("", OLD)
    ]
    shared = pl.any_horizontal([(a == b).fill_null(False) for a in sides[1] for b in sides[0]])
    known = [pl.any_horizontal([e.is_not_null() for e in side]) for side in sides]
    changed = known[0] & known[1] & ~shared
    frame = named.lazy()
    name, old_name = pl.col(s.COMPANY_NAME), pl.col(was(s.COMPANY_NAME))
    detail = pl.concat_str(
        [old_name.fill_null("(unnamed)"), pl.lit(" -> "), name.fill_null("(unnamed)")]
    )
    renamed = ~changed & differs(s.COMPANY_NAME) & pl.col("__nk").ne_missing(pl.col(was("__nk")))
    rename_note = pl.lit(f"{s.COMPANY_NAME}: renamed, the same company by key or slug: ")
    return [
        finish(frame.filter(changed), v.HOLDER_CHANGED, old_name, name, detail),
        finish(
            frame.filter(renamed), v.OTHER, old_name, name, pl.concat_str([rename_note, detail])
        ),
        _other(frame.filter(~changed), s.COMPANY_SLUG),
    ]


def _area(t: pl.LazyFrame) -> list[pl.LazyFrame]:
    new, old = pl.col(s.AREA_HA), pl.col(was(s.AREA_HA))
    both = t.filter(differs(s.AREA_HA) & new.is_not_null() & old.is_not_null())
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
        finish(both, v.AREA_CHANGED, area_text(old), area_text(new), detail),
        finish(
            known,
            v.OTHER,
            area_text(old),
            area_text(new),
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
    changed = pl.any_horizontal([differs(f) for f in PLACE_FIELDS])
    notes = [
        pl.when(differs(f)).then(
            pl.concat_str(
                [
                    pl.lit(f"{f}: "),
                    pl.col(was(f)).fill_null("(none)"),
                    pl.lit(" -> "),
                    pl.col(f).fill_null("(none)"),
                ]
            )
        )
        for f in (s.PROVINCE, s.CITY, s.LOCATION_TEXT)
    ]
    lon, lat = pl.col(s.LONGITUDE), pl.col(s.LATITUDE)
    lon0, lat0 = pl.col(was(s.LONGITUDE)), pl.col(was(s.LATITUDE))
    mid = ((lat + lat0) / 2).radians().cos()
    km = (((lon - lon0) * mid) ** 2 + (lat - lat0) ** 2).sqrt() * _KM_PER_DEGREE
    point = pl.when(differs(s.LONGITUDE) | differs(s.LATITUDE)).then(
        pl.when(km.is_not_null())
        .then(pl.concat_str([pl.lit("point moved "), km.round(1).cast(pl.String()), pl.lit(" km")]))
        .when(lon.is_null())
        .then(pl.lit("point no longer given"))
        .otherwise(pl.lit("point now given"))
    )
    detail = pl.concat_str([*notes, point], separator="; ", ignore_nulls=True)
    return finish(t.filter(changed), v.MOVED, _place(OLD), _place(""), detail)


def _plain(t: pl.LazyFrame, field: str, event: str) -> pl.LazyFrame:
    new, old = pl.col(field), pl.col(was(field))
    detail = pl.concat_str([old.fill_null("(none)"), pl.lit(" -> "), new.fill_null("(none)")])
    return finish(t.filter(differs(field)), event, old, new, detail)


def _other(t: pl.LazyFrame, field: str) -> pl.LazyFrame:
    new, old = text(pl.col(field)), text(pl.col(was(field)))
    detail = pl.concat_str(
        [pl.lit(f"{field}: "), old.fill_null("(none)"), pl.lit(" -> "), new.fill_null("(none)")]
    )
    return finish(t.filter(differs(field)), v.OTHER, old, new, detail)
