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
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Final, Literal, cast, overload

import polars as pl

from mining_licenses import _inputs as inp
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError
from mining_licenses._quality import quality_report

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "AGE_STATS_COLUMNS",
    "AREA_BY_COMPANY_COLUMNS",
    "AREA_BY_PROVINCE_COLUMNS",
    "CONCENTRATION_COLUMNS",
    "EXPIRED_BUCKET",
    "EXPIRY_SCHEDULE_COLUMNS",
    "FREQUENCIES",
    "NO_DATE_BUCKET",
    "area_by_company",
    "area_by_province",
    "concentration",
    "expiring_soon",
    "expiry_schedule",
    "license_age_stats",
    "quality_report",
]

# ------------------------------------------------------------ output columns
DAYS_TO_EXPIRY: Final = "days_to_expiry"
PERIOD: Final = "period"
PERIOD_START: Final = "period_start"
LICENSES: Final = "licenses"
MEAN_AREA: Final = "mean_area_ha"
MEDIAN_AREA: Final = "median_area_ha"
AREA_SHARE: Final = "area_share"
PROVINCE_COUNT: Final = "provinces"
COMMODITY_LIST: Final = "commodities"
RANK: Final = "rank"
COMPANIES: Final = "companies"
HHI: Final = "hhi"
TOP_SHARES: Final = {1: "top1_share", 5: "top5_share", 10: "top10_share"}
UNATTRIBUTED_AREA: Final = "unattributed_area_ha"
AGE_MEAN: Final = "age_years_mean"
AGE_MEDIAN: Final = "age_years_median"
AGE_P10: Final = "age_years_p10"
AGE_P90: Final = "age_years_p90"
AGE_MIN: Final = "age_years_min"
AGE_MAX: Final = "age_years_max"
TENURE_MEDIAN: Final = "tenure_years_median"
REMAINING_MEDIAN: Final = "remaining_years_median"
EXPIRED_SHARE: Final = "expired_share"
MISSING_DATES: Final = "missing_dates"

#: ``period`` of licenses that expired before ``as_of``.
EXPIRED_BUCKET: Final = "expired"
#: ``period`` of licenses whose expiry date is null or flagged.
NO_DATE_BUCKET: Final = "no_date"
#: ``freq`` values of :func:`expiry_schedule`.
FREQUENCIES: Final = ("year", "quarter", "month")

_INT: Final = pl.Int64()
_FLOAT: Final = pl.Float64()

EXPIRY_SCHEDULE_COLUMNS: Final = {
    PERIOD: pl.String(),
    PERIOD_START: pl.Date(),
    LICENSES: _INT,
    s.AREA_HA: _FLOAT,
}
AREA_BY_PROVINCE_COLUMNS: Final = {
    s.PROVINCE: pl.String(),
    LICENSES: _INT,
    s.AREA_HA: _FLOAT,
    MEAN_AREA: _FLOAT,
    MEDIAN_AREA: _FLOAT,
    AREA_SHARE: _FLOAT,
}
AREA_BY_COMPANY_COLUMNS: Final = {
    s.COMPANY_KEY: pl.String(),
    s.COMPANY_NAME: pl.String(),
    LICENSES: _INT,
    s.AREA_HA: _FLOAT,
    PROVINCE_COUNT: _INT,
    COMMODITY_LIST: pl.List(pl.String()),
    AREA_SHARE: _FLOAT,
    RANK: _INT,
}
CONCENTRATION_COLUMNS: Final = {
    COMPANIES: _INT,
    s.AREA_HA: _FLOAT,
    HHI: _FLOAT,
    **dict.fromkeys(TOP_SHARES.values(), _FLOAT),
    UNATTRIBUTED_AREA: _FLOAT,
}
AGE_STATS_COLUMNS: Final = {
    LICENSES: _INT,
    AGE_MEAN: _FLOAT,
    AGE_MEDIAN: _FLOAT,
    AGE_P10: _FLOAT,
    AGE_P90: _FLOAT,
    AGE_MIN: _FLOAT,
    AGE_MAX: _FLOAT,
    TENURE_MEDIAN: _FLOAT,
    REMAINING_MEDIAN: _FLOAT,
    EXPIRED_SHARE: _FLOAT,
    MISSING_DATES: _INT,
}

_TRUNCATE: Final = {"year": "1y", "quarter": "1q", "month": "1mo"}
# Helper columns; the leading underscores keep them clear of real columns.
_ORDER: Final = "__order"
_ROW: Final = "__row"
_AGE: Final = "__age"
_TENURE: Final = "__tenure"
_REMAINING: Final = "__remaining"
_USABLE: Final = "__usable"
_EXPIRED: Final = "__expired"


def _share(part: pl.Expr, total: pl.Expr) -> pl.Expr:
    """``part / total``, null where the total is not positive."""
    return pl.when(total > 0).then(part / total)


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
        frame.select(
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
        ),
        [*keys, _ORDER, PERIOD, PERIOD_START],
        [pl.len().alias(LICENSES), pl.col(s.AREA_HA).sum()],
    ).sort([*keys, _ORDER, PERIOD_START], nulls_last=True, maintain_order=True)
    return inp.finish(out, inp.key_schema(frame, keys) | EXPIRY_SCHEDULE_COLUMNS)


# -------------------------------------------------------------------- area


def area_by_province(df: pl.DataFrame | gpd.GeoDataFrame, *, by: inp.By = None) -> pl.DataFrame:
    """Sum licensed area per province (and optional further groups).

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame. Needs ``province`` and
        ``licensed_area_ha``.
    by
        Further column(s) to split each province by, e.g. ``"commodity_type"``.

    Returns
    -------
    polars.DataFrame
        ``province`` (String), the ``by`` columns, ``licenses`` (Int64, rows),
        ``licensed_area_ha`` (Float64, sum), ``mean_area_ha`` and
        ``median_area_ha`` (Float64, over the rows with an area) and
        ``area_share`` (Float64, the group's part of the whole frame's area,
        so the column sums to 1; null when that total is not positive).
        Sorted by area descending, then province and ``by`` ascending. Rows
        without a province form a group whose ``province`` is null; rows
        without an area count as licenses and add no area. Areas are taken as
        given, including those flagged ``area_not_positive``.

    Raises
    ------
    SchemaError
        If a needed column is missing or has the wrong dtype.
    ConfigurationError
        For a ``by`` that is not a column, or is an output column.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({
    ...     "province": ["Riau", "Riau", "Aceh"],
    ...     "licensed_area_ha": [10.0, 30.0, 60.0],
    ... })
    >>> area_by_province(df).select("province", "licensed_area_ha", "area_share").rows()
    [('Aceh', 60.0, 0.6), ('Riau', 40.0, 0.4)]
    """
    function = "area_by_province"
    frame, _ = inp.load(df, [s.PROVINCE, s.AREA_HA], function=function, by=by)
    keys = [
        s.PROVINCE,
        *inp.group_columns(frame, by, function=function, reserved=AREA_BY_PROVINCE_COLUMNS),
    ]
    area = pl.col(s.AREA_HA)
    out = (
        inp.aggregate(
            frame.select([*keys, s.AREA_HA]),
            keys,
            [
                pl.len().alias(LICENSES),
                area.sum(),
                area.mean().alias(MEAN_AREA),
                area.median().alias(MEDIAN_AREA),
            ],
        )
        .with_columns(_share(area, area.sum()).alias(AREA_SHARE))
        .sort(
            [s.AREA_HA, *keys],
            descending=[True] + [False] * len(keys),
            nulls_last=True,
            maintain_order=True,
        )
    )
    return inp.finish(out, inp.key_schema(frame, keys) | AREA_BY_PROVINCE_COLUMNS)


def area_by_company(
    df: pl.DataFrame | gpd.GeoDataFrame, *, by: inp.By = None, top: int | None = None
) -> pl.DataFrame:
    """Sum licensed area per company, with its share and rank.

    Companies are grouped by ``company_key`` (the slug where the API gives
    one, else a normalised name), since ``company_slug`` is mostly null.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame. Needs ``company_key``,
        ``company_name``, ``licensed_area_ha``, ``province`` and
        ``commodity_type``.
    by
        Column(s) to rank companies within, e.g. ``"province"``: shares and
        ranks are then of the group's area, not the whole frame's.
    top
        Keep the companies ranked ``top`` or better in each group. With ties
        at the boundary this can be more than ``top`` rows.

    Returns
    -------
    polars.DataFrame
        ``company_key`` (String), the ``by`` columns, ``company_name``
        (String, the company's most frequent spelling; ties go to the
        alphabetically first), ``licenses`` (Int64), ``licensed_area_ha``
        (Float64, sum), ``provinces`` (Int64, distinct non-null provinces),
        ``commodities`` (List(String), distinct, sorted, nulls left out),
        ``area_share`` (Float64; null when the total is not positive) and
        ``rank`` (Int64, 1 = largest area; ties share the lowest rank and the
        next rank skips, the ``min`` method: 1, 2, 2, 4). Sorted by ``by``,
        rank, then ``company_key``. Rows without a ``company_key`` form one
        group whose key is null, so no area goes missing.

    Raises
    ------
    SchemaError
        If a needed column is missing or has the wrong dtype.
    ConfigurationError
        For a bad ``by``, or a ``top`` that is not a positive whole number.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({
    ...     "company_key": ["pt a", "pt b", "pt c", "pt a"],
    ...     "company_name": ["PT A", "PT B", "PT C", "PT. A"],
    ...     "licensed_area_ha": [10.0, 30.0, 30.0, 20.0],
    ...     "province": ["Riau", "Aceh", "Riau", "Aceh"],
    ...     "commodity_type": ["Coal", "Coal", "Gold", "Nickel"],
    ... })
    >>> area_by_company(df).select("company_key", "licensed_area_ha", "rank").rows()
    [('pt a', 30.0, 1), ('pt b', 30.0, 1), ('pt c', 30.0, 1)]
    """
    function = "area_by_company"
    needed = [s.COMPANY_KEY, s.COMPANY_NAME, s.AREA_HA, s.PROVINCE, s.COMMODITY]
    frame, _ = inp.load(df, needed, function=function, by=by)
    groups = inp.group_columns(frame, by, function=function, reserved=AREA_BY_COMPANY_COLUMNS)
    if top is not None:
        inp.positive_int(top, name="top", function=function, allow_zero=False)
    keys = [s.COMPANY_KEY, *groups]
    area = pl.col(s.AREA_HA)
    name = pl.col(s.COMPANY_NAME).drop_nulls()
    out = inp.aggregate(
        frame.select(list(dict.fromkeys(keys + needed))),
        keys,
        [
            name.mode().sort().first(),
            pl.len().alias(LICENSES),
            area.sum(),
            pl.col(s.PROVINCE).drop_nulls().n_unique().alias(PROVINCE_COUNT),
            pl.col(s.COMMODITY).drop_nulls().unique().sort().alias(COMMODITY_LIST),
        ],
    )
    total = area.sum().over(groups) if groups else area.sum()
    rank = area.rank("min", descending=True)
    out = out.with_columns(
        _share(area, total).alias(AREA_SHARE),
        (rank.over(groups) if groups else rank).cast(pl.Int64).alias(RANK),
    )
    if top is not None:
        out = out.filter(pl.col(RANK) <= top)
    out = out.sort([*groups, RANK, s.COMPANY_KEY], nulls_last=True, maintain_order=True)
    return inp.finish(out, inp.key_schema(frame, keys) | AREA_BY_COMPANY_COLUMNS)


def concentration(df: pl.DataFrame | gpd.GeoDataFrame, *, by: inp.By = None) -> pl.DataFrame:
    """Measure how concentrated licensed area is among companies.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame. Needs ``company_key`` and
        ``licensed_area_ha``.
    by
        Column(s) to measure within, e.g. ``"province"`` or
        ``"commodity_type"``; by default one row for the whole frame.

    Returns
    -------
    polars.DataFrame
        The ``by`` columns, then ``companies`` (Int64, distinct non-null
        ``company_key``), ``licensed_area_ha`` (Float64, the area of those
        companies), ``hhi`` (Float64, the Herfindahl-Hirschman index of
        company area shares on the 0-10,000 scale: the sum of squared
        percentage shares, 10,000 for a monopoly),
        ``top1_share``, ``top5_share``, ``top10_share`` (Float64, the share of
        area held by the 1, 5 and 10 largest companies, 0 to 1; all of it when
        there are fewer) and ``unattributed_area_ha`` (Float64, area of rows
        with no ``company_key``, left out of the shares since it cannot be
        told apart by holder). ``hhi`` and the shares are null where the
        attributed area is not positive. Sorted by the ``by`` columns.

    Raises
    ------
    SchemaError
        If a needed column is missing or has the wrong dtype.
    ConfigurationError
        For a ``by`` that is not a column, or is an output column.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({
    ...     "company_key": ["a", "b", "b", None],
    ...     "licensed_area_ha": [25.0, 50.0, 25.0, 7.0],
    ... })
    >>> concentration(df).select("hhi", "top1_share", "unattributed_area_ha").rows()
    [(6250.0, 0.75, 7.0)]
    """
    function = "concentration"
    frame, _ = inp.load(df, [s.COMPANY_KEY, s.AREA_HA], function=function, by=by)
    keys = inp.group_columns(
        frame, by, function=function, reserved=[s.COMPANY_KEY, *CONCENTRATION_COLUMNS]
    )
    # Step 1: area per company (the null key collects the unattributed rows).
    per_company = inp.aggregate(
        frame.select(*keys, s.COMPANY_KEY, s.AREA_HA),
        [*keys, s.COMPANY_KEY],
        [pl.col(s.AREA_HA).sum()],
    )
    # Step 2: per group, from the companies' areas.
    known = pl.col(s.COMPANY_KEY).is_not_null()
    area = pl.col(s.AREA_HA).filter(known)
    total = pl.col(s.AREA_HA)
    out = inp.aggregate(
        per_company,
        keys,
        [
            known.sum().alias(COMPANIES),
            area.sum(),
            (area * area).sum().alias(HHI),
            *(area.top_k(k).sum().alias(col) for k, col in TOP_SHARES.items()),
            pl.col(s.AREA_HA).filter(~known).sum().alias(UNATTRIBUTED_AREA),
        ],
    ).with_columns(
        _share(pl.col(HHI) * 10_000, total * total).alias(HHI),
        *(_share(pl.col(col), total).alias(col) for col in TOP_SHARES.values()),
    )
    out = out.sort(keys, nulls_last=True, maintain_order=True) if keys else out
    return inp.finish(out, inp.key_schema(frame, keys) | CONCENTRATION_COLUMNS)


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
    prepared = frame.select(
        *keys,
        inp.usable_dates().alias(_USABLE),
        (expiry < today).alias(_EXPIRED),
        inp.years_between(effective, today).alias(_AGE),
        inp.years_between(effective, expiry).alias(_TENURE),
        inp.years_between(today, expiry).alias(_REMAINING),
    )
    age = pl.col(_AGE).filter(usable)
    expired = pl.col(_EXPIRED).filter(usable)
    out = inp.aggregate(
        prepared,
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
    )
    out = out.sort(keys, nulls_last=True, maintain_order=True) if keys else out
    return inp.finish(out, inp.key_schema(frame, keys) | AGE_STATS_COLUMNS)
