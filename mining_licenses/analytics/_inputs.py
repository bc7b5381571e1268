"""Input handling shared by the analytics functions.

Frame kind (polars or GeoDataFrame), required columns and their dtypes,
``by`` groups, the ``as_of`` date, and the expressions that decide whether a
license's dates can be trusted. Kept apart from :mod:`mining_licenses.analytics`
so that the public modules hold only the questions they answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Final

import polars as pl

from mining_licenses import _validate as v
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SchemaError, shorten
from mining_licenses._plausible import counted_area, counted_values, in_window

#: ``by`` as the analytics accept it: nothing, one column, or several.
By = str | Sequence[str] | None

#: polars engine of the aggregations (see the benchmark notes in bench_analytics.py).
ENGINE: Final = "streaming"

#: Days in a mean Gregorian year: ages and tenures are days / this.
DAYS_PER_YEAR: Final = 365.25

_CANONICAL_HINT: Final = "pass a canonical frame, e.g. from load_licenses() or normalize_records()"

#: Issue codes that make a record's effective or expiry date untrustworthy.
INVALID_EFFECTIVE: Final = s.field_issue(s.ISSUE_INVALID_DATE, s.EFFECTIVE_DATE)
INVALID_EXPIRY: Final = s.field_issue(s.ISSUE_INVALID_DATE, s.EXPIRY_DATE)
DATE_PAIR_FLAGS: Final = (INVALID_EFFECTIVE, INVALID_EXPIRY, s.ISSUE_EXPIRY_BEFORE_EFFECTIVE)
EXPIRY_FLAGS: Final = (INVALID_EXPIRY, s.ISSUE_EXPIRY_BEFORE_EFFECTIVE)


def to_polars_frame(
    df: Any, *, function: str, columns: Iterable[str] | None = None
) -> tuple[pl.DataFrame, bool]:
    """Return ``df`` as a polars frame, and whether it was a GeoDataFrame.

    ``columns`` names what the caller reads: from a GeoDataFrame that has them
    all, only those (and ``fetched_at``) are converted, which skips the
    geometry; otherwise the whole frame is, so errors can name what is there.
    """
    if isinstance(df, pl.DataFrame):
        return df, False
    import geopandas as gpd
    import pandas as pd

    if isinstance(df, gpd.GeoDataFrame):
        from mining_licenses.geo import to_polars

        if columns is not None:
            wanted = {*columns, s.FETCHED_AT} & set(df.columns)
            if wanted >= set(columns):
                return to_polars(pd.DataFrame(df[[c for c in df.columns if c in wanted]])), True
        return to_polars(df), True
    msg = (
        f"{function}() takes a polars DataFrame or a GeoDataFrame, not "
        f"{type(df).__module__}.{type(df).__name__}; {_CANONICAL_HINT}."
    )
    raise SchemaError(msg)


def by_names(by: By, *, function: str) -> list[str]:
    """Return ``by`` as a list of names: one str or a list of them (else a ParameterTypeError)."""
    if by is None:
        return []
    return v.names(by, name="by", function=function)


def require_columns(frame: pl.DataFrame, columns: Iterable[str], *, function: str) -> pl.DataFrame:
    """Check that ``frame`` has ``columns`` with their canonical dtypes.

    Columns of dtype ``Null`` or ``List(Null)`` (all null, or all empty lists,
    as polars infers them without a schema) are cast to the canonical dtype;
    any other mismatch is an error.
    ``fetched_at`` may be any Datetime (it is only read for its date).
    """
    wanted = list(dict.fromkeys(columns))
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        msg = (
            f"{function}() needs column(s) {', '.join(missing)}, which the frame lacks; "
            f"{_CANONICAL_HINT}."
        )
        raise SchemaError(msg)
    casts: dict[str, pl.DataType] = {}
    for name in wanted:
        actual = frame.schema[name]
        expected = s.COLUMNS[name]
        if _all_null_dtype(actual):
            casts[name] = expected
        elif name == s.FETCHED_AT and isinstance(actual, pl.Datetime):
            continue
        elif actual != expected:
            msg = (
                f"{function}() needs column {name!r} as {expected}, but it is {actual}; "
                f"cast it with pl.col({name!r}).cast(...) or {_CANONICAL_HINT}."
            )
            raise SchemaError(msg)
    return frame.cast(casts) if casts else frame  # type: ignore[arg-type]


def load(
    df: Any, needed: Sequence[str], *, function: str, by: By = None
) -> tuple[pl.DataFrame, bool]:
    """Convert ``df`` (reading only ``needed`` and ``by`` from a GeoDataFrame) and check it.

    Returns the polars frame, with ``needed`` checked by :func:`require_columns`,
    and whether ``df`` was a GeoDataFrame.
    """
    groups = by_names(by, function=function)
    frame, is_geo = to_polars_frame(df, function=function, columns=[*needed, *groups])
    return require_columns(frame, needed, function=function), is_geo


def _all_null_dtype(dtype: pl.DataType) -> bool:
    """Return True for the dtypes polars infers from all-null or all-empty values."""
    return dtype == pl.Null() or (isinstance(dtype, pl.List) and dtype.inner == pl.Null())


def group_columns(
    frame: pl.DataFrame, by: By, *, function: str, reserved: Collection[str] = ()
) -> list[str]:
    """Return ``by`` as a list of column names, checked against ``frame``.

    ``reserved`` are names the result uses itself (its keys and outputs): a
    ``by`` among them would collide, so it is refused.
    """
    names: list[str] = []
    for name in by_names(by, function=function):
        if name not in frame.columns:
            msg = (
                f"{function}(by={shorten(name)}): {shorten(name)} is not a column of the frame; "
                f"choose from: {', '.join(frame.columns)}."
            )
            raise ConfigurationError(msg)
        if name in reserved:
            msg = (
                f"{function}(by={shorten(name)}): {shorten(name)} is already a key or output "
                f"column of the result; group by other columns (e.g. {s.COMMODITY!r})."
            )
            raise ConfigurationError(msg)
        names.append(name)
    if len(set(names)) != len(names):
        msg = f"{function}(by={shorten(names)}) names a column more than once; name each once."
        raise ConfigurationError(msg)
    return names


def positive_int(value: object, *, name: str, function: str, allow_zero: bool) -> int:
    """Return ``value`` if it is an int above zero (or zero, with ``allow_zero``)."""
    return v.whole(value, name=name, function=function, low=0 if allow_zero else 1)


def resolve_as_of(frame: pl.DataFrame, as_of: object, *, function: str) -> dt.date:
    """Return the reference date of an analysis.

    An explicit ``as_of`` (a date, a datetime, whose UTC date is taken when it
    is aware, or an ISO ``YYYY-MM-DD`` string) wins. Otherwise the UTC date of
    the latest ``fetched_at`` in the frame, so that a snapshot answers as of the
    day it was taken; otherwise today in UTC.
    """
    if isinstance(as_of, dt.datetime):
        return as_of.astimezone(dt.UTC).date() if as_of.tzinfo else as_of.date()
    if isinstance(as_of, dt.date):
        return as_of
    if isinstance(as_of, str):
        try:
            return dt.date.fromisoformat(as_of.strip())
        except ValueError as err:
            msg = f"{function}(as_of={shorten(as_of)}) is not a date; write it as YYYY-MM-DD."
            raise ConfigurationError(msg) from err
    if as_of is not None:
        raise v.wrong_type(
            as_of, name="as_of", function=function, wanted="a date, an ISO date string or None"
        )
    dtype = frame.schema.get(s.FETCHED_AT)
    if isinstance(dtype, pl.Datetime):
        latest = pl.col(s.FETCHED_AT).max()
        if dtype.time_zone is not None:  # naive timestamps are taken as UTC already
            latest = latest.dt.convert_time_zone("UTC")
        value = frame.select(latest.dt.date()).item()
        if isinstance(value, dt.date):
            return value
    return dt.datetime.now(dt.UTC).date()


def flagged(codes: Sequence[str]) -> pl.Expr:
    """Return True where a record's ``issues`` holds any of ``codes`` (null list: False)."""
    hit = pl.col(s.ISSUES).list.eval(pl.element().is_in(list(codes))).list.any()
    return hit.fill_null(value=False)


def dated_expiry() -> pl.Expr:
    """Return True where the expiry date is present and not flagged (in the window or not)."""
    return pl.col(s.EXPIRY_DATE).is_not_null() & ~flagged(EXPIRY_FLAGS)


def usable_expiry() -> pl.Expr:
    """Return True where the expiry date is present, not flagged and in ``DATE_WINDOW``."""
    return dated_expiry() & in_window(pl.col(s.EXPIRY_DATE))


def dated() -> pl.Expr:
    """Return True where both dates are present and neither is flagged (in the window or not)."""
    return (
        pl.col(s.EFFECTIVE_DATE).is_not_null()
        & pl.col(s.EXPIRY_DATE).is_not_null()
        & ~flagged(DATE_PAIR_FLAGS)
    )


def usable_dates() -> pl.Expr:
    """Return True where both dates are present, neither is flagged, both in ``DATE_WINDOW``."""
    return dated() & in_window(pl.col(s.EFFECTIVE_DATE)) & in_window(pl.col(s.EXPIRY_DATE))


def area_counted() -> pl.Expr:
    """Return True where ``licensed_area_ha`` is counted (finite, above 0, within the ceiling)."""
    return counted_area(pl.col(s.AREA_HA))


def counted_area_values() -> pl.Expr:
    """Return ``licensed_area_ha`` where it is counted, else null: what answers add up."""
    return counted_values(s.AREA_HA)


def area_sum(frame: pl.DataFrame) -> float:
    """Return the counted area of ``frame`` (0.0 for none): never NaN, never infinite.

    Examples
    --------
    >>> area_sum(pl.DataFrame({"licensed_area_ha": [1.0, float("nan"), float("inf"), 2.0]}))
    3.0
    """
    total = frame.select(counted_area_values().sum()).item()
    return float(total or 0.0)


def years_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """``end - start`` in days / 365.25, as Float64."""
    return (end - start).dt.total_days().cast(pl.Float64) / DAYS_PER_YEAR


def aggregate(
    frame: pl.DataFrame,
    keys: list[str],
    aggs: Sequence[pl.Expr],
    *,
    columns: Sequence[str | pl.Expr] | None = None,
) -> pl.DataFrame:
    """Aggregate per ``keys`` (in no set order: callers sort), or to one row without keys.

    ``columns`` (names or expressions) are selected first, in the same lazy
    query, so derived columns need not be materialised. Without keys an empty
    frame still gives zero rows, like a grouped one.
    """
    plan = frame.lazy() if columns is None else frame.lazy().select(columns)
    if keys:
        return plan.group_by(keys).agg(aggs).collect(engine=ENGINE)
    out = plan.select(aggs).collect(engine=ENGINE)
    return out if frame.height else out.clear()


def finish(frame: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """Select ``schema``'s columns in order, cast to its dtypes."""
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


def key_schema(frame: pl.DataFrame, keys: Sequence[str]) -> dict[str, pl.DataType]:
    """Return the dtypes of ``keys`` in ``frame``: the first part of a result schema."""
    return {name: frame.schema[name] for name in keys}
