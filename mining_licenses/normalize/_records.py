"""The dict path: API records (parsed JSON) -> the raw frame of text columns.

polars reads the dicts and writes numbers and booleans as text. A value it
cannot write (a nested object or list, an integer beyond 64 bits, text with a
lone surrogate) is written here and every other value still by polars, so a
value's text never depends on the other records of its batch: the bytes path
(``_pages``), which reads pages apart, gives the same text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl

from mining_licenses import schema as s
from mining_licenses._redact import get_logger
from mining_licenses.normalize import _columns as c
from mining_licenses.normalize._parsers import parse_point, valid_text

logger = get_logger(__name__)


def _as_text(value: Any) -> str | None:
    """Text of a value polars cannot write itself, the way JSON writes it."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, default=str, ensure_ascii=False)


def _is_plain(value: Any) -> bool:
    """Tell whether polars writes ``value`` as text itself (valid str, bool, 64-bit int, float)."""
    if value is None or isinstance(value, bool | float):
        return True
    if isinstance(value, str):
        return value.isascii() or not valid_text(value)[1]
    return type(value) is int and -(2**63) <= value < 2**63


def _text_frame(records: list[dict[str, Any]]) -> tuple[pl.DataFrame, dict[str, list[bool]]]:
    """Return the text fields as text columns, and per field where text had to be repaired."""
    schema = {f: pl.String() for f in c.TEXT_FIELDS}
    try:  # fast path: polars reads the dicts and writes numbers/booleans as text
        return pl.from_dicts(records, schema=schema, strict=False), {}
    except Exception:  # nested values, huge integers, or text polars cannot encode
        logger.debug("records hold nested values or invalid text; writing those values here")
    odd: dict[tuple[int, str], str | None] = {}
    repaired: dict[str, list[bool]] = {}
    for i, record in enumerate(records):
        for f in c.TEXT_FIELDS:
            value = record.get(f)
            if _is_plain(value):
                continue
            text = _as_text(value)
            if text is not None:
                text, bad = valid_text(text)
                if bad:
                    repaired.setdefault(f, [False] * len(records))[i] = True
            odd[i, f] = text
    rows = {i for i, _ in odd}
    plain = [
        {f: (None if (i, f) in odd else r.get(f)) for f in c.TEXT_FIELDS} if i in rows else r
        for i, r in enumerate(records)
    ]
    frame = pl.from_dicts(plain, schema=schema, strict=False)
    frame = frame.with_columns(
        frame[f].scatter(at, [odd[i, f] for i in at])
        for f in c.TEXT_FIELDS
        if (at := sorted(i for i, g in odd if g == f))
    )
    return frame, repaired


def _locations(records: list[dict[str, Any]]) -> tuple[list[pl.Series], list[bool] | None]:
    """Return ``location`` as text, JSON and point columns, and where its text was repaired.

    The JSON is kept only when the location is neither text nor a point in Indonesia.
    """
    n = len(records)
    text: list[str | None] = [None] * n
    other: list[str | None] = [None] * n
    xs: list[float | None] = [None] * n
    ys: list[float | None] = [None] * n
    repaired: list[bool] | None = None
    for i, record in enumerate(records):  # the records are parsed already: read, don't re-parse
        value = record.get(s.LOCATION)
        if value is None:
            continue
        if isinstance(value, str):
            text[i], bad = valid_text(value)
            if bad:
                repaired = repaired or [False] * n
                repaired[i] = True
            continue
        point = parse_point(value)
        if point is not None:
            xs[i], ys[i] = point
            if c.in_bounds(*point):
                continue  # placed from its point: no text needed
        other[i] = json.dumps(value, default=str)  # ASCII: escapes any lone surrogate
    series = [
        pl.Series(c.LOCATION_TEXT, text, dtype=pl.String()),
        pl.Series(c.LOCATION_JSON, other, dtype=pl.String()),
        pl.Series(c.X, xs, dtype=pl.Float64()),
        pl.Series(c.Y, ys, dtype=pl.Float64()),
    ]
    return series, repaired


def flags(rows: int, repaired: Mapping[str, list[bool]]) -> list[pl.Series]:
    """Return the ``invalid(field)`` flags: True where a field's text had to be repaired."""
    return [
        pl.Series(c.invalid(f), repaired[f], dtype=pl.Boolean())
        if f in repaired
        else pl.repeat(False, rows, dtype=pl.Boolean(), eager=True).alias(c.invalid(f))
        for f in s.API_FIELDS
    ]


def records_frame(rows: list[Any]) -> pl.DataFrame:
    """Return the raw frame of ``rows`` (any objects), flagging the rows that are not objects."""
    # plain dicts are used as they are (copying a million of them costs seconds)
    odd = [i for i, r in enumerate(rows) if type(r) is not dict]
    records: list[dict[str, Any]] = rows
    not_object = [False] * len(rows)
    if odd:
        records = rows.copy()
        for i in odd:
            is_mapping = isinstance(rows[i], Mapping)
            records[i] = dict(rows[i]) if is_mapping else {}
            not_object[i] = not is_mapping
    frame, repaired = _text_frame(records)
    locations, location_repaired = _locations(records)
    if location_repaired is not None:
        repaired[s.LOCATION] = location_repaired
    frame = frame.rename({f: c.raw(f) for f in c.TEXT_FIELDS}).with_columns(
        *locations,
        *flags(len(records), repaired),
        pl.Series(c.NOT_OBJECT, not_object, dtype=pl.Boolean()),
    )
    texts = (*(c.raw(f) for f in c.TEXT_FIELDS), c.LOCATION_TEXT, c.LOCATION_JSON)
    return frame.with_columns(c.clean_text(name) for name in texts)
