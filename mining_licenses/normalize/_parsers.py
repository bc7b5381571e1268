"""Parsers of the API's raw values: text, GeoJSON points, ISO dates.

The normaliser reads values with these, never with patterns over JSON text:
a point is a dict with exactly a ``type``, its ``coordinates`` (and perhaps a
``bbox``), so a Polygon with a nested Point member, or a ``crs`` member
anywhere, is not taken for one; a date is an ISO date or date-time and
nothing after it; text that cannot be encoded (a lone surrogate escaped in
the JSON, or a byte that was not UTF-8) is repaired and reported.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Final

#: The members a plain GeoJSON point may have: any other (``crs``, ``properties``,
#: nested geometries) means coordinates that cannot be taken as WGS84 lon/lat.
_POINT_MEMBERS: Final = frozenset({"type", "coordinates", "bbox"})
_SURROGATES: Final = re.compile("[\\ud800-\\udfff]")


def valid_text(text: str) -> tuple[str, bool]:
    r"""Return ``text`` with lone surrogates (unencodable) replaced by U+FFFD, and if any were.

    Examples
    --------
    >>> valid_text("\ud83d PT Maju") == ("\ufffd PT Maju", True)
    True
    """
    if text.isascii():
        return text, False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text), True
    return text, False


def parse_point(value: object) -> tuple[float, float] | None:
    """Return ``(x, y)`` of a plain GeoJSON point, else None (the location is malformed).

    Examples
    --------
    >>> parse_point({"type": "Point", "coordinates": [116.1, -1.4]})
    (116.1, -1.4)
    >>> parse_point({"type": "Point", "crs": {"type": "name"}, "coordinates": [116.1, -1.4]})
    """
    if not isinstance(value, dict) or not value.keys() <= _POINT_MEMBERS:
        return None
    kind, coordinates = value.get("type"), value.get("coordinates")
    if not isinstance(kind, str) or kind.lower() != "point":
        return None
    if not isinstance(coordinates, list) or len(coordinates) not in (2, 3):
        return None
    x, y = coordinates[0], coordinates[1]
    for number in (x, y):
        if isinstance(number, bool) or not isinstance(number, int | float):
            return None
        if not math.isfinite(number):
            return None
    return float(x), float(y)


def parse_date(text: str) -> dt.date | None:
    """Return the date of an ISO date or date-time text, else None.

    Examples
    --------
    >>> parse_date("2015-10-02T00:00:00Z"), parse_date("2025-01-05 garbage")
    (datetime.date(2015, 10, 2), None)
    """
    if len(text) < 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        if text[10] not in "T ":
            return None
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return None
