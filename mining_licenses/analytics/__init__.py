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

Answers stay finite: an area is *counted* only when it is a finite number
above zero and at most ``schema.MAX_AREA_HA`` (1,000,000 ha), and a date only
when it lies in ``schema.DATE_WINDOW`` (1950-01-01 to 2100-12-31). Other
values (NaN, infinity, 0, negatives, 9999-12-31, 1900-01-01) are judged by
the value itself, flagged or not, and left out of every sum, share and
statistic; each function counts the licenses it left out
(``area_not_counted``, ``dates_out_of_range``, the ``out_of_range`` period),
so the counts still add up to every license given.

Inside: ``_expiry`` (expiring soon, expiry schedule), ``_ages`` (license
ages), ``_area`` (area by province and company, concentration), ``_quality``
(the data-quality report), ``_inputs`` (frame kinds, required columns,
``by``, ``as_of``) and :mod:`~mining_licenses.analytics.columns` (the output
column names, public).
"""

from mining_licenses.analytics._ages import license_age_stats
from mining_licenses.analytics._area import area_by_company, area_by_province, concentration
from mining_licenses.analytics._expiry import expiring_soon, expiry_schedule
from mining_licenses.analytics._quality import quality_report
from mining_licenses.analytics.columns import (
    AGE_MAX,
    AGE_MEAN,
    AGE_MEDIAN,
    AGE_MIN,
    AGE_P10,
    AGE_P90,
    AGE_STATS_COLUMNS,
    AREA_BY_COMPANY_COLUMNS,
    AREA_BY_PROVINCE_COLUMNS,
    AREA_NOT_COUNTED,
    AREA_SHARE,
    COMMODITY_LIST,
    COMPANIES,
    CONCENTRATION_COLUMNS,
    DATES_OUT_OF_RANGE,
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
    OUT_OF_RANGE_BUCKET,
    PERIOD,
    PERIOD_START,
    PROVINCE_COUNT,
    RANK,
    REMAINING_MEDIAN,
    TENURE_MEDIAN,
    TOP_SHARES,
    UNATTRIBUTED_AREA,
)

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
    "AREA_NOT_COUNTED",
    "AREA_SHARE",
    "COMMODITY_LIST",
    "COMPANIES",
    "CONCENTRATION_COLUMNS",
    "DATES_OUT_OF_RANGE",
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
    "OUT_OF_RANGE_BUCKET",
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
