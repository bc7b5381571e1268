"""The working columns of the normaliser: raw text, flags, the location's parts.

Both ingest paths (dicts in ``_records``, page bytes in ``_pages``) build a
*raw frame* of these columns; ``_canonical`` types, places and checks it. The
leading underscores keep them clear of API fields; all are dropped at the end.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from mining_licenses import schema as s

TEXT_FIELDS: Final = tuple(f for f in s.API_FIELDS if f != s.LOCATION)
_RAW: Final = "__raw_"  # prefix of the raw (text) columns
_KNOWN: Final = "__known_"  # prefix of the canonical spelling of a categorical, null if unknown
_INVALID: Final = "__invalid_text_"  # prefix of a flag: the field's text had to be repaired
ROW: Final = "__row"
PAGE: Final = "__page"  # the page a record came from (the bytes path)
X: Final = "__x"  # the API point's coordinates, as given
Y: Final = "__y"
IN_BOUNDS: Final = "__in_bounds"  # the API point lies in Indonesia
SWAPPED: Final = "__swapped"  # the API point, read [lat, lon], would lie in Indonesia
NAME_KEY: Final = "__name_key"
NOT_OBJECT: Final = "__not_object"


def raw(field: str) -> str:
    """Name of the raw text column of an API field."""
    return f"{_RAW}{field}"


def known(field: str) -> str:
    """Name of the canonical-spelling column of a categorical field."""
    return f"{_KNOWN}{field}"


def invalid(field: str) -> str:
    """Name of the flag column: the field's text had to be repaired."""
    return f"{_INVALID}{field}"


#: the API's location when it was text
LOCATION_TEXT: Final = raw("location_text")
#: the API's location as JSON text when it was neither text nor a point inside Indonesia
LOCATION_JSON: Final = raw("location_json")


def clean_text(column: str) -> pl.Expr:
    """Trimmed text, with empty strings read as missing."""
    text = pl.col(column).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text).alias(column)


def in_bounds(x: float, y: float) -> bool:
    """Tell whether a point lies in Indonesia's extent (``schema.INDONESIA_BOUNDS``)."""
    lon_min, lat_min, lon_max, lat_max = s.INDONESIA_BOUNDS
    return lon_min <= x <= lon_max and lat_min <= y <= lat_max
