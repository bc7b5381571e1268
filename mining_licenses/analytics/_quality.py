"""The data-quality report of a canonical frame (re-exported by analytics)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import polars as pl

from mining_licenses import companies
from mining_licenses import schema as s
from mining_licenses.analytics import _inputs as inp

if TYPE_CHECKING:
    import geopandas as gpd

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
_COMPANY_COLUMNS: Final = (s.COMPANY_NAME, s.COMPANY_SLUG, s.COMPANY_KEY)

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
        return pl.DataFrame(schema=QUALITY_COLUMNS)

    ordered = [c for c in s.COLUMNS if c in frame.columns]
    ordered += [c for c in frame.columns if c not in s.COLUMNS]
    nulls = (
        frame.select(ordered)
        .null_count()
        .unpivot(variable_name=ITEM, value_name=COUNT)
        .with_columns(pl.lit(SECTION_NULLS).alias(SECTION))
    )
    # A code listed twice in one record still counts that record once.
    issues = (
        frame.select(pl.col(s.ISSUES).list.unique().explode().alias(ITEM))
        .drop_nulls()
        .group_by(ITEM)
        .agg(pl.len().alias(COUNT))
        .sort([COUNT, ITEM], descending=[True, False])
        .with_columns(pl.lit(SECTION_ISSUES).alias(SECTION))
    )
    unknown = [
        frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(known))
        .group_by(pl.col(column).alias(VALUE))
        .agg(pl.len().alias(COUNT))
        .sort([COUNT, VALUE], descending=[True, False])
        .with_columns(pl.lit(SECTION_UNKNOWN).alias(SECTION), pl.lit(column).alias(ITEM))
        for column, known in _known_values().items()
    ]
    source = pl.col(s.GEOMETRY_SOURCE)
    placement = frame.select(
        source.eq(s.GEOMETRY_FROM_API).sum().alias(s.GEOMETRY_FROM_API),
        source.eq(s.GEOMETRY_FROM_REGENCY).sum().alias(s.GEOMETRY_FROM_REGENCY),
        source.is_null().sum().alias(NOT_PLACED),
        (source.is_not_null() & ~source.is_in(s.GEOMETRY_SOURCES)).sum().alias(OTHER_PLACEMENT),
    ).unpivot(variable_name=ITEM, value_name=COUNT)
    placement = placement.filter(
        (pl.col(ITEM) != OTHER_PLACEMENT) | (pl.col(COUNT) > 0)
    ).with_columns(pl.lit(SECTION_PLACEMENT).alias(SECTION))

    parts = [nulls, issues, *unknown, placement, *_company_keys(frame)]
    out = pl.concat(
        [part.with_columns(pl.col(COUNT).cast(pl.Int64)) for part in parts],
        how="diagonal_relaxed",
    ).with_columns((pl.col(COUNT) / rows).alias(SHARE))
    return inp.finish(out, QUALITY_COLUMNS)


def _company_keys(frame: pl.DataFrame) -> list[pl.DataFrame]:
    """Return the company-key conflicts as report rows (none without the company columns)."""
    if not all(c in frame.columns for c in _COMPANY_COLUMNS):
        return []
    named = frame.select(pl.col(c).cast(pl.String) for c in _COMPANY_COLUMNS)
    conflicts = companies.company_conflicts(named)
    return [
        conflicts.select(
            pl.lit(SECTION_COMPANY_KEYS).alias(SECTION),
            pl.col(companies.CONFLICT).alias(ITEM),
            pl.format(
                "{} -> {}", companies.VALUE, pl.col(companies.SEEN_WITH).list.join(", ")
            ).alias(VALUE),
            pl.col(companies.LICENSES).alias(COUNT),
        )
    ]


def _known_values() -> dict[str, list[str]]:
    """Canonical values per categorical column, taken from the alias tables."""
    return {column: sorted(set(s.ALIASES[column].values())) for column in s.CATEGORICAL_COLUMNS}
