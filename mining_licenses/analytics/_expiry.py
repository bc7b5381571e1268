"""When licenses expire: the expiring-soon set and the expiry schedule."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Final, Literal, cast, overload

import polars as pl

from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, shorten
from mining_licenses._plausible import in_window
from mining_licenses.analytics import _inputs as inp
from mining_licenses.analytics import columns as col

if TYPE_CHECKING:
    import geopandas as gpd


_TRUNCATE: Final = {"year": "1y", "quarter": "1q", "month": "1mo"}
# Helper columns; the leading underscores keep them clear of real columns.
_ORDER: Final = "__order"
_ROW: Final = "__row"
_AGE: Final = "__age"
_TENURE: Final = "__tenure"
_REMAINING: Final = "__remaining"
_USABLE: Final = "__usable"
_EXPIRED: Final = "__expired"
_COUNTED: Final = "__counted"


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
        date are never kept, nor rows whose expiry date lies outside
        ``schema.DATE_WINDOW`` (a placeholder such as 9999-12-31 is not an
        expiry). Rows whose dates are flagged in ``issues`` are judged by the
        date they carry, exactly as the API's filter does, and keep their
        ``issues`` for the reader to see.

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
        .filter(expiry.is_between(start, end, closed="both") & in_window(expiry))
        .with_columns((expiry - start).dt.total_days().cast(pl.Int64).alias(col.DAYS_TO_EXPIRY))
        .sort([s.EXPIRY_DATE, s.WIUP_CODE], nulls_last=True, maintain_order=True)
    )
    if not is_geo:
        return out
    # Take the GeoDataFrame's own rows: its index, geometry and columns stay as given.
    rows = cast("gpd.GeoDataFrame", df).iloc[out[_ROW].to_numpy()].copy()
    rows[col.DAYS_TO_EXPIRY] = (
        out[col.DAYS_TO_EXPIRY].to_pandas(use_pyarrow_extension_array=True).array
    )
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
        ``licenses`` (Int64), ``licensed_area_ha`` (Float64, the sum of
        counted areas) and ``area_not_counted`` (Int64, licenses whose area
        is missing, not a number, not positive or over 1,000,000 ha).
        ``period`` is ``expired`` for expiry dates before ``as_of``; ``2026``,
        ``2026-Q3`` or ``2026-07`` for later ones, whose ``period_start`` is
        the first day of the period; ``out_of_range`` for an expiry date
        outside ``schema.DATE_WINDOW`` (1950 to 2100: 9999-12-31 is a
        placeholder, and would otherwise open eight thousand years of
        periods); and ``no_date`` for a null expiry date or one flagged
        ``invalid_date:license_expiry_date`` or ``expiry_before_effective``.
        The period holding ``as_of`` counts only expiries from ``as_of`` on.
        Only periods with licenses appear, so there are at most as many as
        the window holds. Rows are sorted by the ``by`` columns, then
        ``expired``, the periods in time order, ``out_of_range`` and
        ``no_date`` last.

    Raises
    ------
    SchemaError
        If a needed column is missing or has the wrong dtype.
    ConfigurationError
        For a ``freq`` outside ``col.FREQUENCIES`` or a ``by`` that is not a column.

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
    if not isinstance(freq, str) or freq not in col.FREQUENCIES:
        allowed = ", ".join(col.FREQUENCIES)
        msg = f"{function}(freq={shorten(freq)}) is not a frequency; use one of: {allowed}."
        raise ConfigurationError(msg)
    frame, _ = inp.load(df, [s.EXPIRY_DATE, s.AREA_HA, s.ISSUES], function=function, by=by)
    keys = inp.group_columns(frame, by, function=function, reserved=col.EXPIRY_SCHEDULE_COLUMNS)
    start = inp.resolve_as_of(frame, as_of, function=function)

    expiry = pl.col(s.EXPIRY_DATE)
    if freq == "year":
        label = expiry.dt.year().cast(pl.String)
    elif freq == "quarter":
        label = pl.format("{}-Q{}", expiry.dt.year(), expiry.dt.quarter())
    else:
        label = expiry.dt.strftime("%Y-%m")
    # 0: expired, 1: a future period, 2: out of the window, 3: no usable date; sorts them.
    order = (
        pl.when(~inp.dated_expiry())
        .then(3)
        .when(~in_window(expiry))
        .then(2)
        .when(expiry < start)
        .then(0)
        .otherwise(1)
    )
    out = inp.aggregate(
        frame,
        [*keys, _ORDER, col.PERIOD, col.PERIOD_START],
        [
            pl.len().alias(col.LICENSES),
            pl.col(s.AREA_HA).sum(),
            (~pl.col(_COUNTED)).sum().alias(col.AREA_NOT_COUNTED),
        ],
        columns=[
            *keys,
            inp.counted_area_values().alias(s.AREA_HA),
            inp.area_counted().alias(_COUNTED),
            order.alias(_ORDER),
            pl.when(order == 0)
            .then(pl.lit(col.EXPIRED_BUCKET))
            .when(order == 2)
            .then(pl.lit(col.OUT_OF_RANGE_BUCKET))
            .when(order == 3)
            .then(pl.lit(col.NO_DATE_BUCKET))
            .otherwise(label)
            .alias(col.PERIOD),
            pl.when(order == 1).then(expiry.dt.truncate(_TRUNCATE[freq])).alias(col.PERIOD_START),
        ],
    ).sort([*keys, _ORDER, col.PERIOD_START], nulls_last=True, maintain_order=True)
    return inp.finish(out, inp.key_schema(frame, keys) | col.EXPIRY_SCHEDULE_COLUMNS)
