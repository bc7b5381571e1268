"""How old licenses are, how long they run and how long they have left."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import polars as pl

from mining_licenses import schema as s
from mining_licenses.analytics import _inputs as inp
from mining_licenses.analytics import columns as col

if TYPE_CHECKING:
    import geopandas as gpd

# working columns (the leading underscores keep them clear of real ones)
_AGE, _TENURE, _REMAINING, _USABLE, _DATED, _EXPIRED = (
    f"__{name}" for name in ("age", "tenure", "remaining", "usable", "dated", "expired")
)


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
        0 to 1), ``missing_dates`` and ``dates_out_of_range`` (Int64). All
        statistics are over the rows with usable dates: a row with a null
        effective or expiry date, or flagged ``invalid_date:<either date>`` or
        ``expiry_before_effective``, is left out of every statistic and
        counted in ``missing_dates`` instead; a row whose dates are there but
        one lies outside ``schema.DATE_WINDOW`` (1950 to 2100: 1900-01-01 and
        9999-12-31 are placeholders) is left out and counted in
        ``dates_out_of_range``, so ``licenses`` is the rows used plus those
        two. Statistics of a group with no usable row are null. A license not
        yet in force has a negative age. Sorted by the ``by`` columns.

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
    >>> out.select("licenses", "expired_share", "missing_dates", "dates_out_of_range").rows()
    [(3, 0.0, 1, 0)]
    >>> round(out["age_years_max"].item(), 2)
    8.0
    """
    function = "license_age_stats"
    frame, _ = inp.load(df, [s.EFFECTIVE_DATE, s.EXPIRY_DATE, s.ISSUES], function=function, by=by)
    keys = inp.group_columns(frame, by, function=function, reserved=col.AGE_STATS_COLUMNS)
    day = inp.resolve_as_of(frame, as_of, function=function)
    today = pl.lit(day)
    effective, expiry = pl.col(s.EFFECTIVE_DATE), pl.col(s.EXPIRY_DATE)
    usable = pl.col(_USABLE)
    prepared: list[str | pl.Expr] = [
        *keys,
        inp.usable_dates().alias(_USABLE),
        inp.dated().alias(_DATED),
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
            pl.len().alias(col.LICENSES),
            age.mean().alias(col.AGE_MEAN),
            age.median().alias(col.AGE_MEDIAN),
            age.quantile(0.1, interpolation="linear").alias(col.AGE_P10),
            age.quantile(0.9, interpolation="linear").alias(col.AGE_P90),
            age.min().alias(col.AGE_MIN),
            age.max().alias(col.AGE_MAX),
            pl.col(_TENURE).filter(usable).median().alias(col.TENURE_MEDIAN),
            pl.col(_REMAINING)
            .filter(usable & ~pl.col(_EXPIRED))
            .median()
            .alias(col.REMAINING_MEDIAN),
            expired.mean().alias(col.EXPIRED_SHARE),
            (~pl.col(_DATED)).sum().alias(col.MISSING_DATES),
            (pl.col(_DATED) & ~usable).sum().alias(col.DATES_OUT_OF_RANGE),
        ],
        columns=prepared,
    )
    out = out.sort(keys, nulls_last=True, maintain_order=True) if keys else out
    return inp.finish(out, inp.key_schema(frame, keys) | col.AGE_STATS_COLUMNS)
