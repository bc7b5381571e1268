"""The data-quality report of a canonical frame (re-exported by analytics)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import polars as pl

from mining_licenses import companies
from mining_licenses import schema as s
from mining_licenses.analytics import _inputs as inp
from mining_licenses.analytics import columns as col

if TYPE_CHECKING:
    import geopandas as gpd

_COMPANY_COLUMNS: Final = (s.COMPANY_NAME, s.COMPANY_SLUG, s.COMPANY_KEY)


def quality_report(df: pl.DataFrame | gpd.GeoDataFrame) -> pl.DataFrame:
    """Report nulls, issue codes, unknown values and placement of a frame.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame. Needs ``issues``,
        ``geometry_source`` and the categorical columns (``license_type``,
        ``activity``, ``commodity_type``, ``cnc``, ``province``).

    Returns
    -------
    polars.DataFrame
        One row per finding, columns ``section``, ``item``, ``value``
        (String), ``count`` (Int64, records) and ``share`` (Float64,
        ``count`` / records). Sections, in order:

        - ``nulls``: ``item`` is each column of the frame (canonical order,
          then any others), ``count`` its null values.
        - ``issues``: ``item`` is an issue code (see ``schema.ISSUE_CODES``),
          ``count`` the records carrying it; most frequent first.
        - ``unknown_values``: ``item`` is a categorical column, ``value`` a
          non-null value outside its known set, kept verbatim by the loader.
        - ``placement``: ``item`` is ``api_point`` (placed at the API's
          point), ``regency`` (placed at a gazetteer point) or ``not_placed``
          (null ``geometry_source``), always all three; plus ``other`` when
          some value is none of these.
        - ``company_keys`` (when the frame has ``company_name``,
          ``company_slug`` and ``company_key``): ``item`` is
          ``name_several_slugs`` or ``slug_several_names``, ``value`` reads
          ``<name key or slug> -> <what it was seen with>``, ``count`` the
          records concerned; see
          :func:`mining_licenses.companies.company_conflicts` for the table.

        An empty frame gives an empty report.

    Raises
    ------
    SchemaError
        If a needed column is missing or has the wrong dtype.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({
    ...     "license_type": ["IUP", "IUP"], "activity": ["Eksplorasi", None],
    ...     "commodity_type": ["Coal", "Unobtainium"], "cnc": ["CNC", None],
    ...     "province": ["Riau", "Riau"], "geometry_source": ["regency", None],
    ...     "issues": [[], ["unknown_value:commodity_type"]],
    ... })
    >>> report = quality_report(df)
    >>> report.filter(pl.col("section") == "unknown_values").rows()
    [('unknown_values', 'commodity_type', 'Unobtainium', 1, 0.5)]
    """
    function = "quality_report"
    frame, _ = inp.to_polars_frame(df, function=function)
    frame = inp.require_columns(
        frame, [s.ISSUES, s.GEOMETRY_SOURCE, *s.CATEGORICAL_COLUMNS], function=function
    )
    rows = frame.height
    if rows == 0:
        return pl.DataFrame(schema=col.QUALITY_COLUMNS)

    ordered = [c for c in s.COLUMNS if c in frame.columns]
    ordered += [c for c in frame.columns if c not in s.COLUMNS]
    nulls = (
        frame.select(ordered)
        .null_count()
        .unpivot(variable_name=col.ITEM, value_name=col.COUNT)
        .with_columns(pl.lit(col.SECTION_NULLS).alias(col.SECTION))
    )
    # A code listed twice in one record still counts that record once.
    issues = (
        frame.select(pl.col(s.ISSUES).list.unique().explode().alias(col.ITEM))
        .drop_nulls()
        .group_by(col.ITEM)
        .agg(pl.len().alias(col.COUNT))
        .sort([col.COUNT, col.ITEM], descending=[True, False])
        .with_columns(pl.lit(col.SECTION_ISSUES).alias(col.SECTION))
    )
    unknown = [
        frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(known))
        .group_by(pl.col(column).alias(col.VALUE))
        .agg(pl.len().alias(col.COUNT))
        .sort([col.COUNT, col.VALUE], descending=[True, False])
        .with_columns(
            pl.lit(col.SECTION_UNKNOWN).alias(col.SECTION), pl.lit(column).alias(col.ITEM)
        )
        for column, known in _known_values().items()
    ]
    source = pl.col(s.GEOMETRY_SOURCE)
    placement = frame.select(
        source.eq(s.GEOMETRY_FROM_API).sum().alias(s.GEOMETRY_FROM_API),
        source.eq(s.GEOMETRY_FROM_REGENCY).sum().alias(s.GEOMETRY_FROM_REGENCY),
        source.is_null().sum().alias(col.NOT_PLACED),
        (source.is_not_null() & ~source.is_in(s.GEOMETRY_SOURCES)).sum().alias(col.OTHER_PLACEMENT),
    ).unpivot(variable_name=col.ITEM, value_name=col.COUNT)
    placement = placement.filter(
        (pl.col(col.ITEM) != col.OTHER_PLACEMENT) | (pl.col(col.COUNT) > 0)
    ).with_columns(pl.lit(col.SECTION_PLACEMENT).alias(col.SECTION))

    parts = [nulls, issues, *unknown, placement, *_company_keys(frame)]
    out = pl.concat(
        [part.with_columns(pl.col(col.COUNT).cast(pl.Int64)) for part in parts],
        how="diagonal_relaxed",
    ).with_columns((pl.col(col.COUNT) / rows).alias(col.SHARE))
    return inp.finish(out, col.QUALITY_COLUMNS)


def _company_keys(frame: pl.DataFrame) -> list[pl.DataFrame]:
    """Return the company-key conflicts as report rows (none without the company columns)."""
    if not all(c in frame.columns for c in _COMPANY_COLUMNS):
        return []
    named = frame.select(pl.col(c).cast(pl.String) for c in _COMPANY_COLUMNS)
    conflicts = companies.company_conflicts(named)
    return [
        conflicts.select(
            pl.lit(col.SECTION_COMPANY_KEYS).alias(col.SECTION),
            pl.col(companies.CONFLICT).alias(col.ITEM),
            pl.format(
                "{} -> {}", companies.VALUE, pl.col(companies.SEEN_WITH).list.join(", ")
            ).alias(col.VALUE),
            pl.col(companies.LICENSES).alias(col.COUNT),
        )
    ]


def _known_values() -> dict[str, list[str]]:
    """Canonical values per categorical column, taken from the alias tables."""
    return {column: sorted(set(s.ALIASES[column].values())) for column in s.CATEGORICAL_COLUMNS}
