"""Questions asked of the registry: what expires, who holds how much, how old.

Pure functions over the canonical frame (see :mod:`mining_licenses.schema`):
a frame in, a new frame out, no I/O. Each accepts a polars DataFrame or a
GeoDataFrame; :func:`expiring_soon`, which returns rows, returns the kind it
was given, the others return polars frames. Output column names and dtypes
are part of the public API and are listed in each docstring; an empty input
gives an empty result with those columns.

Dates are judged as of ``as_of``: by default the UTC date of the frame's
latest ``fetched_at`` (a snapshot answers as of the day it was taken), else
today in UTC, so the same snapshot gives the same answer next year. A date is
*unusable* when it is null or the record's ``issues`` flag it
(``invalid_date:<column>``, or ``expiry_before_effective``, which leaves
unclear which of the two dates is wrong); each function says how it treats
such rows.

The area functions live in ``_area``, the quality report in ``_quality`` and
the output column names in ``_outputs``; import them all from here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Final, Literal, cast, overload

import polars as pl

from mining_licenses import _inputs as inp
from mining_licenses import schema as s
from mining_licenses._area import area_by_company, area_by_province, concentration
from mining_licenses._errors import ConfigurationError
from mining_licenses._outputs import (
    AGE_MAX,
    AGE_MEAN,
    AGE_MEDIAN,
    AGE_MIN,
    AGE_P10,
    AGE_P90,
    AGE_STATS_COLUMNS,
    AREA_BY_COMPANY_COLUMNS,
    AREA_BY_PROVINCE_COLUMNS,
    AREA_SHARE,
    COMMODITY_LIST,
    COMPANIES,
    CONCENTRATION_COLUMNS,
    DAYS_TO_EXPIRY,
    EXPIRED_BUCKET,
    EXPIRED_SHARE,
    EXPIRY_SCHEDULE_COLUMNS,
    FREQUENCIES,
    HHI,
    LICENSES,
    MEAN_AREA,
    MEDIAN_AREA,
    MISSING_DATES,
    NO_DATE_BUCKET,
    PERIOD,
    PERIOD_START,
    PROVINCE_COUNT,
    RANK,
    REMAINING_MEDIAN,
    TENURE_MEDIAN,
    TOP_SHARES,
    UNATTRIBUTED_AREA,
)
from mining_licenses._quality import quality_report

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "AGE_MAX",
    "AGE_MEAN",
    "AGE_MEDIAN",
    "AGE_MIN",
    "AGE_P10",
    "AGE_P90",
    "AGE_STATS_COLUMNS",
    "AREA_BY_COMPANY_COLUMNS",
    "AREA_BY_PROVINCE_COLUMNS",
    "AREA_SHARE",
    "COMMODITY_LIST",
    "COMPANIES",
    "CONCENTRATION_COLUMNS",
    "DAYS_TO_EXPIRY",
    "EXPIRED_BUCKET",
    "EXPIRED_SHARE",
    "EXPIRY_SCHEDULE_COLUMNS",
    "FREQUENCIES",
    "HHI",
    "LICENSES",
    "MEAN_AREA",
    "MEDIAN_AREA",
    "MISSING_DATES",
    "NO_DATE_BUCKET",
    "PERIOD",
    "PERIOD_START",
    "PROVINCE_COUNT",
    "RANK",
    "REMAINING_MEDIAN",
    "TENURE_MEDIAN",
    "TOP_SHARES",
    "UNATTRIBUTED_AREA",
    "area_by_company",
    "area_by_province",
    "concentration",
    "expiring_soon",
    "expiry_schedule",
    "license_age_stats",
    "quality_report",
]

_TRUNCATE: Final = {"year": "1y", "quarter": "1q", "month": "1mo"}
# Helper columns; the leading underscores keep them clear of real columns.
_ORDER: Final = "__order"
_ROW: Final = "__row"
_AGE: Final = "__age"
_TENURE: Final = "__tenure"
_REMAINING: Final = "__remaining"
_USABLE: Final = "__usable"
_EXPIRED: Final = "__expired"


# ------------------------------------------------------------------ expiry


@overload
def expiring_soon(
    df: pl.DataFrame, *, within_days: int = ..., as_of: dt.date | str | None = ...
) -> pl.DataFrame: ...
@overload
def expiring_soon(
    df: gpd.GeoDataFrame, *, within_days: int = ..., as_of: dt.date | str | None = ...
) -> gpd.GeoDataFrame: ...
def expiring_soon(
    df: pl.DataFrame | gpd.GeoDataFrame,
    *,
    within_days: int = s.EXPIRING_SOON_DAYS,
    as_of: dt.date | str | None = None,
) -> pl.DataFrame | gpd.GeoDataFrame:
    """Return the licenses that expire within ``within_days`` of ``as_of``.

    Keeps ``as_of <= license_expiry_date <= as_of + within_days``, inclusive at
    both ends like the API's ``expiring_soon=true`` (which uses 365 days): a
    license expiring on ``as_of`` itself is still in force that day and is
    kept, and so is one expiring exactly ``within_days`` later.

    Parameters
    ----------
    df
        A canonical frame (``load_licenses``, ``normalize_records``) or its
        GeoDataFrame. Needs ``license_expiry_date`` and ``wiup_code``.
    within_days
        Width of the window in days, zero or more.
    as_of
        The day to count from (a date or ``YYYY-MM-DD``); by default the UTC
        date of the latest ``fetched_at``, else today in UTC.

    Returns
    -------
    polars.DataFrame or geopandas.GeoDataFrame
        The kind given, with every input column plus ``days_to_expiry``
        (Int64, ``license_expiry_date - as_of``), sorted by expiry date, then
        ``wiup_code``. From a GeoDataFrame, its own rows are returned, with
        their index, geometry and CRS as they were. Rows with a null expiry
        date are never kept. Rows whose dates are flagged in ``issues`` are
        judged by the date they carry, exactly as the API's filter does, and
        keep their ``issues`` for the reader to see.

    Raises
    ------
    SchemaError
        If a needed column is missing or has the wrong dtype.
    ConfigurationError
        If ``within_days`` is negative or not a whole number, or ``as_of`` is
        not a date.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> df = pl.DataFrame({
    ...     "wiup_code": ["A", "B", "C"],
    ...     "license_expiry_date": [dt.date(2026, 1, 1), dt.date(2026, 12, 31),
    ...                             dt.date(2025, 12, 31)],
    ... })
    >>> expiring_soon(df, within_days=364, as_of="2026-01-01")["days_to_expiry"].to_list()
    [0, 364]
    """
    frame, is_geo = inp.load(df, [s.EXPIRY_DATE, s.WIUP_CODE], function="expiring_soon")
    days = inp.positive_int(
        within_days, name="within_days", function="expiring_soon", allow_zero=True
    )
    start = inp.resolve_as_of(frame, as_of, function="expiring_soon")
    try:
        end = start + dt.timedelta(days=days)
    except OverflowError as err:
        msg = f"expiring_soon(within_days={days}) reaches past year 9999; use a smaller window."
        raise ConfigurationError(msg) from err
    expiry = pl.col(s.EXPIRY_DATE)
    out = (
        (frame.with_row_index(_ROW) if is_geo else frame)
        .filter(expiry.is_between(start, end, closed="both"))
        .with_columns((expiry - start).dt.total_days().cast(pl.Int64).alias(DAYS_TO_EXPIRY))
        .sort([s.EXPIRY_DATE, s.WIUP_CODE], nulls_last=True, maintain_order=True)
    )
    if not is_geo:
        return out
    # Take the GeoDataFrame's own rows: its index, geometry and columns stay as given.
    rows = cast("gpd.GeoDataFrame", df).iloc[out[_ROW].to_numpy()].copy()
    rows[DAYS_TO_EXPIRY] = out[DAYS_TO_EXPIRY].to_pandas(use_pyarrow_extension_array=True).array
    return rows


def expiry_schedule(
    df: pl.DataFrame | gpd.GeoDataFrame,
    *,
    freq: Literal["year", "quarter", "month"] = "year",
    as_of: dt.date | str | None = None,
    by: inp.By = None,
) -> pl.DataFrame:
    """Count licenses and area by the period in which they expire.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame. Needs ``license_expiry_date``,
        ``licensed_area_ha`` and ``issues``.
    freq
        ``"year"``, ``"quarter"`` or ``"month"`` (calendar periods).
    as_of
        Licenses expiring before this day go to the ``expired`` bucket. By
        default the UTC date of the latest ``fetched_at``, else today in UTC.
    by
        Column(s) to split the schedule by, e.g. ``"commodity_type"``.

    Returns
    -------
    polars.DataFrame
        The ``by`` columns, then ``period`` (String), ``period_start`` (Date),
        ``licenses`` (Int64) and ``licensed_area_ha`` (Float64, the sum; null
        areas add nothing). ``period`` is ``expired`` for expiry dates before
        ``as_of``; ``2026``, ``2026-Q3`` or ``2026-07`` for later ones, whose
        ``period_start`` is the first day of the period; and ``no_date`` for
        a null expiry date or one flagged ``invalid_date:license_expiry_date``
        or ``expiry_before_effective``. The period holding ``as_of`` counts
        only expiries from ``as_of`` on. Only periods with licenses appear.
        Rows are sorted by the ``by`` columns, then ``expired``, the periods
        in time order, and ``no_date`` last.

    Raises
    ------
    SchemaError
        If a needed column is missing or has the wrong dtype.
    ConfigurationError
        For a ``freq`` outside ``FREQUENCIES`` or a ``by`` that is not a column.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> df = pl.DataFrame({
    ...     "license_expiry_date": [dt.date(2025, 5, 1), dt.date(2026, 3, 1), None],
    ...     "licensed_area_ha": [10.0, 20.0, 5.0],
    ...     "issues": [[], [], []],
    ... })
    >>> expiry_schedule(df, as_of="2026-01-01")["period"].to_list()
    ['expired', '2026', 'no_date']
    """
    function = "expiry_schedule"
    if freq not in FREQUENCIES:
        msg = f"{function}(freq={freq!r}) is not a frequency; use one of: {', '.join(FREQUENCIES)}."
        raise ConfigurationError(msg)
    frame, _ = inp.load(df, [s.EXPIRY_DATE, s.AREA_HA, s.ISSUES], function=function, by=by)
    keys = inp.group_columns(frame, by, function=function, reserved=EXPIRY_SCHEDULE_COLUMNS)
    start = inp.resolve_as_of(frame, as_of, function=function)

    expiry = pl.col(s.EXPIRY_DATE)
    if freq == "year":
        label = expiry.dt.year().cast(pl.String)
    elif freq == "quarter":
        label = pl.format("{}-Q{}", expiry.dt.year(), expiry.dt.quarter())
    else:
        label = expiry.dt.strftime("%Y-%m")
    # 0: expired, 1: a future period, 2: no usable date; sorts the buckets.
    order = pl.when(~inp.usable_expiry()).then(2).when(expiry < start).then(0).otherwise(1)
    out = inp.aggregate(
        frame,
        [*keys, _ORDER, PERIOD, PERIOD_START],
        [pl.len().alias(LICENSES), pl.col(s.AREA_HA).sum()],
        columns=[
            *keys,
            s.AREA_HA,
            order.alias(_ORDER),
            pl.when(order == 0)
            .then(pl.lit(EXPIRED_BUCKET))
            .when(order == 2)
            .then(pl.lit(NO_DATE_BUCKET))
            .otherwise(label)
            .alias(PERIOD),
            pl.when(order == 1).then(expiry.dt.truncate(_TRUNCATE[freq])).alias(PERIOD_START),
        ],
    ).sort([*keys, _ORDER, PERIOD_START], nulls_last=True, maintain_order=True)
    return inp.finish(out, inp.key_schema(frame, keys) | EXPIRY_SCHEDULE_COLUMNS)


# --------------------------------------------------------------------- age


def license_age_stats(
    df: pl.DataFrame | gpd.GeoDataFrame,
    *,
    by: inp.By = None,
    as_of: dt.date | str | None = None,
) -> pl.DataFrame:
    """Summarise how old licenses are, how long they run and how long they have left.

    Age is ``as_of - license_effective_date``, tenure is
    ``license_expiry_date - license_effective_date`` and remaining time is
    ``license_expiry_date - as_of``, each in days / 365.25. A license is
    expired when its expiry date is before ``as_of``.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame. Needs both date columns and
        ``issues``.
    by
        Column(s) to group by, e.g. ``"commodity_type"``; by default one row.
    as_of
        The day ages are measured to; by default the UTC date of the latest
        ``fetched_at``, else today in UTC.

    Returns
    -------
    polars.DataFrame
        The ``by`` columns, then ``licenses`` (Int64, every row of the
        group), ``age_years_mean``, ``age_years_median``, ``age_years_p10``,
        ``age_years_p90`` (linear interpolation between rows, as numpy's
        default), ``age_years_min``, ``age_years_max``,
        ``tenure_years_median``, ``remaining_years_median`` (over licenses
        not yet expired; null if there are none), ``expired_share`` (Float64,
        0 to 1) and ``missing_dates`` (Int64). All statistics are over the
        rows with usable dates: a row with a null effective or expiry date,
        or flagged ``invalid_date:<either date>`` or
        ``expiry_before_effective``, is left out of every statistic and
        counted in ``missing_dates`` instead; statistics of a group with no
        usable row are null. A license not yet in force has a negative age.
        Sorted by the ``by`` columns.

    Raises
    ------
    SchemaError
        If a needed column is missing or has the wrong dtype.
    ConfigurationError
        For a ``by`` that is not a column, or ``as_of`` that is not a date.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> df = pl.DataFrame({
    ...     "license_effective_date": [dt.date(2016, 1, 1), dt.date(2020, 1, 1), None],
    ...     "license_expiry_date": [dt.date(2026, 1, 1), dt.date(2030, 1, 1), None],
    ...     "issues": [[], [], ["missing:license_effective_date"]],
    ... })
    >>> out = license_age_stats(df, as_of="2024-01-01")
    >>> out.select("licenses", "expired_share", "missing_dates").rows()
    [(3, 0.0, 1)]
    >>> round(out["age_years_max"].item(), 2)
    8.0
    """
    function = "license_age_stats"
    frame, _ = inp.load(df, [s.EFFECTIVE_DATE, s.EXPIRY_DATE, s.ISSUES], function=function, by=by)
    keys = inp.group_columns(frame, by, function=function, reserved=AGE_STATS_COLUMNS)
    day = inp.resolve_as_of(frame, as_of, function=function)
    today = pl.lit(day)
    effective, expiry = pl.col(s.EFFECTIVE_DATE), pl.col(s.EXPIRY_DATE)
    usable = pl.col(_USABLE)
    prepared: list[str | pl.Expr] = [
        *keys,
        inp.usable_dates().alias(_USABLE),
        (expiry < today).alias(_EXPIRED),
        inp.years_between(effective, today).alias(_AGE),
        inp.years_between(effective, expiry).alias(_TENURE),
        inp.years_between(today, expiry).alias(_REMAINING),
    ]
    age = pl.col(_AGE).filter(usable)
    expired = pl.col(_EXPIRED).filter(usable)
    out = inp.aggregate(
        frame,
        keys,
        [
            pl.len().alias(LICENSES),
            age.mean().alias(AGE_MEAN),
            age.median().alias(AGE_MEDIAN),
            age.quantile(0.1, interpolation="linear").alias(AGE_P10),
            age.quantile(0.9, interpolation="linear").alias(AGE_P90),
            age.min().alias(AGE_MIN),
            age.max().alias(AGE_MAX),
            pl.col(_TENURE).filter(usable).median().alias(TENURE_MEDIAN),
            pl.col(_REMAINING).filter(usable & ~pl.col(_EXPIRED)).median().alias(REMAINING_MEDIAN),
            expired.mean().alias(EXPIRED_SHARE),
            (~usable).sum().alias(MISSING_DATES),
        ],
        columns=prepared,
    )
    out = out.sort(keys, nulls_last=True, maintain_order=True) if keys else out
    return inp.finish(out, inp.key_schema(frame, keys) | AGE_STATS_COLUMNS)
