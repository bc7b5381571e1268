"""Summary tables for the command line, and their text rendering.

:func:`summary_tables` gathers the analytics the ``summary`` command shows;
:func:`render_tables` turns frames into plain text; :func:`csv_ready` flattens
list columns so a result can be written as CSV. All pure: the CLI prints and
writes files, nothing here does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Final

import polars as pl

from mining_licenses import analytics as an
from mining_licenses import schema as s
from mining_licenses._csv import csv_frame
from mining_licenses.analytics import _inputs as inp
from mining_licenses.analytics import columns as q
from mining_licenses.cli._terminal import visible_cells

if TYPE_CHECKING:
    import geopandas as gpd

#: Keys of :func:`summary_tables`, in the order the tables are shown.
TOTALS: Final = "totals"
AREA_BY_PROVINCE: Final = "area_by_province"
TOP_COMPANIES: Final = "top_companies"
CONCENTRATION: Final = "concentration"
AGE_STATISTICS: Final = "age_statistics"
QUALITY: Final = "quality"

#: Tables :func:`render_tables` shows on their side (one field per line) by default.
SIDE_ON_TABLES: Final = (TOTALS, CONCENTRATION, AGE_STATISTICS)

AS_OF: Final = "as_of"
FETCHED_AT_MAX: Final = "fetched_at"
EXPIRED: Final = "expired"
NO_EXPIRY_DATE: Final = "no_expiry_date"
EXPIRY_OUT_OF_RANGE: Final = "expiry_out_of_range"
EXPIRING_SOON: Final = f"expiring_within_{s.EXPIRING_SOON_DAYS}_days"
EXPIRING_SOON_AREA: Final = f"expiring_within_{s.EXPIRING_SOON_DAYS}_days_area_ha"

_FIELD: Final = "field"
_VALUE: Final = "value"
_LIST_DISPLAY: Final = "; "  # lists in printed tables; CSV files use schema.LIST_SEPARATOR


def summary_tables(
    df: pl.DataFrame | gpd.GeoDataFrame,
    *,
    as_of: dt.date | str | None = None,
    top: int = 10,
) -> dict[str, pl.DataFrame]:
    """Return the tables of the ``summary`` command, in display order.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame.
    as_of
        The reference day; by default the UTC date of the latest
        ``fetched_at``, else today in UTC.
    top
        How many companies the ``top_companies`` table keeps (ties at the
        boundary are all kept).

    Returns
    -------
    dict of str to polars.DataFrame
        ``totals`` (one row: ``as_of``, ``fetched_at``, ``licenses``,
        ``companies``, ``provinces``, ``licensed_area_ha`` (counted areas),
        ``area_not_counted``, ``expired``, ``expiring_within_365_days`` and
        its area, ``no_expiry_date``, ``expiry_out_of_range``; the expiry
        counts follow :func:`~mining_licenses.analytics.expiry_schedule` and
        :func:`~mining_licenses.analytics.expiring_soon`),
        ``area_by_province``, ``top_companies``, ``concentration``,
        ``age_statistics`` and ``quality`` (the rows of
        :func:`~mining_licenses.analytics.quality_report` with a non-zero
        count, plus every placement row).

    Examples
    --------
    >>> from mining_licenses import schema
    >>> list(summary_tables(schema.empty_frame(), as_of="2026-01-01"))
    ['totals', 'area_by_province', 'top_companies', 'concentration', 'age_statistics', 'quality']
    """
    frame, _ = inp.to_polars_frame(df, function="summary_tables")
    frame = inp.require_columns(frame, s.COLUMNS, function="summary_tables")
    day = inp.resolve_as_of(frame, as_of, function="summary_tables")
    soon = an.expiring_soon(frame, as_of=day)
    usable = inp.usable_expiry()
    totals = frame.select(
        pl.lit(day).alias(AS_OF),
        pl.col(s.FETCHED_AT).max().alias(FETCHED_AT_MAX),
        pl.len().cast(pl.Int64).alias(an.LICENSES),
        pl.col(s.COMPANY_KEY).drop_nulls().n_unique().cast(pl.Int64).alias(an.COMPANIES),
        pl.col(s.PROVINCE).drop_nulls().n_unique().cast(pl.Int64).alias(an.PROVINCE_COUNT),
        inp.counted_area_values().sum().alias(s.AREA_HA),
        (~inp.area_counted()).sum().cast(pl.Int64).alias(an.AREA_NOT_COUNTED),
        (usable & (pl.col(s.EXPIRY_DATE) < day)).sum().cast(pl.Int64).alias(EXPIRED),
        pl.lit(soon.height, pl.Int64).alias(EXPIRING_SOON),
        pl.lit(inp.area_sum(soon), pl.Float64).alias(EXPIRING_SOON_AREA),
        (~inp.dated_expiry()).sum().cast(pl.Int64).alias(NO_EXPIRY_DATE),
        (inp.dated_expiry() & ~usable).sum().cast(pl.Int64).alias(EXPIRY_OUT_OF_RANGE),
    )
    quality = an.quality_report(frame)
    quality = quality.filter((pl.col(q.COUNT) > 0) | (pl.col(q.SECTION) == q.SECTION_PLACEMENT))
    return {
        TOTALS: totals,
        AREA_BY_PROVINCE: an.area_by_province(frame),
        TOP_COMPANIES: an.area_by_company(frame, top=top),
        CONCENTRATION: an.concentration(frame),
        AGE_STATISTICS: an.license_age_stats(frame, as_of=day),
        QUALITY: quality,
    }


def csv_ready(frame: pl.DataFrame, *, safe: bool = True) -> pl.DataFrame:
    """Return ``frame`` as the command line writes it to CSV (``_csv.csv_frame``).

    List columns are joined by ``;`` (``schema.LIST_SEPARATOR``), and text
    a spreadsheet would run as a formula gets a leading ``'`` unless ``safe``
    is False (``--raw-csv``).

    Examples
    --------
    >>> import polars as pl
    >>> csv_ready(pl.DataFrame({"issues": [["a", "b"], []]}))["issues"].to_list()
    ['a;b', '']
    """
    return csv_frame(frame, safe=safe)


def render_table(
    frame: pl.DataFrame,
    *,
    title: str | None = None,
    precision: int = 3,
    side_on: bool = False,
) -> str:
    """Render one frame as a plain-text (Markdown-style) table.

    With ``side_on``, a frame of one row is shown turned on its side, one
    ``field | value`` line per column, which reads better for a record of
    totals. Floats show ``precision`` decimals.

    Examples
    --------
    >>> import polars as pl
    >>> print(render_table(pl.DataFrame({"province": ["Riau"], "area": [1234.5]})))
    | province | area      |
    |----------|-----------|
    | Riau     | 1,234.500 |
    """
    shown = frame
    if side_on and frame.height == 1:
        # One row: formatting its few values in Python is cheap and reads best.
        shown = pl.DataFrame(
            {
                _FIELD: frame.columns,
                _VALUE: [_format(value, precision) for value in frame.row(0)],
            }
        )
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        tbl_formatting="ASCII_MARKDOWN",
        float_precision=precision,
        thousands_separator=True,
        fmt_str_lengths=80,
        fmt_table_cell_list_len=6,
        tbl_width_chars=250,
    ):
        body = str(visible_cells(shown)) if shown.width else "(no columns)"
    if shown.height == 0:
        body += "\n(no rows)"
    if title is None:
        return body
    return f"{title}\n{'=' * len(title)}\n{body}"


def _format(value: object, precision: int) -> str:
    """Format one value for the side-on view: thousands separators, ISO dates."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:,.{precision}f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return _LIST_DISPLAY.join(str(item) for item in value)
    return str(value)


def render_tables(
    tables: Mapping[str, pl.DataFrame],
    *,
    precision: int = 3,
    side_on: Collection[str] = SIDE_ON_TABLES,
) -> str:
    """Render several frames, each under its key as a title, blank lines between.

    The tables named in ``side_on`` are shown on their side when they have
    one row (by default the totals, the overall concentration and the
    overall age statistics of :func:`summary_tables`).

    Examples
    --------
    >>> import polars as pl
    >>> print(render_tables({"area_by_province": pl.DataFrame({"province": ["Riau"]})}))
    Area by province
    ================
    | province |
    |----------|
    | Riau     |
    """
    return "\n\n".join(
        render_table(
            frame,
            title=name.replace("_", " ").capitalize(),
            precision=precision,
            side_on=name in side_on,
        )
        for name, frame in tables.items()
    )
