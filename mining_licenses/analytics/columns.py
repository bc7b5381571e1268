"""Output columns of the analytics: names, dtypes, bucket labels.

Part of the public API through :mod:`mining_licenses.analytics`, which
re-exports every name here.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from mining_licenses import schema as s

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
#: Licenses whose area is left out of an answer's sums: missing, not a number, zero or
#: negative, or over ``schema.MAX_AREA_HA``. ``licenses`` counts them all the same.
AREA_NOT_COUNTED: Final = "area_not_counted"
#: Licenses with both dates present and unflagged, one of them outside ``schema.DATE_WINDOW``.
DATES_OUT_OF_RANGE: Final = "dates_out_of_range"

#: ``period`` of licenses that expired before ``as_of``.
EXPIRED_BUCKET: Final = "expired"
#: ``period`` of licenses whose expiry date is null or flagged.
NO_DATE_BUCKET: Final = "no_date"
#: ``period`` of licenses whose expiry date lies outside ``schema.DATE_WINDOW`` (9999-12-31).
OUT_OF_RANGE_BUCKET: Final = "out_of_range"
#: ``freq`` values of :func:`expiry_schedule`.
FREQUENCIES: Final = ("year", "quarter", "month")

_INT: Final = pl.Int64()
_FLOAT: Final = pl.Float64()

EXPIRY_SCHEDULE_COLUMNS: Final = {
    PERIOD: pl.String(),
    PERIOD_START: pl.Date(),
    LICENSES: _INT,
    s.AREA_HA: _FLOAT,
    AREA_NOT_COUNTED: _INT,
}
AREA_BY_PROVINCE_COLUMNS: Final = {
    s.PROVINCE: pl.String(),
    LICENSES: _INT,
    s.AREA_HA: _FLOAT,
    MEAN_AREA: _FLOAT,
    MEDIAN_AREA: _FLOAT,
    AREA_SHARE: _FLOAT,
    AREA_NOT_COUNTED: _INT,
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
    AREA_NOT_COUNTED: _INT,
}
CONCENTRATION_COLUMNS: Final = {
    COMPANIES: _INT,
    s.AREA_HA: _FLOAT,
    HHI: _FLOAT,
    **dict.fromkeys(TOP_SHARES.values(), _FLOAT),
    UNATTRIBUTED_AREA: _FLOAT,
    AREA_NOT_COUNTED: _INT,
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
    DATES_OUT_OF_RANGE: _INT,
}

# ------------------------------------------------------- quality_report
SECTION: Final = "section"
ITEM: Final = "item"
VALUE: Final = "value"
COUNT: Final = "count"
SHARE: Final = "share"

#: Sections of the report, in the order they appear.
SECTION_NULLS: Final = "nulls"
SECTION_ISSUES: Final = "issues"
SECTION_UNKNOWN: Final = "unknown_values"
SECTION_PLACEMENT: Final = "placement"
SECTION_COMPANY_KEYS: Final = "company_keys"

#: ``item`` of the placement rows for records with no geometry.
NOT_PLACED: Final = "not_placed"
#: ``item`` of the placement row for a ``geometry_source`` outside the known set.
OTHER_PLACEMENT: Final = "other"

QUALITY_COLUMNS: Final = {
    SECTION: pl.String(),
    ITEM: pl.String(),
    VALUE: pl.String(),
    COUNT: pl.Int64(),
    SHARE: pl.Float64(),
}
