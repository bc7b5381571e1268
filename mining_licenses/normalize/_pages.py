"""The bytes path: the API's page bodies -> the raw frame, with polars' JSON reader.

Each page's records are cut into one line per record and read by polars'
JSON reader straight into columns, without a Python dict per record. A page
the reader might read differently from ``json.loads`` (a value it would write
otherwise, a line break, a string location that looks like JSON, an escaped
key, a lone surrogate, bytes that are not UTF-8) goes through the dict path
(``_records``) alone, so both paths give the same frame.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from mining_licenses import _wire
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SchemaError
from mining_licenses._redact import get_logger
from mining_licenses.normalize import _columns as c
from mining_licenses.normalize._parsers import parse_point
from mining_licenses.normalize._records import records_frame

logger = get_logger(__name__)

#: Pages per call of the JSON reader (about 56 MB of this API's pages: big enough for
#: polars to read in parallel).
_PAGES_PER_READ: Final = 4096
_RECORD_SCHEMA: Final = {f: pl.String() for f in s.API_FIELDS}
_PAGE_SCHEMA: Final = {_wire.RESULTS: pl.List(pl.Struct(_RECORD_SCHEMA))}
_HEAD: Final = re.compile(rb'\s*\{\s*"results"\s*:\s*\[')
#: the end of a page after its records: only a flat pagination object may follow
_TAIL: Final = re.compile(rb'\]\s*,\s*"pagination"\s*:\s*\{[^{}\[\]]*\}\s*\}\s*')
# polars' JSON reader writes a value read as text as the dict path does:
# numbers and booleans alike, a nested value as json.dumps does (", ", ": ", keys
# in order) but for some numbers and escapes. It cannot say whether a text
# location was a string or an object. A page goes to the dict path (json.loads)
# where the two could differ:
#: in the raw page, a string ``location`` that starts like JSON ({, [, a number,
#: true, false); an escaped key (it could be ``location``); a lone-surrogate
#: escape; a line break (pages are read as NDJSON);
_DOUBTFUL: Final = (
    r'"location"\s*:\s*"(?:[\[{0-9-]|true"|false")',
    r'\\[^"]*"\s*:',
    r"\\u[dD][89abAB]",
)
_DOUBTFUL_PAGE: Final = "|".join((*_DOUBTFUL, r"[\n\r]"))
_STRING_LOCATION, _ESCAPED_KEY, _SURROGATE = (re.compile(p.encode()) for p in _DOUBTFUL)
#: in a value read as text from an object or list, numbers json.dumps may write
#: otherwise (integers: an integral float reads ``1`` for ``1.0``; floats below
#: 1e-4 or from 1e16, which polars writes without an exponent) once the floats
#: both write alike are removed; escapes and control characters (and, in a
#: location, which json.dumps writes in ASCII, any other character).
_SAME_FLOAT: Final = r"-?(?:[1-9][0-9]{0,15}\.[0-9]+|0\.0{0,3}[1-9][0-9]*)"
_LOOKS_JSON: Final = r"^(?:[\[{0-9-]|true$|false$)"


def _unsafe_numbers(text: pl.Expr) -> pl.Expr:
    return text.str.replace_all(_SAME_FLOAT, "").str.contains("[0-9]")


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body)  # finds the encoding (and a BOM) as the client does
    except UnicodeDecodeError:  # not UTF-8: those bytes become lone surrogates, repaired later
        return json.loads(body.decode("utf-8", "surrogateescape"))


def _page_records(body: bytes, index: int) -> list[Any]:
    """Return the ``results`` of one page, read with json.loads (the dict path)."""
    try:
        page = _loads(body)
    except ValueError as err:
        msg = f"Page {index} is not JSON ({err}); pass the response bodies as the API sent them."
        raise SchemaError(msg) from err
    results = page.get(_wire.RESULTS) if isinstance(page, dict) else None
    if not isinstance(results, list):
        msg = (
            f"Page {index} has no '{_wire.RESULTS}' list; pass the bodies of the API's "
            "answers to the license endpoint."
        )
        raise SchemaError(msg)
    return results


def _dict_page(body: bytes, index: int) -> pl.DataFrame:
    frame = records_frame(_page_records(body, index))
    return frame.select(pl.lit(index, pl.Int64()).alias(c.PAGE), pl.all())


def _fast_pages(
    bodies: list[bytes], first: int, cut: _Cut
) -> tuple[pl.DataFrame | None, list[int]]:
    """Read pages with polars' JSON reader; return their raw rows and the pages it refused."""
    flat = _read_flat(cut)
    refused, braces = set(cut.refused), cut.braces
    nested = cut.nested if flat is not None else sorted([*cut.nested, *cut.pages])
    parts = [] if flat is None else [flat]
    if nested:
        text = _page_text([bodies[i - first] for i in nested])
        doubtful = (text.is_null() | text.str.contains(_DOUBTFUL_PAGE)).to_list()
        refused |= {i for i, bad in zip(nested, doubtful, strict=True) if bad}
        rows, unread = _read_nested(bodies, [i for i in nested if i not in refused], first)
        refused |= unread
        parts += [] if rows is None else [rows]
    if not parts:
        return None, sorted(refused)
    rows = pl.concat(parts, how="vertical")
    if len(parts) > 1:
        rows = rows.sort(c.PAGE, maintain_order=True)
    refused |= _doubtful_rows(rows, None if nested else braces)
    if refused:
        rows = rows.filter(~pl.col(c.PAGE).is_in(sorted(refused)))
    frame = rows.select(
        c.PAGE,
        *(c.clean_text(f).alias(c.raw(f)) for f in c.TEXT_FIELDS),
        *_location_parts(rows[s.LOCATION]),
        *(pl.lit(value=False).alias(c.invalid(f)) for f in s.API_FIELDS),  # see _SURROGATE
        c.NOT_OBJECT,
    )
    return frame, sorted(refused)


def _location_parts(location: pl.Series) -> list[pl.Series]:
    """``location`` as read by polars -> its text, JSON and point columns (as ``_records``).

    A location polars read from an object or list is JSON text here: it is
    parsed once per distinct text, and kept as JSON only when it is not a point
    inside Indonesia, exactly as the dict path does with the parsed value.
    """
    cleaned = location.to_frame().select(c.clean_text(s.LOCATION)).to_series()
    looks_json = cleaned.str.contains(_LOOKS_JSON).fill_null(value=False)
    text = pl.select(pl.when(looks_json).then(None).otherwise(cleaned)).to_series()
    as_json = pl.select(pl.when(looks_json).then(cleaned)).to_series()
    distinct = as_json.unique().drop_nulls().to_list()
    points = [parse_point(json.loads(value)) for value in distinct]
    lookup = pl.DataFrame(
        {
            "json": distinct,
            c.X: [None if p is None else p[0] for p in points],
            c.Y: [None if p is None else p[1] for p in points],
            "kept": [p is None or not c.in_bounds(*p) for p in points],
        },
        schema={"json": pl.String(), c.X: pl.Float64(), c.Y: pl.Float64(), "kept": pl.Boolean()},
    )
    parts = (
        as_json.alias("json").to_frame().join(lookup, on="json", how="left", maintain_order="left")
    )
    return [
        text.alias(c.LOCATION_TEXT),
        pl.select(pl.when(parts["kept"]).then(as_json)).to_series().alias(c.LOCATION_JSON),
        parts[c.X],
        parts[c.Y],
    ]


def _doubtful_rows(rows: pl.DataFrame, braces: int | None) -> set[int]:
    """Return the pages with a value read from an object or list that json.dumps writes otherwise.

    ``braces`` counts the ``{`` and ``[`` of the raw records (None: unknown, or
    escapes present): when the records' own braces and those of the locations
    account for all of them, no other field holds an object or a list, and
    only the locations need a look.
    """
    location = pl.col(s.LOCATION)
    looks_json = location.str.contains(_LOOKS_JSON)
    if braces is not None:
        in_locations = rows.select(
            location.str.count_matches("{", literal=True).sum()
            + location.str.count_matches("[", literal=True).sum()
        ).item()
        if braces == rows.height + in_locations:
            return _doubtful_locations(rows.filter(looks_json))
    nested = [
        pl.col(f).str.starts_with("{") | pl.col(f).str.starts_with("[") for f in c.TEXT_FIELDS
    ]
    suspects = rows.filter(looks_json | pl.any_horizontal(nested))
    doubtful = suspects.filter(
        pl.any_horizontal(
            is_nested & (pl.col(f).str.contains(r"[\x00-\x1f\\]") | _unsafe_numbers(pl.col(f)))
            for f, is_nested in zip(c.TEXT_FIELDS, nested, strict=True)
        )
    )
    return set(doubtful[c.PAGE]) | _doubtful_locations(suspects.filter(looks_json))


def _doubtful_locations(rows: pl.DataFrame) -> set[int]:
    """Return the pages of ``rows`` (locations read from JSON) that json.dumps writes otherwise."""
    location = pl.col(s.LOCATION)
    doubtful = rows.filter(location.str.contains(r"[^\x20-\x7e]|\\") | _unsafe_numbers(location))
    return set(doubtful[c.PAGE])


@dataclasses.dataclass(frozen=True)
class _Cut:
    """A batch of pages cut into one NDJSON line per record (see :func:`_cut`)."""

    lines: bytes
    line_page: npt.NDArray[np.int64]  # the page of each line
    pages: list[int]  # the pages cut
    nested: list[int]  # pages for _read_nested: not shaped like the API's
    braces: int | None  # { and [ in the records; None if they hold escapes
    refused: set[int]  # pages for the dict path (see _DOUBTFUL_PAGE)


def _cut(bodies: list[bytes], first: int) -> _Cut:
    """Cut pages shaped ``{"results": [...], "pagination": {...}}`` into record lines.

    Each page's ``results`` array is cut at ``},{`` (``}, {``). A cut inside a
    string or a nested value leaves a line that is not one JSON object, which
    the reader refuses; so it does for records that are not objects. Pure byte
    work, done for the next batch while polars reads this one.
    """
    middles: list[memoryview] = []
    shaped: list[int] = []
    nested: list[int] = []
    for page, body in enumerate(bodies, start=first):
        head = _HEAD.match(body)
        end = body.rfind(b"]", 0, body.rfind(b'"pagination"'))
        if head is None or end < head.end() or not _TAIL.fullmatch(body, end):
            nested.append(page)
        elif end - head.end() < 8 and not body[head.end() : end].strip():
            continue  # no records
        elif body[head.end()] != ord("{") or body[end - 1] != ord("}"):
            nested.append(page)  # records that are not objects, or spaces around them
        else:
            shaped.append(page)
            middles.append(memoryview(body)[head.end() : end])
    if not middles:
        return _Cut(b"", np.zeros(0, dtype=np.int64), [], nested, None, set())
    joined = b"\n".join(middles)
    ends = np.cumsum([len(m) + 1 for m in middles])  # one past each page's newline
    escapes = b"\\" in joined
    patterns = (_STRING_LOCATION, *((_ESCAPED_KEY, _SURROGATE) if escapes else ()))
    at = [m.start() for pattern in patterns for m in pattern.finditer(joined)]
    refused = {shaped[i] for i in np.searchsorted(ends, at, side="right").tolist()}
    # without escapes, every { and [ of the text is one in the bytes (_doubtful_rows)
    braces = None if escapes else joined.count(b"{") + joined.count(b"[")
    # the cuts keep every byte in place, so each line's page is known by its position
    joined = joined.replace(b"},{", b"}\n{")
    if b"}, {" in middles[0].tobytes():  # the API's separator (a wrong cut: a read error)
        joined = joined.replace(b"}, {", b"}\n {")
    breaks = np.flatnonzero(np.frombuffer(joined, dtype=np.uint8) == ord("\n"))
    line_page = np.searchsorted(ends, np.concatenate(([0], breaks + 1)), side="right")
    pages = np.asarray(shaped, dtype=np.int64)[line_page]
    return _Cut(joined, pages, shaped, nested, braces, refused)


def _read_flat(cut: _Cut) -> pl.DataFrame | None:
    """Read the record lines of ``cut``; None if the reader refuses any."""
    if not cut.lines:
        return None
    try:
        rows = pl.read_ndjson(cut.lines, schema=_RECORD_SCHEMA)
    except (pl.exceptions.PolarsError, OSError, ValueError):
        return None
    if rows.height != cut.line_page.size:
        return None
    pages_of_lines = pl.Series(c.PAGE, cut.line_page)
    return rows.with_columns(pages_of_lines, pl.lit(value=False).alias(c.NOT_OBJECT))


def _read_nested(
    bodies: list[bytes], pages: list[int], first: int
) -> tuple[pl.DataFrame | None, set[int]]:
    """Read whole pages as NDJSON (any envelope); return the rows and the pages refused."""
    read = _read_pages([bodies[i - first] for i in pages])
    refused: set[int] = set()
    if read is None:  # one page spoils the batch: read them one by one
        singles = dict(zip(pages, (_read_pages([bodies[i - first]]) for i in pages), strict=True))
        refused = {i for i, one in singles.items() if one is None}
        pages = [i for i in pages if i not in refused]
        if not pages:
            return None, refused
        read = pl.concat([one for one in singles.values() if one is not None])
    results = pl.col(_wire.RESULTS)
    empty = read[_wire.RESULTS].is_null().to_list()
    refused |= {i for i, bad in zip(pages, empty, strict=True) if bad}
    rows = (
        read.with_columns(pl.Series(c.PAGE, pages, dtype=pl.Int64()))
        .filter(results.list.len() > 0)  # an empty page gives no row (nor does a null one)
        .explode(_wire.RESULTS)  # a null record gives a null row: not an object
        .with_columns(results.is_null().alias(c.NOT_OBJECT))
        .unnest(_wire.RESULTS)
    )
    return rows.select(*s.API_FIELDS, c.PAGE, c.NOT_OBJECT), refused


def _read_pages(bodies: list[bytes]) -> pl.DataFrame | None:
    """Pages as one frame of ``results`` lists, or None if the reader refuses one."""
    try:
        return pl.read_ndjson(b"\n".join(bodies), schema=_PAGE_SCHEMA)
    except (pl.exceptions.PolarsError, OSError, ValueError):
        return None


def _page_text(bodies: list[bytes]) -> pl.Series:
    """Return the pages as text, null where a page is not UTF-8."""
    try:
        return pl.Series(bodies, dtype=pl.Binary()).cast(pl.String())
    except pl.exceptions.PolarsError:  # invalid UTF-8 somewhere: find the page(s)
        return pl.Series([_utf8_or_none(b) for b in bodies], dtype=pl.String())


def _utf8_or_none(body: bytes) -> str | None:
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def pages_frame(bodies: list[bytes]) -> pl.DataFrame:
    """Return the raw text columns of every page's records, in order, with ``__page``."""
    parts: list[pl.DataFrame] = []
    starts = range(0, len(bodies), _PAGES_PER_READ)
    batches = [(bodies[first : first + _PAGES_PER_READ], first) for first in starts]
    done = []
    # cut the next batch (byte work, holding the GIL) while polars reads this one
    with ThreadPoolExecutor(1) as helper:
        upcoming = helper.submit(_cut, *batches[0]) if batches else None
        for i, batch in enumerate(batches):
            cut = upcoming.result() if upcoming is not None else _cut(*batch)
            upcoming = helper.submit(_cut, *batches[i + 1]) if i + 1 < len(batches) else None
            done.append(_fast_pages(*batch, cut))
    for frame, refused in done:
        if refused:
            logger.debug("pages %s take the dict path", refused)
        chunk = [] if frame is None else [frame]
        chunk += [_dict_page(bodies[i], i) for i in refused]
        if not chunk:
            continue
        merged = pl.concat(chunk, how="vertical")
        parts.append(merged.sort(c.PAGE, maintain_order=True) if refused else merged)
    if not parts:
        return records_frame([]).select(pl.lit(0, pl.Int64()).alias(c.PAGE), pl.all())
    return pl.concat(parts, how="vertical")


def positions(select: Sequence[tuple[int, int]], page: pl.Series, pages: int) -> np.ndarray:
    """Row numbers of the selected ``(page, record)`` pairs."""
    wanted = np.asarray(select, dtype=np.int64).reshape(-1, 2)
    counts = np.bincount(page.to_numpy(), minlength=pages)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    body, record = wanted[:, 0], wanted[:, 1]
    inside = (body >= 0) & (body < pages)
    inside[inside] &= (record[inside] >= 0) & (record[inside] < counts[body[inside]])
    if not inside.all():
        bad = int(np.flatnonzero(~inside)[0])
        msg = (
            f"select[{bad}] = {tuple(select[bad])} names no record: there are {pages} "
            "pages, and a page's records are counted from 0."
        )
        raise ConfigurationError(msg)
    return starts[body] + record
