"""The API's filters: validated once, applied locally with the API's semantics.

The same validation runs before a request is sent (client), before a snapshot
is filtered (loader) and in the replica, so a bad filter fails the same way
everywhere, before anything is spent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final

import polars as pl

from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError

FilterValue = str | bool
_TRUE: Final = frozenset({"true", "1", "yes"})
_FALSE: Final = frozenset({"false", "0", "no"})

_KNOWN_SETS: Final = {
    s.PROVINCE: s.PROVINCES,
    s.COMMODITY: s.COMMODITIES,
    s.LICENSE_TYPE: s.LICENSE_TYPES,
    s.ACTIVITY: s.ACTIVITIES,
    s.CNC: s.CNC_STATES,
}


def _as_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    msg = f"Filter {name}={value!r} is not a boolean; pass True or False."
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
    unknown = sorted(set(filters) - set(s.FILTERS))
    if unknown:
        msg = f"Unknown filter(s) {', '.join(unknown)}; the filters are: {', '.join(s.FILTERS)}."
        raise ConfigurationError(msg)
    clean: dict[str, FilterValue] = {}
    for name in s.FILTERS:  # the documented order, so equal filter sets compare equal
        value = filters.get(name)
        if value is None:
            continue
        if name == "expiring_soon":
            clean[name] = _as_bool(name, value)
            continue
        if not isinstance(value, str) or not value.strip():
            msg = f"Filter {name}={value!r} must be a non-empty string."
            raise ConfigurationError(msg)
        if name == "company":
            clean[name] = value.strip()
            continue
        canonical = s.canonical_value(name, value)
        if canonical is None:
            allowed = ", ".join(_KNOWN_SETS[name])
            msg = f"Filter {name}={value!r} is not a known value; allowed: {allowed}."
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


def apply_filters(
    frame: pl.DataFrame, filters: Mapping[str, object], *, as_of: dt.date
) -> pl.DataFrame:
    """Validate ``filters`` and return the rows of ``frame`` that match them."""
    clean = validate_filters(filters)
    if not clean:
        return frame
    return frame.filter(filter_expression(clean, as_of=as_of))
