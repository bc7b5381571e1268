"""How the report writes numbers, shares, dates and metadata values as text.

Plain text only: escaping is the template's job (jinja2 escapes every value
it is handed), so nothing here produces markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from mining_licenses import _config

#: What a missing value looks like on the page.
NA: Final = "—"


def count(value: Any) -> str:
    """Write a whole number with thousands separators: ``12,345``."""
    return f"{value:,}"


def ha(value: Any) -> str:
    """Write an area (or any amount) rounded to a whole number: ``14,985,422``."""
    return f"{value:,.0f}"


def ha1(value: Any) -> str:
    """Write an area to one decimal: ``1,234.5``."""
    return f"{value:,.1f}"


def share(value: Any) -> str:
    """Write a fraction as a percentage to one decimal; a tiny non-zero share is ``<0.1%``."""
    if 0 < value < 0.0005:  # one record in thousands is not "0.0%"
        return "<0.1%"
    return f"{value:.1%}"


def years(value: Any) -> str:
    """Write a duration in years to one decimal."""
    return f"{value:.1f}"


def plain(value: Any) -> str:
    """Write any cell value as text: lists joined, aware datetimes in UTC, dates in ISO form."""
    if isinstance(value, list):
        return "; ".join(map(str, value))
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def span(first: object, last: object) -> str:
    """Write ``first to last``, or one value when both are the same."""
    return plain(first) if first == last else f"{plain(first)} to {plain(last)}"


def meta_value(value: Any) -> str:
    """Write a metadata value as text, leaving out nested keys that look like credentials."""
    if value is None:
        return NA
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,}"
    if isinstance(value, dt.date):
        return plain(value)
    if isinstance(value, Mapping):
        shown = {k: v for k, v in value.items() if not _config.is_secret_name(k)}
        return ", ".join(f"{k}={v}" for k, v in shown.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "none"
    return str(value)
