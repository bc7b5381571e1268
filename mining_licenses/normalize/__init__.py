"""API records or page bytes -> the canonical polars frame.

Every record becomes exactly one row, in input order, whatever it contains:
a value that cannot be typed is kept where the frame has room for it and the
row gets an issue code (see :data:`mining_licenses.schema.ISSUE_CODES`).
Typing, spelling and checks are polars expressions over whole columns; the
only per-record Python is pulling values out of the dicts (and reading the
already parsed ``location`` objects). Values are read with parsers, never
with patterns over JSON text: a GeoJSON point is a dict with exactly a
``type``, its ``coordinates`` (and perhaps a ``bbox``); a date is an ISO date
or date-time, parsed once per distinct text. Text that is not valid Unicode
(a lone surrogate escaped in the JSON) is kept with U+FFFD in its place and
flagged, so nothing the API sends stops a frame from being built.

Two ways in, one way through: :func:`normalize_records` takes records
(parsed JSON, ``_records``), :func:`normalize_pages` the pages' bytes (read by
polars' JSON reader, ``_pages``); both build the same raw frame (``_columns``),
which ``_canonical`` types, places and checks. ``_parsers`` reads raw values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from mining_licenses import _validate as v
from mining_licenses.normalize import _columns as c
from mining_licenses.normalize._canonical import ADVISORY_ISSUES, canonical
from mining_licenses.normalize._records import records_frame

__all__ = ["ADVISORY_ISSUES", "normalize_pages", "normalize_records"]


def normalize_records(
    records: Iterable[Mapping[str, Any]],
    *,
    strict: bool = False,
    fetched_at: dt.datetime | None = None,
) -> pl.DataFrame:
    """Turn API records (dicts, as the API sent them) into the canonical frame.

    Parameters
    ----------
    records
        The ``results`` of one or more API pages. Unknown extra fields are
        ignored; anything else odd is kept and flagged in ``issues``.
    strict
        Raise one :class:`SchemaError` listing every bad record (position,
        ``wiup_code``, field, value, reason) instead of flagging them.
        Advisory codes (an unresolved location, a repeated ``wiup_code``) never raise.
    fetched_at
        When the records were fetched (timezone-aware; naive is read as UTC).
        Defaults to now.

    Returns
    -------
    polars.DataFrame
        One row per record, in input order, with :data:`schema.COLUMNS`.

    Examples
    --------
    >>> frame = normalize_records([{
    ...     "wiup_code": "3411003442014022", "license_number": "503/1573/IUP-OP/2015",
    ...     "license_type": "IUP", "province": "Kalimantan Timur", "city": "Paser",
    ...     "license_effective_date": "2015-10-02", "license_expiry_date": "2025-10-02",
    ...     "activity": "Operasi Produksi", "licensed_area_ha": 1500.5,
    ...     "location": {"type": "Point", "coordinates": [116.123, -1.456]},
    ...     "commodity_type": "Coal", "company_name": "PT Jasa Tambang Nusantara",
    ...     "cnc": "CnC", "generation": None, "company_slug": None}])
    >>> frame.select("cnc", "company_key", "geometry_source", "issues").row(0)
    ('CNC', 'jasa-tambang-nusantara', 'api_point', [])
    """
    function = "normalize_records"
    given = v.iterable(records, name="records", function=function, wanted="a list of API records")
    rows: list[Any] = given if isinstance(given, list) else list(given)
    return canonical(records_frame(rows), **_options(function, strict, fetched_at))


def _options(function: str, strict: object, fetched_at: object) -> dict[str, Any]:
    """Check the arguments both normalisers share; return them as keywords of ``canonical``."""
    return {
        "strict": v.flag(strict, name="strict", function=function),
        "fetched_at": v.moment(fetched_at, name="fetched_at", function=function, dates=False),
    }


def normalize_pages(
    bodies: Iterable[bytes],
    *,
    select: Sequence[tuple[int, int]] | None = None,
    strict: bool = False,
    fetched_at: dt.datetime | None = None,
) -> pl.DataFrame:
    """Turn the API's page bodies (raw JSON bytes) into the canonical frame.

    The same frame as ``normalize_records`` of the pages' ``results`` (read
    with ``json.loads``), built by polars' JSON reader straight into columns,
    without a Python dict per record. A page the reader cannot take exactly
    (values it would write differently, a line break, a string location that
    looks like JSON) is read by ``json.loads`` instead, alone.

    Parameters
    ----------
    bodies
        Response bodies of the license endpoint, in order:
        ``{"results": [...], "pagination": {...}}``.
    select
        The records to keep, in the order to keep them, as ``(body index,
        record index)`` pairs (the client's de-duplication decides them).
        Default: every record of every page, in order.
    strict, fetched_at
        As for :func:`normalize_records`.

    Returns
    -------
    polars.DataFrame
        One row per selected record, with :data:`schema.COLUMNS`.

    Raises
    ------
    SchemaError
        If a body is not JSON or has no ``results`` list; with ``strict=True``,
        as :func:`normalize_records`.
    ConfigurationError
        If ``select`` names a page or record that does not exist.

    Notes
    -----
    One difference remains: a record that repeats a key keeps the first
    value here and the last with ``json.loads``.

    Examples
    --------
    >>> page = (b'{"results": [{"wiup_code": "3411003442014022", "cnc": "CnC", '
    ...         b'"location": {"type": "Point", "coordinates": [116.123, -1.456]}}], '
    ...         b'"pagination": {"total_count": 1}}')
    >>> frame = normalize_pages([page, page], select=[(1, 0)])
    >>> frame.select("wiup_code", "cnc", "longitude", "geometry_source").row(0)
    ('3411003442014022', 'CNC', 116.123, 'api_point')
    """
    from mining_licenses.normalize._pages import pages_frame, positions  # numpy: only here

    function = "normalize_pages"
    options = _options(function, strict, fetched_at)
    wanted = "response bodies (an iterable of bytes)"
    pages = []
    for body in v.iterable(bodies, name="bodies", function=function, wanted=wanted):
        if not isinstance(body, bytes | bytearray | memoryview):
            raise v.wrong_type(body, name="bodies", function=function, wanted=wanted)
        pages.append(bytes(body))
    frame = pages_frame(pages)
    if select is not None:
        frame = frame[positions(_pairs(select, function), frame[c.PAGE], len(pages))]
    return canonical(frame.drop(c.PAGE), **options)


def _pairs(select: object, function: str) -> list[tuple[int, int]]:
    """Return ``select`` if it is a sequence of (body index, record index) pairs of ints."""
    wanted = "a list of (body index, record index) pairs"
    pairs = v.iterable(select, name="select", function=function, wanted=wanted)
    checked = []
    for pair in pairs:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise v.wrong_type(pair, name="select", function=function, wanted=wanted)
        checked.append(
            (
                v.whole(pair[0], name="select", function=function),
                v.whole(pair[1], name="select", function=function),
            )
        )
    return checked
