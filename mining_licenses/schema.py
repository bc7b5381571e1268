"""The canonical frame: column names, dtypes, known value sets and spellings.

This module is the one place that names columns and lists known values.
Every other module imports from here instead of repeating string literals.

The value sets follow the upstream contract (``GET /v2/mining/licenses/`` of
the Sectors Financial API). Values outside them are never an error when
loading: they are kept verbatim and flagged with an issue code, so that a new
commodity or province upstream never breaks a load.
"""

from __future__ import annotations

import datetime as dt
import re
from types import MappingProxyType
from typing import Final

import polars as pl

#: 1.1: ``company_key`` learnt from the data (name -> slug), ``invalid_text:<field>``.
SCHEMA_VERSION: Final = "1.1"

# ---------------------------------------------------------------- API fields
WIUP_CODE: Final = "wiup_code"
LICENSE_NUMBER: Final = "license_number"
LICENSE_TYPE: Final = "license_type"
PROVINCE: Final = "province"
CITY: Final = "city"
EFFECTIVE_DATE: Final = "license_effective_date"
EXPIRY_DATE: Final = "license_expiry_date"
ACTIVITY: Final = "activity"
AREA_HA: Final = "licensed_area_ha"
LOCATION: Final = "location"  # API field only; split into the columns below
COMMODITY: Final = "commodity_type"
COMPANY_NAME: Final = "company_name"
CNC: Final = "cnc"
GENERATION: Final = "generation"
COMPANY_SLUG: Final = "company_slug"

# ------------------------------------------------------------ derived columns
COMPANY_KEY: Final = "company_key"
LOCATION_TEXT: Final = "location_text"
LONGITUDE: Final = "longitude"
LATITUDE: Final = "latitude"
GEOMETRY_SOURCE: Final = "geometry_source"
ISSUES: Final = "issues"
FETCHED_AT: Final = "fetched_at"

#: Name of the geometry column of GeoDataFrames made by :mod:`mining_licenses.geo`.
GEOMETRY: Final = "geometry"
#: The coordinate reference system of every geometry the package makes.
CRS: Final = "EPSG:4326"

#: Fields of an API record, in the order the API documents them.
API_FIELDS: Final = (
    WIUP_CODE,
    LICENSE_NUMBER,
    LICENSE_TYPE,
    PROVINCE,
    CITY,
    EFFECTIVE_DATE,
    EXPIRY_DATE,
    ACTIVITY,
    AREA_HA,
    LOCATION,
    COMMODITY,
    COMPANY_NAME,
    CNC,
    GENERATION,
    COMPANY_SLUG,
)

#: The canonical frame: column -> polars dtype, in column order.
COLUMNS: Final = MappingProxyType(
    {
        WIUP_CODE: pl.String(),
        LICENSE_NUMBER: pl.String(),
        LICENSE_TYPE: pl.String(),
        COMPANY_NAME: pl.String(),
        COMPANY_SLUG: pl.String(),
        COMPANY_KEY: pl.String(),
        COMMODITY: pl.String(),
        ACTIVITY: pl.String(),
        PROVINCE: pl.String(),
        CITY: pl.String(),
        EFFECTIVE_DATE: pl.Date(),
        EXPIRY_DATE: pl.Date(),
        AREA_HA: pl.Float64(),
        CNC: pl.String(),
        GENERATION: pl.String(),
        LOCATION_TEXT: pl.String(),
        LONGITUDE: pl.Float64(),
        LATITUDE: pl.Float64(),
        GEOMETRY_SOURCE: pl.String(),
        ISSUES: pl.List(pl.String()),
        FETCHED_AT: pl.Datetime("us", "UTC"),
    }
)

#: The canonical frame as a polars schema.
POLARS_SCHEMA: Final = pl.Schema(dict(COLUMNS))

#: Fields whose absence makes a record incomplete (flagged ``missing:<field>``).
REQUIRED_FIELDS: Final = (
    WIUP_CODE,
    LICENSE_NUMBER,
    LICENSE_TYPE,
    COMPANY_NAME,
    COMMODITY,
    ACTIVITY,
    PROVINCE,
    EFFECTIVE_DATE,
    EXPIRY_DATE,
    AREA_HA,
)

# -------------------------------------------------------------- value sets
LICENSE_TYPES: Final = ("IPR", "IUP", "IUPK", "KK", "PKP2B", "SIPB")
ACTIVITIES: Final = ("Eksplorasi", "Operasi Produksi")
COMMODITIES: Final = (
    "Bauxite",
    "Clay",
    "Coal",
    "Copper",
    "Gold",
    "Granite",
    "Iron",
    "Limestone",
    "Nickel",
    "Non-Metallic Mineral",
    "Others",
    "Sand",
    "Sand, Stone, Gravel",
    "Tin",
)
CNC_CLEAN: Final = "CNC"
CNC_NOT_CLEAN: Final = "non-CNC"
#: Clear & Clean states; a null ``cnc`` is the third state, "not yet verified".
CNC_STATES: Final = (CNC_CLEAN, CNC_NOT_CLEAN)

#: Indonesia's 38 provinces (since the 2022 split of Papua), spelled as the API does.
PROVINCES: Final = (
    "Aceh",
    "Sumatera Utara",
    "Sumatera Barat",
    "Riau",
    "Jambi",
    "Sumatera Selatan",
    "Bengkulu",
    "Lampung",
    "Kepulauan Bangka Belitung",
    "Kepulauan Riau",
    "DKI Jakarta",
    "Jawa Barat",
    "Jawa Tengah",
    "DI Yogyakarta",
    "Jawa Timur",
    "Banten",
    "Bali",
    "Nusa Tenggara Barat",
    "Nusa Tenggara Timur",
    "Kalimantan Barat",
    "Kalimantan Tengah",
    "Kalimantan Selatan",
    "Kalimantan Timur",
    "Kalimantan Utara",
    "Sulawesi Utara",
    "Sulawesi Tengah",
    "Sulawesi Selatan",
    "Sulawesi Tenggara",
    "Gorontalo",
    "Sulawesi Barat",
    "Maluku",
    "Maluku Utara",
    "Papua Barat",
    "Papua Barat Daya",
    "Papua",
    "Papua Selatan",
    "Papua Tengah",
    "Papua Pegunungan",
)

#: Geometry provenance values of ``geometry_source``.
GEOMETRY_FROM_API: Final = "api_point"
GEOMETRY_FROM_REGENCY: Final = "regency"
GEOMETRY_SOURCES: Final = (GEOMETRY_FROM_API, GEOMETRY_FROM_REGENCY)

#: Indonesia's extent with a margin (lon_min, lat_min, lon_max, lat_max), WGS84.
INDONESIA_BOUNDS: Final = (94.0, -11.5, 141.5, 6.5)

# ------------------------------------------------------- spellings, aliases


def value_key(text: str) -> str:
    """Return the lookup key of a categorical value: case, dots and spacing folded.

    Examples
    --------
    >>> value_key("  Kep.  Bangka-Belitung ")
    'kep bangka belitung'
    """
    return re.sub(r"[\s._\-/]+", " ", text).strip().lower()


def value_key_expr(expr: pl.Expr) -> pl.Expr:
    """Polars twin of :func:`value_key`, applied to a whole String column."""
    return expr.str.replace_all(r"[\s._\-/]+", " ").str.strip_chars().str.to_lowercase()


def _aliases(canonical: tuple[str, ...], extra: dict[str, str]) -> MappingProxyType[str, str]:
    table = {value_key(v): v for v in canonical}
    table.update({value_key(k): v for k, v in extra.items()})
    return MappingProxyType(table)


#: The common Indonesian short names of provinces (press, ministries, maps), each to
#: its province as the API spells it; ``province="Kaltim"`` means Kalimantan Timur.
PROVINCE_ABBREVIATIONS: Final = MappingProxyType(
    {
        "Sumut": "Sumatera Utara",
        "Sumbar": "Sumatera Barat",
        "Sumsel": "Sumatera Selatan",
        "Babel": "Kepulauan Bangka Belitung",
        "Kepri": "Kepulauan Riau",
        "DKI": "DKI Jakarta",
        "Jakarta": "DKI Jakarta",
        "Jabar": "Jawa Barat",
        "Jateng": "Jawa Tengah",
        "DIY": "DI Yogyakarta",
        "Jogja": "DI Yogyakarta",
        "Jatim": "Jawa Timur",
        "NTB": "Nusa Tenggara Barat",
        "NTT": "Nusa Tenggara Timur",
        "Kalbar": "Kalimantan Barat",
        "Kalteng": "Kalimantan Tengah",
        "Kalsel": "Kalimantan Selatan",
        "Kaltim": "Kalimantan Timur",
        "Kaltara": "Kalimantan Utara",
        "Sulut": "Sulawesi Utara",
        "Sulteng": "Sulawesi Tengah",
        "Sulsel": "Sulawesi Selatan",
        "Sultra": "Sulawesi Tenggara",
        "Sulbar": "Sulawesi Barat",
        "Malut": "Maluku Utara",
        "Pabar": "Papua Barat",
        "PBD": "Papua Barat Daya",
        "Papsel": "Papua Selatan",
        "Papteng": "Papua Tengah",
        "NAD": "Aceh",
    }
)

#: Lookup key -> canonical spelling, per categorical column.
ALIASES: Final = MappingProxyType(
    {
        LICENSE_TYPE: _aliases(LICENSE_TYPES, {}),
        ACTIVITY: _aliases(
            ACTIVITIES,
            {
                "exploration": "Eksplorasi",
                "explorasi": "Eksplorasi",
                "operasi produksi": "Operasi Produksi",
                "op": "Operasi Produksi",
                "production operation": "Operasi Produksi",
                "production": "Operasi Produksi",
            },
        ),
        COMMODITY: _aliases(
            COMMODITIES,
            {
                "bauksit": "Bauxite",
                "batubara": "Coal",
                "batu bara": "Coal",
                "nikel": "Nickel",
                "emas": "Gold",
                "tembaga": "Copper",
                "timah": "Tin",
                "besi": "Iron",
                "pasir besi": "Iron",
                "batu gamping": "Limestone",
                "batugamping": "Limestone",
                "granit": "Granite",
                "lempung": "Clay",
                "pasir": "Sand",
                "non metallic mineral": "Non-Metallic Mineral",
                "non metallic minerals": "Non-Metallic Mineral",
                "mineral bukan logam": "Non-Metallic Mineral",
                "sand stone gravel": "Sand, Stone, Gravel",
                "sand, stone, gravel": "Sand, Stone, Gravel",
                "sand stone and gravel": "Sand, Stone, Gravel",
                "other": "Others",
                "lainnya": "Others",
            },
        ),
        CNC: _aliases(
            CNC_STATES,
            {
                "cnc": CNC_CLEAN,
                "c&c": CNC_CLEAN,
                "c & c": CNC_CLEAN,
                "clear and clean": CNC_CLEAN,
                "clear & clean": CNC_CLEAN,
                "clean and clear": CNC_CLEAN,
                "non cnc": CNC_NOT_CLEAN,
                "noncnc": CNC_NOT_CLEAN,
                "non c&c": CNC_NOT_CLEAN,
                "not cnc": CNC_NOT_CLEAN,
                "non clear and clean": CNC_NOT_CLEAN,
            },
        ),
        PROVINCE: _aliases(
            PROVINCES,
            {
                "nanggroe aceh darussalam": "Aceh",
                "daerah istimewa aceh": "Aceh",
                "sumatra utara": "Sumatera Utara",
                "north sumatra": "Sumatera Utara",
                "sumatra barat": "Sumatera Barat",
                "west sumatra": "Sumatera Barat",
                "south sumatra": "Sumatera Selatan",
                "bangka belitung": "Kepulauan Bangka Belitung",
                "kep bangka belitung": "Kepulauan Bangka Belitung",
                "kep riau": "Kepulauan Riau",
                "riau islands": "Kepulauan Riau",
                "daerah khusus ibukota jakarta": "DKI Jakarta",
                "daerah khusus jakarta": "DKI Jakarta",
                "yogyakarta": "DI Yogyakarta",
                "daerah istimewa yogyakarta": "DI Yogyakarta",
                "d i yogyakarta": "DI Yogyakarta",
                "west java": "Jawa Barat",
                "central java": "Jawa Tengah",
                "east java": "Jawa Timur",
                "west kalimantan": "Kalimantan Barat",
                "central kalimantan": "Kalimantan Tengah",
                "south kalimantan": "Kalimantan Selatan",
                "east kalimantan": "Kalimantan Timur",
                "north kalimantan": "Kalimantan Utara",
                "north sulawesi": "Sulawesi Utara",
                "central sulawesi": "Sulawesi Tengah",
                "south sulawesi": "Sulawesi Selatan",
                "southeast sulawesi": "Sulawesi Tenggara",
                "west sulawesi": "Sulawesi Barat",
                "north maluku": "Maluku Utara",
                "west papua": "Papua Barat",
                "irian jaya barat": "Papua Barat",
                "southwest papua": "Papua Barat Daya",
                "south papua": "Papua Selatan",
                "central papua": "Papua Tengah",
                "highland papua": "Papua Pegunungan",
                "papua pegunungan tengah": "Papua Pegunungan",
                "yogya": "DI Yogyakarta",
                "kep babel": "Kepulauan Bangka Belitung",
                "sumatra selatan": "Sumatera Selatan",
                "irian jaya": "Papua",
                **dict(PROVINCE_ABBREVIATIONS),
            },
        ),
    }
)

#: Categorical columns checked against a known value set.
CATEGORICAL_COLUMNS: Final = tuple(ALIASES)


def canonical_value(column: str, value: str) -> str | None:
    """Return the canonical spelling of ``value`` in ``column``, or None if unknown.

    Examples
    --------
    >>> canonical_value("cnc", "CnC")
    'CNC'
    >>> canonical_value("province", "Bangka Belitung")
    'Kepulauan Bangka Belitung'
    >>> canonical_value("commodity_type", "unobtainium") is None
    True
    """
    return ALIASES[column].get(value_key(value))


# ------------------------------------------------------------- issue codes
# A record's ``issues`` list holds these codes. Codes for a field take the
# form ``<code>:<field>`` (for example ``missing:wiup_code``).
ISSUE_MISSING: Final = "missing"  # + ":<field>"
ISSUE_UNKNOWN_VALUE: Final = "unknown_value"  # + ":<field>", value kept verbatim
ISSUE_INVALID_DATE: Final = "invalid_date"  # + ":<field>", e.g. 2025-02-30
ISSUE_NOT_A_NUMBER: Final = "not_a_number"  # + ":<field>"
ISSUE_EXPIRY_BEFORE_EFFECTIVE: Final = "expiry_before_effective"
ISSUE_AREA_NOT_POSITIVE: Final = "area_not_positive"
ISSUE_WIUP_CODE_FORMAT: Final = "wiup_code_format"  # not 16 digits
ISSUE_COORDS_OUT_OF_BOUNDS: Final = "coords_out_of_bounds"
ISSUE_COORDS_SWAPPED: Final = "coords_swapped"  # [lat, lon]; kept, not placed
ISSUE_LOCATION_MALFORMED: Final = "location_malformed"  # not a plain GeoJSON point, text or null
ISSUE_LOCATION_UNRESOLVED: Final = "location_unresolved"  # no regency name matched
ISSUE_NOT_AN_OBJECT: Final = "record_not_an_object"  # the record itself was not a dict
ISSUE_DUPLICATE_RECORD: Final = "duplicate_wiup_code"  # same wiup_code on several rows
ISSUE_INVALID_TEXT: Final = "invalid_text"  # + ":<field>", lone surrogates replaced by U+FFFD
ISSUE_AREA_OUT_OF_RANGE: Final = "area_out_of_range"  # over MAX_AREA_HA
ISSUE_DATE_OUT_OF_RANGE: Final = "date_out_of_range"  # + ":<field>", outside DATE_WINDOW

#: Every issue code, with what it means; field-specific codes end in ``:<field>``.
ISSUE_CODES: Final = MappingProxyType(
    {
        f"{ISSUE_MISSING}:<field>": "a required field is absent or null",
        f"{ISSUE_UNKNOWN_VALUE}:<field>": "a value outside the known set, kept verbatim",
        f"{ISSUE_INVALID_DATE}:<field>": "a date that does not exist or cannot be parsed",
        f"{ISSUE_NOT_A_NUMBER}:<field>": "a numeric field whose value is not a number",
        ISSUE_EXPIRY_BEFORE_EFFECTIVE: "the expiry date is before the effective date",
        ISSUE_AREA_NOT_POSITIVE: "licensed_area_ha is zero or negative",
        ISSUE_AREA_OUT_OF_RANGE: "licensed_area_ha is over 1,000,000 ha (ten times the most "
        "the mining law grants one license), a typo or a unit slip",
        f"{ISSUE_DATE_OUT_OF_RANGE}:<field>": "a date before 1950-01-01 or after 2100-12-31, "
        "usually a placeholder such as 9999-12-31 or 1900-01-01",
        ISSUE_WIUP_CODE_FORMAT: "wiup_code is not a 16-digit string",
        ISSUE_COORDS_OUT_OF_BOUNDS: "the API's point lies outside Indonesia's extent",
        ISSUE_COORDS_SWAPPED: "the API's point looks like [latitude, longitude]",
        ISSUE_LOCATION_MALFORMED: "location is neither a plain GeoJSON point (type, "
        "coordinates and at most bbox; no crs), text, nor null",
        ISSUE_LOCATION_UNRESOLVED: "no regency in location or city matched the gazetteer",
        ISSUE_NOT_AN_OBJECT: "the record was not a JSON object",
        ISSUE_DUPLICATE_RECORD: "another record carries the same wiup_code",
        f"{ISSUE_INVALID_TEXT}:<field>": "text that is not valid Unicode (a lone surrogate "
        "from a JSON escape, or bytes that are not UTF-8), kept with U+FFFD in its place",
    }
)


# --------------------------------------------------------- plausible values
# A value outside these bounds is kept in the frame and flagged, and left out of
# every sum, share, statistic and chart (counted apart), so that one bad record
# cannot turn an answer into NaN or a chart into a minute of work.

#: The largest licensed area believed, in hectares: ten times the 100,000 ha the
#: mining law (UU 3/2020) grants one license; the largest in the registry are tens of
#: thousands. A larger value is a typo or a unit slip (m² for ha).
MAX_AREA_HA: Final = 1_000_000.0
#: The dates believed, first and last: the registry's oldest contracts of work date
#: from the late 1960s and no license runs past the 2080s; 9999-12-31 and
#: 1900-01-01 are placeholders for "none".
DATE_WINDOW: Final = (dt.date(1950, 1, 1), dt.date(2100, 12, 31))


#: Separator of the ``issues`` codes (and other lists) in formats without list fields (CSV, GDAL).
LIST_SEPARATOR: Final = ";"


def field_issue(code: str, field: str) -> str:
    """Return the issue code ``code`` for ``field``, e.g. ``missing:wiup_code``."""
    return f"{code}:{field}"


# ------------------------------------------------------------- API filters
#: Filters the API accepts and the package applies with the same semantics.
#: ``province`` matches exactly; the four text filters case-insensitively.
FILTERS: Final = (
    "company",
    PROVINCE,
    COMMODITY,
    LICENSE_TYPE,
    ACTIVITY,
    CNC,
    "expiring_soon",
)
#: ``expiring_soon=True`` keeps licenses expiring within this many days (inclusive).
EXPIRING_SOON_DAYS: Final = 365

ORDER_BY_FIELDS: Final = (EXPIRY_DATE, EFFECTIVE_DATE, AREA_HA, COMMODITY)
DEFAULT_ORDER_BY: Final = EXPIRY_DATE
MAX_PAGE_LIMIT: Final = 30
DEFAULT_PAGE_LIMIT: Final = 20


def empty_frame() -> pl.DataFrame:
    """Return an empty canonical frame with every column and dtype.

    Examples
    --------
    >>> empty_frame().schema == POLARS_SCHEMA
    True
    """
    return pl.DataFrame(schema=POLARS_SCHEMA)
