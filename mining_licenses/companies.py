"""Company names and keys: one key per company, learned from the data.

The registry spells a company many ways (``PT. ABC``, ``Pt Abc``, ``ABC, PT``,
``PT ABC Tbk``) and gives a ``company_slug`` on few records, spelled by a rule
nobody promises (it may keep the legal form, abbreviate or add a suffix). So
``company_key`` is built from the data, never from a guess about the slug:

1. every name gets a *name key* (:func:`name_key`): the name with case,
   punctuation, spacing and the Indonesian legal forms folded away;
2. records that carry both a slug and a name teach ``name key -> slug``;
3. a record's key is its own slug; else the slug its name key was seen with;
   else its name key.

When one name key was seen with several slugs, its records keep their own
slug and its records without one keep the name key (two slugs are never
merged); when one slug was seen with several names, the names join under the
slug, as the data says. Both cases are listed by :func:`company_conflicts`
(and by :func:`~mining_licenses.analytics.quality_report`).

Folding rules of the name key, each with an example (the tests list them all):

- case and spacing: ``Pt  ABC`` = ``PT ABC``;
- punctuation, read as a word break: ``PT.ABC`` = ``PT ABC``; ``&`` reads ``and``;
- dotted or spaced acronyms: ``P.T.``, ``P. T.``, ``C.V.``, ``K.U.D.``;
- legal forms dropped wherever they stand: ``PT``, ``Perseroan Terbatas``,
  ``Tbk``, ``(Persero)``, ``CV``, ``Koperasi``, ``KUD``, ``Koperasi Unit Desa``
  (``ABC, PT`` = ``PT ABC Tbk`` = ``Koperasi ABC`` -> ``abc``);
- the words are joined with ``-``, the shape of the API's slugs.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any, Final

import polars as pl

from mining_licenses import _terms
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError
from mining_licenses._redact import get_logger

logger = get_logger(__name__)

# longest first ("koperasi unit desa" before "koperasi"); "p t", "c v" and "k u d" are what
# "P.T.", "C.V." and "K.U.D." become once punctuation is read as a word break
_LEGAL_FORMS: Final = (
    r"\b(?:koperasi unit desa|perseroan terbatas|koperasi|persero|k u d|kud|tbk|p t|pt|c v|cv)\b"
)
_SLUG_SHAPE: Final = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")

#: Kinds of company-key conflict reported by :func:`company_conflicts`.
NAME_SEVERAL_SLUGS: Final = "name_several_slugs"
SLUG_SEVERAL_NAMES: Final = "slug_several_names"
#: Columns of :func:`company_conflicts`.
CONFLICT: Final = "conflict"
VALUE: Final = "value"
SEEN_WITH: Final = "seen_with"
SPELLINGS: Final = "spellings"
LICENSES: Final = "licenses"
CONFLICT_COLUMNS: Final = {
    CONFLICT: pl.String(),
    VALUE: pl.String(),
    SEEN_WITH: pl.List(pl.String()),
    SPELLINGS: pl.List(pl.String()),
    LICENSES: pl.Int64(),
}
_NAME_KEY: Final = "__name_key"
_SLUG: Final = "__slug"


def name_key_expr(name: pl.Expr) -> pl.Expr:
    """Polars expression: the name key of a String column (null for an empty name).

    Examples
    --------
    >>> names = pl.DataFrame({"n": ["P.T. Jasa Tambang Nusantara Tbk.", "CV. Maju & Jaya", "PT"]})
    >>> names.select(name_key_expr(pl.col("n"))).to_series().to_list()
    ['jasa-tambang-nusantara', 'maju-and-jaya', None]
    """
    words = name.str.to_lowercase().str.replace_all("&", " and ")
    words = words.str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    words = words.str.replace_all(_LEGAL_FORMS, " ").str.strip_chars().str.replace_all(r"\s+", "-")
    return pl.when(words.str.len_chars() > 0).then(words)


def display_name_expr(name: pl.Expr) -> pl.Expr:
    """Polars expression: a company name for display, its legal form written the standard way.

    Only the legal form changes: ``Pt``/``P.T.``/``pt.`` become ``PT``, a
    trailing ``, PT`` moves to the front, ``Tbk.`` becomes ``Tbk``, ``Cv``
    becomes ``CV``; the rest of the name is kept as spelled. For charts and
    tables; the data keeps every spelling verbatim.

    Examples
    --------
    >>> names = pl.DataFrame({"n": ["Pt Barito Khatulistiwa Sakti", "P.T. ABC tbk.",
    ...                             "Berau Barito, PT", "cv. Maju", "PT. MULTI MITRA"]})
    >>> names.select(display_name_expr(pl.col("n"))).to_series().to_list()
    ['PT Barito Khatulistiwa Sakti', 'PT ABC Tbk', 'PT Berau Barito', 'CV Maju', 'PT MULTI MITRA']
    """
    text = name.str.strip_chars()
    text = text.str.replace(r"^(.*?),\s*(?i:p\.?\s?t)\.?$", "PT $1")
    text = text.str.replace(r"^(?i:p\.?\s?t)\.?\s+", "PT ")
    text = text.str.replace(r"^(?i:c\.?\s?v)\.?\s+", "CV ")
    return text.str.replace(r"(?i:[,\s]+tbk)\.?$", " Tbk")


def name_key(name: str) -> str | None:
    """Return the name key of one company name (see the module docstring for the rules).

    Examples
    --------
    >>> name_key("PT. Jasa Tambang Nusantara (Persero) Tbk")
    'jasa-tambang-nusantara'
    >>> name_key("Jasa Tambang Nusantara, P.T.") == name_key("pt jasa  tambang nusantara")
    True
    """
    value: str | None = pl.select(name_key_expr(pl.lit(name, pl.String()))).item()
    return value


def slug_expr(slug: pl.Expr) -> pl.Expr:
    """Polars expression: a slug trimmed and lower-cased, null when empty."""
    clean = slug.str.strip_chars().str.to_lowercase()
    return pl.when(clean.str.len_chars() > 0).then(clean)


def company_keys(slug: pl.Series, name_key: pl.Series) -> pl.Series:
    """Return the unified company key of each record, from its slug and its name key.

    The record's own slug; else the one slug its name key was seen with
    anywhere in the data; else the name key. The mapping is learned from the
    few records with a slug, then looked up for all.

    Examples
    --------
    >>> keys = company_keys(pl.Series(["jtn-tbk", None, None]), pl.Series(["jtn", "jtn", "abc"]))
    >>> keys.to_list()
    ['jtn-tbk', 'jtn-tbk', 'abc']
    """
    names = name_key.cast(pl.String)
    clean = slug.cast(pl.String).to_frame(_SLUG).select(slug_expr(pl.col(_SLUG))).to_series()
    learned = (
        pl.DataFrame([clean, names.alias(_NAME_KEY)])
        .drop_nulls()
        .group_by(_NAME_KEY)
        .agg(pl.col(_SLUG).min().alias("first"), pl.col(_SLUG).max().alias("last"))
        .filter(pl.col("first") == pl.col("last"))  # one slug only: two are never merged
    )
    mapped = names.replace_strict(
        learned[_NAME_KEY], learned["first"], default=None, return_dtype=pl.String()
    )
    return clean.fill_null(mapped).fill_null(names).alias(s.COMPANY_KEY)


def name_keys(names: pl.Series) -> pl.Series:
    """Return the name key of every value of ``names``, each distinct name folded once."""
    distinct = names.unique().drop_nulls()
    done = distinct.to_frame().select(name_key_expr(pl.col(names.name))).to_series()
    return names.replace_strict(distinct, done, default=None, return_dtype=pl.String())


def with_company_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """Return ``frame`` with ``company_key`` rebuilt from ``company_name`` and ``company_slug``.

    For frames written by an older version (whose keys followed an older
    rule) and for frames put together from several sources.

    Examples
    --------
    >>> frame = pl.DataFrame({"company_name": ["PT Multi Bintang", "Multi Bintang Tbk"],
    ...                       "company_slug": [None, "multi-bintang-tbk"]})
    >>> with_company_keys(frame)["company_key"].to_list()
    ['multi-bintang-tbk', 'multi-bintang-tbk']
    """
    keys = company_keys(frame[s.COMPANY_SLUG], name_keys(frame[s.COMPANY_NAME]))
    return frame.with_columns(keys)


def _keyed(frame: pl.DataFrame) -> pl.DataFrame:
    """Return the name key and clean slug of every record (this module's working columns)."""
    return frame.select(
        s.COMPANY_NAME,
        s.COMPANY_KEY,
        name_keys(frame[s.COMPANY_NAME]).alias(_NAME_KEY),
        slug_expr(pl.col(s.COMPANY_SLUG)).alias(_SLUG),
    )


def company_conflicts(frame: pl.DataFrame) -> pl.DataFrame:
    """List the names seen with several slugs and the slugs seen with several names.

    Parameters
    ----------
    frame
        A canonical frame (needs ``company_name``, ``company_slug`` and ``company_key``).

    Returns
    -------
    polars.DataFrame
        ``conflict`` (``name_several_slugs`` or ``slug_several_names``),
        ``value`` (the name key or the slug), ``seen_with`` (List(String): the
        slugs, or the name keys, it appeared with), ``spellings`` (List(String):
        the names as written) and ``licenses`` (Int64: the records with that
        name key, or slug). Largest first. A name with several slugs is never
        merged: its records without a slug keep the name key.

    Examples
    --------
    >>> frame = pl.DataFrame({
    ...     "company_name": ["PT ABC", "ABC Tbk", "PT ABC"],
    ...     "company_slug": ["abc-1", "abc-2", None], "company_key": ["abc-1", "abc-2", "abc"]})
    >>> company_conflicts(frame).select("conflict", "value", "seen_with").rows()
    [('name_several_slugs', 'abc', ['abc-1', 'abc-2'])]
    """
    # the pairs come from the few records with a slug: the whole frame is folded only
    # when there is a conflict to count
    slugged = frame.filter(slug_expr(pl.col(s.COMPANY_SLUG)).is_not_null())
    pairs = _keyed(slugged).drop_nulls([_NAME_KEY, _SLUG])
    found = {
        (kind, value): pairs.group_by(value)
        .agg(pl.col(other).unique().sort().alias(SEEN_WITH))
        .filter(pl.col(SEEN_WITH).list.len() > 1)
        for kind, value, other in (
            (NAME_SEVERAL_SLUGS, _NAME_KEY, _SLUG),
            (SLUG_SEVERAL_NAMES, _SLUG, _NAME_KEY),
        )
    }
    if not any(several.height for several in found.values()):
        return pl.DataFrame(schema=CONFLICT_COLUMNS)
    keyed = _keyed(frame)
    parts = []
    for (kind, value), several in found.items():
        spelled = keyed.join(several, on=value, how="semi").group_by(value)
        counted = spelled.agg(
            pl.col(s.COMPANY_NAME).drop_nulls().unique().sort().alias(SPELLINGS),
            pl.len().cast(pl.Int64).alias(LICENSES),
        )
        parts.append(
            several.join(counted, on=value).select(
                pl.lit(kind).alias(CONFLICT),
                pl.col(value).alias(VALUE),
                SEEN_WITH,
                SPELLINGS,
                LICENSES,
            )
        )
    out = pl.concat(parts).sort([LICENSES, CONFLICT, VALUE], descending=[True, False, False])
    return out.cast(CONFLICT_COLUMNS)  # type: ignore[arg-type]


def company_table(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per ``company_key``: its most frequent spelling, all spellings, slugs, licenses.

    Examples
    --------
    >>> frame = pl.DataFrame({"company_name": ["PT A", "PT. A", "PT A"],
    ...                       "company_slug": [None, "a", None], "company_key": ["a"] * 3})
    >>> company_table(frame).row(0)
    ('a', 'PT A', ['PT A', 'PT. A'], ['a'], 3)
    """
    name = pl.col(s.COMPANY_NAME).drop_nulls()
    return (
        frame.drop_nulls(s.COMPANY_KEY)
        .group_by(s.COMPANY_KEY)
        .agg(
            name.mode().sort().first().alias(s.COMPANY_NAME),
            name.unique().sort().alias(SPELLINGS),
            pl.col(s.COMPANY_SLUG).drop_nulls().unique().sort().alias(s.COMPANY_SLUG),
            pl.len().cast(pl.Int64).alias(LICENSES),
        )
        .sort([LICENSES, s.COMPANY_KEY], descending=[True, False])
    )


def resolve_company(frame: pl.DataFrame, value: str) -> list[str]:
    """Return the company keys ``value`` names in ``frame``: a slug, a key or a name.

    A name matches in any spelling the name key folds (``PT Multi Bintang``,
    ``multi bintang``, ``Multi Bintang Tbk``); the keys of every record that
    matches are returned, so all spellings of the company follow.

    Examples
    --------
    >>> frame = pl.DataFrame({"company_name": ["PT Multi Bintang", "Multi Bintang Tbk"],
    ...                       "company_slug": [None, "mlbi"], "company_key": ["mlbi", "mlbi"]})
    >>> resolve_company(frame, "P.T. MULTI BINTANG"), resolve_company(frame, "MLBI")
    (['mlbi'], ['mlbi'])
    """
    text = value.strip().lower()
    key = name_key(value)
    keyed = _keyed(frame)
    match = (pl.col(_SLUG) == text) | (pl.col(s.COMPANY_KEY) == text)
    if key is not None:
        match |= (pl.col(_NAME_KEY) == key) | (pl.col(s.COMPANY_KEY) == key)
    keys = keyed.filter(match)[s.COMPANY_KEY].drop_nulls().unique().sort()
    return keys.to_list()


def known_slugs(frame: pl.DataFrame, value: str) -> list[str] | None:
    """Return the slugs of the company ``value`` names in ``frame``; None if it names none.

    An empty list means the company is known but none of its records carries
    a slug (the API cannot filter it); several mean ``value`` is ambiguous.

    Examples
    --------
    >>> frame = pl.DataFrame({"company_name": ["PT Multi Bintang", "Multi Bintang Tbk"],
    ...                       "company_slug": [None, "mlbi"], "company_key": ["mlbi", "mlbi"]})
    >>> known_slugs(frame, "Multi Bintang"), known_slugs(frame, "Bara Jaya")
    (['mlbi'], None)
    """
    keys = resolve_company(frame, value)
    if not keys:
        return None
    rows = frame.filter(pl.col(s.COMPANY_KEY).is_in(keys))
    slugs = rows[s.COMPANY_SLUG].str.strip_chars()  # as the API spells it: it matches exactly
    return slugs.filter(slugs.str.len_chars() > 0).unique().sort().to_list()


def looks_like_slug(value: str) -> bool:
    """Say whether ``value`` is shaped like an API slug (lower-case words joined by ``-``).

    Examples
    --------
    >>> looks_like_slug("jasa-tambang-nusantara"), looks_like_slug("PT Jasa Tambang")
    (True, False)
    """
    return bool(_SLUG_SHAPE.match(value))


def suggest_companies(frame: pl.DataFrame, value: str, *, limit: int = 5) -> list[str]:
    """Return up to ``limit`` companies of ``frame`` spelled close to ``value``, closest first.

    Each is shown as ``'<most frequent spelling>' (<company_key>)``.

    Examples
    --------
    >>> frame = pl.DataFrame({"company_name": ["PT Multi Bintang", "PT Bara Jaya"],
    ...                       "company_slug": [None, None],
    ...                       "company_key": ["multi-bintang", "bara-jaya"]})
    >>> suggest_companies(frame, "Multi Bintan")
    ["'PT Multi Bintang' (multi-bintang)"]
    """
    wanted = name_key(value) or value.strip().lower()
    table = company_table(frame)
    table = table.with_columns(name_keys(table[s.COMPANY_NAME]).alias(_NAME_KEY))
    scored: list[tuple[float, str]] = []
    # a few thousand companies at most, and only on the way to an error or a warning
    for key, name, folded in table.select(s.COMPANY_KEY, s.COMPANY_NAME, _NAME_KEY).iter_rows():
        contained = len(wanted) > 2 and (wanted in key or wanted in (folded or ""))
        ratios = [difflib.SequenceMatcher(None, wanted, c).ratio() for c in (key, folded or key)]
        score = max([*ratios, 0.8 if contained else 0.0])
        if score >= 0.6:  # difflib's own default cutoff
            scored.append((score, f"{name!r} ({key})"))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [shown for _, shown in scored[:limit]]


#: Columns :func:`for_api` needs from each snapshot.
COMPANY_COLUMNS: Final = (s.COMPANY_NAME, s.COMPANY_SLUG, s.COMPANY_KEY)


def for_api(
    filters: dict[str, Any], snapshots: Iterable[tuple[str, pl.DataFrame]], *, where: str
) -> dict[str, Any]:
    """Return validated ``filters`` as the API needs them: ``company`` as its slug.

    The API matches ``company`` against the slug only, which few records carry.
    A name (any spelling), a company key or a slug is looked up in
    ``snapshots`` (name and frame with :data:`COMPANY_COLUMNS`, newest first,
    read lazily) and replaced by the slug the first one that knows the
    company gives. A value none knows is sent as it is when it is shaped like
    a slug. ``where`` names the store in messages.

    Raises
    ------
    ConfigurationError
        When the company is known but carries no slug (or several), or when a
        name is known nowhere: the message says that the API filters by slug
        and names the closest known companies.

    Examples
    --------
    >>> known = pl.DataFrame({"company_name": ["PT Multi Bintang", "Multi Bintang Tbk"],
    ...                       "company_slug": [None, "mlbi"], "company_key": ["mlbi", "mlbi"]})
    >>> for_api({"company": "P.T. Multi Bintang"}, [("s.parquet", known)], where="the store")
    {'company': 'mlbi'}
    """
    company = filters.get("company")
    if not isinstance(company, str):
        return filters
    seen: list[pl.DataFrame] = []
    for name, snapshot in snapshots:
        known = with_company_keys(snapshot)
        seen.append(known)
        slugs = known_slugs(known, company)
        if slugs is None:
            continue
        if len(slugs) == 1:
            logger.info("company=%r is sent to the API as its slug %r", company, slugs[0])
            return {**filters, "company": slugs[0]}
        why = (
            f"has several slugs ({', '.join(slugs)}); pass one of them"
            if slugs
            else "carries no slug on any record, so the API cannot filter it"
        )
        msg = (
            f"{_terms.option('company', company)} is known in {name} but {why}. The API "
            "filters company by slug only; for a name, filter a snapshot locally: "
            + _terms.pick("load_licenses(source='snapshot', company=...).", "--source snapshot.")
        )
        raise ConfigurationError(msg)
    if looks_like_slug(company):
        return filters
    close = next((c for frame in seen if (c := suggest_companies(frame, company))), [])
    hint = (
        f"Closest known companies: {', '.join(close)}."
        if close
        else f"No snapshot in {where} knows it or anything close."
    )
    msg = (
        f"{_terms.option('company', company)} is not a slug, and the API filters company by "
        f"slug only (e.g. 'jasa-tambang-nusantara'). {hint} Pass the slug, or pull without "
        f"{_terms.pick('company=', '--company')} and filter locally, where names in any "
        "spelling match."
    )
    raise ConfigurationError(msg)
