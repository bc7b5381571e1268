"""Licensed area by province and by company, and its concentration among companies.

Re-exported by :mod:`mining_licenses.analytics`; see its docstring for the
conventions (input kinds, empty frames, output dtypes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from mining_licenses import schema as s
from mining_licenses.analytics import _inputs as inp
from mining_licenses.analytics import columns as col

if TYPE_CHECKING:
    import geopandas as gpd


def _share(part: pl.Expr, total: pl.Expr) -> pl.Expr:
    """``part / total``, null where the total is not positive."""
    return pl.when(total > 0).then(part / total)


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
        ``licensed_area_ha`` (Float64, the sum of counted areas),
        ``mean_area_ha`` and ``median_area_ha`` (Float64, over the counted
        areas), ``area_share`` (Float64, the group's part of the whole frame's
        counted area, so the column sums to 1; null when that total is not
        positive) and ``area_not_counted`` (Int64, licenses whose area is
        missing, not a number, zero or negative, or over 1,000,000 ha: they
        count as licenses and add no area). Sorted by area descending, then
        province and ``by`` ascending. Rows without a province form a group
        whose ``province`` is null.

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
        *inp.group_columns(frame, by, function=function, reserved=col.AREA_BY_PROVINCE_COLUMNS),
    ]
    area, counted = pl.col(s.AREA_HA), inp.counted_area_values()
    out = (
        inp.aggregate(
            frame,
            keys,
            [
                pl.len().alias(col.LICENSES),
                counted.sum().alias(s.AREA_HA),
                counted.mean().alias(col.MEAN_AREA),
                counted.median().alias(col.MEDIAN_AREA),
                (~inp.area_counted()).sum().alias(col.AREA_NOT_COUNTED),
            ],
        )
        .with_columns(_share(area, area.sum()).alias(col.AREA_SHARE))
        .sort(
            [s.AREA_HA, *keys],
            descending=[True] + [False] * len(keys),
            nulls_last=True,
            maintain_order=True,
        )
    )
    return inp.finish(out, inp.key_schema(frame, keys) | col.AREA_BY_PROVINCE_COLUMNS)


def area_by_company(
    df: pl.DataFrame | gpd.GeoDataFrame, *, by: inp.By = None, top: int | None = None
) -> pl.DataFrame:
    """Sum licensed area per company, with its share and rank.

    Companies are grouped by ``company_key``: one key per company, learned
    from the data (a name spelled any way takes the slug its records carry
    elsewhere; see :mod:`mining_licenses.companies`), since ``company_slug``
    is mostly null and follows no promised rule.

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
        ``area_share`` (Float64; null when the total is not positive),
        ``rank`` (Int64, 1 = largest area; ties share the lowest rank and the
        next rank skips, the ``min`` method: 1, 2, 2, 4) and
        ``area_not_counted`` (Int64, licenses whose area is left out of the
        sums, as in :func:`area_by_province`). Sorted by ``by``, rank, then
        ``company_key``. Rows without a ``company_key`` form one group whose
        key is null, so no area goes missing.

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
    groups = inp.group_columns(frame, by, function=function, reserved=col.AREA_BY_COMPANY_COLUMNS)
    if top is not None:
        inp.positive_int(top, name="top", function=function, allow_zero=False)
    keys = [s.COMPANY_KEY, *groups]
    area = pl.col(s.AREA_HA)
    name = pl.col(s.COMPANY_NAME).drop_nulls()
    out = inp.aggregate(
        frame,
        keys,
        [
            name.mode().sort().first(),
            pl.len().alias(col.LICENSES),
            inp.counted_area_values().sum().alias(s.AREA_HA),
            (~inp.area_counted()).sum().alias(col.AREA_NOT_COUNTED),
            pl.col(s.PROVINCE).drop_nulls().n_unique().alias(col.PROVINCE_COUNT),
            pl.col(s.COMMODITY).drop_nulls().unique().sort().alias(col.COMMODITY_LIST),
        ],
    )
    total = area.sum().over(groups) if groups else area.sum()
    rank = area.rank("min", descending=True)
    out = out.with_columns(
        _share(area, total).alias(col.AREA_SHARE),
        (rank.over(groups) if groups else rank).cast(pl.Int64).alias(col.RANK),
    )
    if top is not None:
        out = out.filter(pl.col(col.RANK) <= top)
    out = out.sort([*groups, col.RANK, s.COMPANY_KEY], nulls_last=True, maintain_order=True)
    return inp.finish(out, inp.key_schema(frame, keys) | col.AREA_BY_COMPANY_COLUMNS)


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
        there are fewer), ``unattributed_area_ha`` (Float64, area of rows
        with no ``company_key``, left out of the shares since it cannot be
        told apart by holder) and ``area_not_counted`` (Int64, licenses whose
        area is left out because it is missing, not a number, not positive or
        over 1,000,000 ha). ``hhi`` and the shares are null where the
        attributed area is not positive. Sorted by the ``by`` columns.

    Raises
    ------
    SchemaError
        If a needed column is missing or has the wrong dtype.
    ConfigurationError
        For a ``by`` that is not a column, or is ``company_key`` or an output column.

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
        frame, by, function=function, reserved=[s.COMPANY_KEY, *col.CONCENTRATION_COLUMNS]
    )
    # Step 1: area per company (the null key collects the unattributed rows).
    per_company = inp.aggregate(
        frame,
        [*keys, s.COMPANY_KEY],
        [
            inp.counted_area_values().sum().alias(s.AREA_HA),
            (~inp.area_counted()).sum().alias(col.AREA_NOT_COUNTED),
        ],
    )
    # Step 2: per group, from the companies' areas.
    known = pl.col(s.COMPANY_KEY).is_not_null()
    area = pl.col(s.AREA_HA).filter(known)
    total = pl.col(s.AREA_HA)
    out = inp.aggregate(
        per_company,
        keys,
        [
            known.sum().alias(col.COMPANIES),
            area.sum(),
            (area * area).sum().alias(col.HHI),
            *(area.top_k(k).sum().alias(col) for k, col in col.TOP_SHARES.items()),
            pl.col(s.AREA_HA).filter(~known).sum().alias(col.UNATTRIBUTED_AREA),
            pl.col(col.AREA_NOT_COUNTED).sum(),
        ],
    ).with_columns(
        _share(pl.col(col.HHI) * 10_000, total * total).alias(col.HHI),
        *(_share(pl.col(col), total).alias(col) for col in col.TOP_SHARES.values()),
    )
    out = out.sort(keys, nulls_last=True, maintain_order=True) if keys else out
    return inp.finish(out, inp.key_schema(frame, keys) | col.CONCENTRATION_COLUMNS)
