"""Indonesia's provinces and regencies with representative points, and name matching.

The data is bundled with the package (``mining_licenses/data/gazetteer/``) and
built by ``scripts/build_gazetteer.py`` from the Kemendagri code list; see
:data:`ATTRIBUTION` and the README beside the data for provenance and the
corrections made. Points are representative points of a regency, good for
placing a license whose record names only its regency; they are not polygon
centroids.

The tables are read on first use and cached for the life of the process;
importing this module reads nothing.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Final

import polars as pl

from mining_licenses import schema
from mining_licenses._errors import ConfigurationError

__all__ = [
    "ATTRIBUTION",
    "BARE_NAME",
    "CODE",
    "KABUPATEN",
    "KIND",
    "KOTA",
    "NAME",
    "REGENCY_CODE",
    "REGENCY_NAME",
    "locate",
    "province_points",
    "provinces",
    "regencies",
]

#: The credit line to show wherever data derived from the gazetteer is shipped.
ATTRIBUTION: Final = (
    "Administrative codes, names and points: Ministry of Home Affairs (Kemendagri) "
    "code list as compiled in D1msky/nusantara-shipping (MIT licence; data/provinces.php, "
    "data/regencies.php, last updated 2026-02-23), with corrections by mining-licenses."
)

# Columns of the gazetteer tables (``province``, ``latitude``, ``longitude`` come from schema).
CODE: Final = "code"
NAME: Final = "name"
KIND: Final = "kind"
BARE_NAME: Final = "bare_name"
# Columns of the frame returned by :func:`locate`.
REGENCY_CODE: Final = "regency_code"
REGENCY_NAME: Final = "regency_name"

KABUPATEN: Final = "Kabupaten"
KOTA: Final = "Kota"

_DATA = "data/gazetteer"
#: What a match carries of its regency.
_REGENCY: Final = (CODE, NAME, KIND, schema.PROVINCE, schema.LONGITUDE, schema.LATITUDE)

#: Other names in use, folded like any lookup key, mapped to a regency code.
#: Renamed regencies, official one-word spellings and common short forms.
_ALIASES: Final = {
    "pasangkayu": "76.05",  # Kabupaten Mamuju Utara, renamed in 2017
    "toba": "12.06",  # Kabupaten Toba Samosir, renamed in 2020
    "pangkep": "73.09",  # Pangkajene Dan Kepulauan
    "selayar": "73.01",  # Kepulauan Selayar
    "padangsidimpuan": "12.77",  # official spelling of Padang Sidempuan
    "sitaro": "71.08",  # Siau Tagulandang Biaro
    "tidore": "82.72",  # Tidore Kepulauan
    "kukar": "64.03",  # Kutai Kartanegara
    "kutim": "64.04",  # Kutai Timur
    "kubar": "64.02",  # Kutai Barat
    "tanbu": "63.10",  # Tanah Bumbu
}

# Separators between several regency names in one text: , ; / & and the word "dan".
_SEPARATORS = r"\s*(?:[,;/&]|\sdan\s)\s*"
_SPLIT_MARK = "\x1f"
# A leading kind prefix: Kabupaten, Kab, Kota, Kotamadya, Kodya, optionally "Administrasi".
_PREFIX = r"^(kabupaten|kab|kota|kotamadya|kodya)(?:\s+(?:administrasi|adm))?\s+(.+)$"
_KOTA_WORDS: Final = ("kota", "kotamadya", "kodya")


def _read(name: str) -> pl.DataFrame:
    source = resources.files("mining_licenses").joinpath(f"{_DATA}/{name}")
    return pl.read_csv(
        source.read_bytes(),
        schema_overrides={
            CODE: pl.String(),
            schema.LATITUDE: pl.Float64(),
            schema.LONGITUDE: pl.Float64(),
        },
    )


@functools.cache
def _provinces() -> pl.DataFrame:
    return _read("provinces.csv")


@functools.cache
def _regencies() -> pl.DataFrame:
    return _read("regencies.csv")


def provinces() -> pl.DataFrame:
    """Return Indonesia's 38 provinces with a representative point.

    Returns
    -------
    polars.DataFrame
        Columns ``province`` (spelled as in :data:`mining_licenses.schema.PROVINCES`),
        ``code``, ``latitude``, ``longitude`` (WGS84), in the order of ``schema.PROVINCES``.

    Examples
    --------
    >>> frame = provinces()
    >>> frame.height
    38
    >>> frame.filter(pl.col("province") == "DKI Jakarta")["latitude"].item()
    -6.1745
    """
    return _provinces().clone()


def regencies() -> pl.DataFrame:
    """Return every regency (kabupaten) and city (kota) with a representative point.

    Returns
    -------
    polars.DataFrame
        Columns ``code`` (Kemendagri ``PP.RR``), ``province`` (current, one of the
        38), ``name`` (``Kabupaten Paser``), ``kind`` (``Kabupaten`` or ``Kota``),
        ``bare_name`` (``Paser``), ``latitude``, ``longitude``; ordered by code.

    Examples
    --------
    >>> frame = regencies()
    >>> frame.filter(pl.col("name") == "Kota Sorong")["province"].item()
    'Papua Barat Daya'
    """
    return _regencies().clone()


def _compact(expr: pl.Expr) -> pl.Expr:
    """Fold a name to its matching key: lower case, letters and digits only."""
    return expr.str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "")


@functools.cache
def _match_table() -> pl.DataFrame:
    """Return key -> regency rows: every bare name plus the aliases."""
    table = _regencies().select(_compact(pl.col(BARE_NAME)).alias("key"), *_REGENCY)
    aliases = pl.DataFrame(
        {"key": list(_ALIASES), CODE: list(_ALIASES.values())},
        schema={"key": pl.String, CODE: pl.String},
    ).join(table.drop("key"), on=CODE, how="inner")
    return pl.concat([table, aliases]).unique(["key", CODE], keep="first", maintain_order=True)


@functools.cache
def _protected_names() -> tuple[list[str], list[str]]:
    """Return names that contain a separator (``Pangkajene Dan Kepulauan``) and their safe forms.

    Such names are rewritten before a text is split on separators, so that
    ``dan`` inside the name does not cut it in two.
    """
    names = [
        " ".join(n.lower().split())
        for n in _regencies()[BARE_NAME].to_list()
        if any(sep in f" {n.lower()} " for sep in (" dan ", "&", "/", ",", ";"))
    ]
    return names, [n.replace(" ", "_").replace("&", "_").replace("/", "_") for n in names]


def _canonical_provinces(names: pl.Expr) -> pl.Expr:
    """Map province spellings (``Bangka Belitung``, ``jakarta``) to the canonical name or null."""
    table = schema.ALIASES[schema.PROVINCE]
    return schema.value_key_expr(names).replace_strict(
        list(table.keys()), list(table.values()), default=None, return_dtype=pl.String()
    )


def _resolve(unique: pl.DataFrame) -> pl.DataFrame:
    """Resolve distinct (text, province) pairs; return the pairs that resolved."""
    patterns, safe = _protected_names()
    parts = (
        unique.with_row_index("_pair")
        .with_columns(
            pl.col("_text")
            .str.replace_all(r"\s+", " ")
            .str.replace_many(patterns, safe, ascii_case_insensitive=True)
            .str.replace_all(_SEPARATORS, _SPLIT_MARK)
            .str.split(_SPLIT_MARK)
            .alias("_part")
        )
        .explode("_part")
        .with_columns(pl.int_range(pl.len()).over("_pair").alias("_pos"))
        .with_columns(
            pl.col("_part")
            .str.to_lowercase()
            .str.replace_all(r"[^a-z0-9]+", " ")
            .str.strip_chars()
            .alias("_spaced")
        )
        .with_columns(
            pl.col("_spaced").str.extract(_PREFIX, 1).alias("_prefix"),
            pl.col("_spaced")
            .str.extract(_PREFIX, 2)
            .str.replace(r"^kep\s", "kepulauan ")
            .alias("_rest"),
        )
        .select(
            "_pair",
            "_pos",
            "_province",
            pl.when(pl.col("_prefix").is_in(_KOTA_WORDS))
            .then(pl.lit(KOTA))
            .when(pl.col("_prefix").is_not_null())
            .then(pl.lit(KABUPATEN))
            .alias("_kind"),
            _compact(pl.col("_rest")).alias("_rest_key"),
            _compact(pl.col("_spaced").str.replace(r"^kep\s", "kepulauan ")).alias("_full_key"),
        )
    )
    table = _match_table()
    # (a) a prefix was given: the rest must name a regency of that kind.
    by_prefix = (
        parts.filter(pl.col("_kind").is_not_null())
        .join(table, left_on="_rest_key", right_on="key", how="inner")
        .filter(pl.col(KIND) == pl.col("_kind"))
        .with_columns(pl.lit(value=True).alias("_via_prefix"))
    )
    # (b) the whole part as a bare name (also catches "Kota Baru", a Kabupaten).
    by_name = parts.join(table, left_on="_full_key", right_on="key", how="inner").with_columns(
        pl.lit(value=False).alias("_via_prefix")
    )
    group = ["_pair", "_pos"]
    in_province = (pl.col(schema.PROVINCE) == pl.col("_province")).fill_null(value=False)
    is_kabupaten = pl.col(KIND) == KABUPATEN
    candidates = (
        pl.concat([by_prefix.drop("key", strict=False), by_name], how="diagonal")
        .select(
            "_pair",
            "_pos",
            "_province",
            "_via_prefix",
            *_REGENCY,
        )
        .unique(["_pair", "_pos", CODE], keep="first", maintain_order=True)
        # A prefixed reading beats the whole-text reading of the same part.
        .filter(pl.col("_via_prefix") | ~pl.col("_via_prefix").any().over(group))
        # The row's province picks among namesakes in several provinces.
        .filter(in_province | ~in_province.any().over(group))
        # A bare name that is both a Kabupaten and a Kota means the Kabupaten.
        .filter(is_kabupaten | ~is_kabupaten.any().over(group))
        # Still ambiguous: leave the part unresolved rather than guess.
        .filter(pl.len().over(group) == 1)
    )
    return (
        candidates.filter(pl.col("_pos") == pl.col("_pos").min().over("_pair"))
        .drop("_province")
        .join(unique.with_row_index("_pair"), on="_pair", how="inner")
        .select(
            "_text",
            "_province",
            pl.col(CODE).alias(REGENCY_CODE),
            pl.col(NAME).alias(REGENCY_NAME),
            schema.LONGITUDE,
            schema.LATITUDE,
        )
    )


def locate(texts: pl.Series, provinces: pl.Series | None = None) -> pl.DataFrame:
    """Resolve regency names in free text to a gazetteer regency and its point.

    Each text may name one regency (``Kota Tasikmalaya``, ``Paser``,
    ``KABUPATEN TABALONG``, ``Kab. Tanah Bumbu``) or several, separated by
    ``,``, ``;``, ``/``, ``&`` or the word ``dan``
    (``Kabupaten Tabalong, Kabupaten Balangan``): the first name that
    resolves wins. Matching ignores case, spacing, dots and hyphens
    (``Fak-Fak`` = ``Fakfak``), with or without the ``Kabupaten``/``Kab``/
    ``Kota`` prefix. A prefix must match the kind, so ``Kota Sorong`` and
    ``Kabupaten Sorong`` stay distinct. A bare name that is both resolves to
    the Kabupaten, because mining licenses lie in the rural regencies far more
    often than inside city limits, unless ``provinces`` singles one out. A bare
    name found in several provinces resolves through the row's province; if it
    is still ambiguous, the name is left unresolved rather than guessed.

    Parameters
    ----------
    texts
        Strings naming regencies; nulls are allowed.
    provinces
        Optional province of each row (same length), canonical spelling or a
        known alias (``Bangka Belitung``); used only to choose between namesakes.

    Returns
    -------
    polars.DataFrame
        Same length and row order as ``texts``, with columns ``regency_code``,
        ``regency_name``, ``longitude``, ``latitude``; all null where nothing
        resolved.

    Examples
    --------
    >>> texts = pl.Series(["Kabupaten Tabalong, Kabupaten Balangan", "Kota Sorong", "Sorong", "?"])
    >>> locate(texts)["regency_name"].to_list()
    ['Kabupaten Tabalong', 'Kota Sorong', 'Kabupaten Sorong', None]
    >>> locate(pl.Series(["Banjar"]), pl.Series(["Jawa Barat"]))["regency_name"].item()
    'Kota Banjar'
    """
    if provinces is not None and provinces.len() != texts.len():
        msg = f"locate(): texts has {texts.len()} rows but provinces has {provinces.len()}"
        raise ConfigurationError(msg)
    rows = pl.DataFrame(
        {
            "_text": texts.cast(pl.String()),
            "_province": (
                provinces.cast(pl.String())
                if provinces is not None
                else pl.Series(values=[None] * texts.len(), dtype=pl.String())
            ),
        }
    ).with_columns(_canonical_provinces(pl.col("_province")).alias("_province"))
    resolved = _resolve(rows.unique(maintain_order=True))
    return rows.join(
        resolved, on=["_text", "_province"], how="left", nulls_equal=True, maintain_order="left"
    ).select(REGENCY_CODE, REGENCY_NAME, schema.LONGITUDE, schema.LATITUDE)


def province_points(names: pl.Series) -> pl.DataFrame:
    """Return the canonical name and representative point of each province named.

    Parameters
    ----------
    names
        Province names, canonical or a known alias (``Bangka Belitung``,
        ``Jakarta``); nulls allowed.

    Returns
    -------
    polars.DataFrame
        Same length and order as ``names``: ``province`` (canonical, null if
        unknown), ``longitude``, ``latitude``.

    Examples
    --------
    >>> province_points(pl.Series(["Jakarta", "Atlantis"]))["province"].to_list()
    ['DKI Jakarta', None]
    """
    frame = pl.DataFrame({schema.PROVINCE: names.cast(pl.String())}).select(
        _canonical_provinces(pl.col(schema.PROVINCE)).alias(schema.PROVINCE)
    )
    points = _provinces().select(schema.PROVINCE, schema.LONGITUDE, schema.LATITUDE)
    return frame.join(points, on=schema.PROVINCE, how="left", maintain_order="left")
