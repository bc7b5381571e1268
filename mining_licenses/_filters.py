"""The API's filters: validated once, applied locally with the API's semantics.

The same validation runs before a request is sent (client), before a snapshot
is filtered (loader) and in the replica, so a bad filter fails the same way
everywhere, before anything is spent.
"""

from __future__ import annotations

import datetime as dt
import difflib
import warnings
from collections.abc import Iterable, Mapping
from typing import Final

import polars as pl

from mining_licenses import _terms, companies
from mining_licenses import _validate as v
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, NoMatchWarning, caller_stacklevel

FilterValue = str | bool
#: The longest filter value taken (the longest company name in the registry is under 120).
MAX_FILTER_CHARS: Final = 200
_TRUE: Final = frozenset({"true", "1", "yes"})
_FALSE: Final = frozenset({"false", "0", "no"})

_KNOWN_SETS: Final = {
    s.PROVINCE: s.PROVINCES,
    s.COMMODITY: s.COMMODITIES,
    s.LICENSE_TYPE: s.LICENSE_TYPES,
    s.ACTIVITY: s.ACTIVITIES,
    s.CNC: s.CNC_STATES,
}


def quoted(values: Iterable[str]) -> str:
    """Return ``values`` quoted and comma-separated, so ``'Sand, Stone, Gravel'`` reads as one.

    Examples
    --------
    >>> quoted(["Sand", "Sand, Stone, Gravel"])
    "'Sand', 'Sand, Stone, Gravel'"
    """
    return ", ".join(repr(v) for v in values)


def close_values(value: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """Return up to ``limit`` of ``candidates`` spelled like ``value`` (case, dots, spacing folded).

    A candidate is close when :mod:`difflib` finds it similar, or when one
    contains the other.

    Examples
    --------
    >>> close_values("Kalimantan Timr", ["Kalimantan Timur", "Kalimantan Utara", "Riau"])
    ['Kalimantan Timur', 'Kalimantan Utara']
    >>> close_values("sand", ["Sand, Stone, Gravel", "Tin"])
    ['Sand, Stone, Gravel']
    """
    wanted = s.value_key(value)
    scored: dict[str, float] = {}
    for candidate in candidates:
        key = s.value_key(candidate)
        ratio = difflib.SequenceMatcher(None, wanted, key).ratio()
        contained = len(wanted) > 2 and (wanted in key or key in wanted)
        score = max(ratio, 0.7 if contained else 0.0)
        if score >= 0.6 and key != wanted:  # difflib's default cutoff
            scored[candidate] = max(score, scored.get(candidate, 0.0))
    return sorted(scored, key=lambda c: (-scored[c], c))[:limit]


def _did_you_mean(close: list[str]) -> str:
    return f" (did you mean {quoted(close)}?)" if close else ""


def _as_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    msg = f"Filter {_terms.option(name, value)} is not a boolean; pass True or False."
    raise ConfigurationError(msg)


def validate_filters(filters: Mapping[str, object]) -> dict[str, FilterValue]:
    """Check filter names and values; return them in canonical form.

    Unset filters (``None``) are dropped. Text values are mapped to their
    canonical spelling (``"coal"`` -> ``"Coal"``, ``"Jakarta"`` -> ``"DKI Jakarta"``),
    which the API accepts too since its text filters are case-insensitive.

    Raises
    ------
    ConfigurationError
        For an unknown filter name or a value outside the known set, naming
        what is allowed.

    Examples
    --------
    >>> validate_filters({"commodity_type": "coal", "expiring_soon": "true"})
    {'commodity_type': 'Coal', 'expiring_soon': True}
    """
    filters = v.mapping(filters, name="filters", function=None)
    unknown = sorted(set(filters) - set(s.FILTERS))
    if unknown:
        close = [c for name in unknown for c in close_values(name, s.FILTERS, limit=1)]
        msg = (
            f"Unknown filter(s) {', '.join(unknown)}{_did_you_mean(close)}; "
            f"the filters are: {', '.join(s.FILTERS)}."
        )
        raise ConfigurationError(msg)
    clean: dict[str, FilterValue] = {}
    for name in s.FILTERS:  # the documented order, so equal filter sets compare equal
        value = filters.get(name)
        if value is None:
            continue
        if name == "expiring_soon":
            clean[name] = _as_bool(name, value)
            continue
        value = v.text(value, name=name, function=None, max_chars=MAX_FILTER_CHARS)
        if name == "company":
            clean[name] = value.strip()
            continue
        canonical = s.canonical_value(name, value)
        if canonical is None:
            aliases = s.ALIASES[name]
            close = list(dict.fromkeys(aliases[k] for k in close_values(value, aliases)))
            msg = (
                f"Filter {_terms.option(name, value)} is not a known value{_did_you_mean(close)}; "
                f"allowed: {quoted(_KNOWN_SETS[name])}."
            )
            raise ConfigurationError(msg)
        clean[name] = canonical
    return clean


def filter_expression(filters: Mapping[str, FilterValue], *, as_of: dt.date) -> pl.Expr:
    """Return one polars predicate for validated ``filters`` over a canonical frame.

    ``company`` matches ``company_slug`` or ``company_key`` (the API matches the
    slug only, which most live records lack); ``province`` matches exactly; the
    other text filters ignore case; ``expiring_soon=True`` keeps
    ``as_of <= license_expiry_date <= as_of + 365 days``, both ends inclusive
    (``False`` keeps everything, as the API does).
    """
    predicate = pl.lit(value=True)
    for name, value in filters.items():
        if name == "company":
            predicate &= (pl.col(s.COMPANY_SLUG) == value) | (pl.col(s.COMPANY_KEY) == value)
        elif name == "expiring_soon":
            end = as_of + dt.timedelta(days=s.EXPIRING_SOON_DAYS)
            if value:  # like the API, ``expiring_soon=false`` filters nothing
                predicate &= pl.col(s.EXPIRY_DATE).is_between(as_of, end, closed="both")
        elif name == s.PROVINCE:
            predicate &= pl.col(name) == value
        else:
            predicate &= pl.col(name).str.to_lowercase() == str(value).lower()
    return predicate


def _company_predicate(frame: pl.DataFrame, value: str) -> pl.Expr:
    """Rows of the company ``value`` names: a slug, a company key or a name in any spelling."""
    keys = companies.resolve_company(frame, value)
    return pl.col(s.COMPANY_KEY).is_in(keys) | (pl.col(s.COMPANY_SLUG) == value)


def local_expression(
    frame: pl.DataFrame, filters: Mapping[str, FilterValue], *, as_of: dt.date
) -> pl.Expr:
    """Return the predicate of validated ``filters`` over ``frame``, ``company`` resolved in it.

    As :func:`filter_expression`, except that ``company`` also takes a name
    in any spelling :func:`~mining_licenses.companies.name_key` folds, and
    keeps every record of the company it names (all its spellings).
    """
    others = {k: v for k, v in filters.items() if k != "company"}
    predicate = filter_expression(others, as_of=as_of)
    company = filters.get("company")
    if isinstance(company, str):
        predicate &= _company_predicate(frame, company)
    return predicate


def _suggestions(frame: pl.DataFrame, name: str, value: FilterValue) -> list[str]:
    """Near spellings of a filter value that are in ``frame`` (empty when there are none)."""
    if not isinstance(value, str):
        return []
    if name == "company":
        return companies.suggest_companies(frame, value)
    present = frame[name].drop_nulls().unique().to_list()
    if name in _KNOWN_SETS:
        # ``value`` is a known value (validated): another one spelled alike is another
        # place or thing ('DKI Jakarta' is not 'DI Yogyakarta'); only a value that
        # contains it, or is contained in it, may be what was meant ('Sand' in
        # 'Sand, Stone, Gravel').
        wanted = s.value_key(value)
        present = [v for v in present if wanted in s.value_key(v) or s.value_key(v) in wanted]
    return [repr(v) for v in close_values(value, present)]


def no_match_message(
    frame: pl.DataFrame, filters: Mapping[str, FilterValue], *, as_of: dt.date
) -> str | None:
    """Say which filter matches nothing in ``frame`` and what it may have meant, or None.

    Only filters that match no row on their own and have a near spelling in
    the data are named (an empty result of a combination is not a typo).

    Examples
    --------
    >>> frame = pl.DataFrame({"province": ["Riau"], "commodity_type": ["Sand, Stone, Gravel"]})
    >>> no_match_message(frame, {"commodity_type": "Sand"}, as_of=dt.date(2026, 1, 1))
    "No license matches commodity_type='Sand'; did you mean 'Sand, Stone, Gravel'?"
    """
    parts = []
    for name, value in filters.items():
        if frame.filter(local_expression(frame, {name: value}, as_of=as_of)).height:
            continue
        close = _suggestions(frame, name, value)
        if close:
            parts.append(f"{_terms.option(name, value)}; did you mean {', '.join(close)}?")
    return "No license matches " + " ".join(parts) if parts else None


def apply_filters(
    frame: pl.DataFrame, filters: Mapping[str, object], *, as_of: dt.date
) -> pl.DataFrame:
    """Validate ``filters`` and return the rows of ``frame`` that match them.

    ``company`` takes a slug, a company key or a name in any spelling (see
    :func:`local_expression`). When nothing matches and a filter's value has
    a near spelling in the data, a :class:`NoMatchWarning` names it.

    Examples
    --------
    >>> frame = pl.DataFrame({"commodity_type": ["Coal", "Tin"]})
    >>> apply_filters(frame, {"commodity_type": "coal"}, as_of=dt.date(2026, 1, 1)).height
    1
    """
    clean = validate_filters(filters)
    if not clean:
        return frame
    out = frame.filter(local_expression(frame, clean, as_of=as_of))
    if out.height == 0 and frame.height:
        message = no_match_message(frame, clean, as_of=as_of)
        if message:
            warnings.warn(message, NoMatchWarning, stacklevel=caller_stacklevel())
    return out
