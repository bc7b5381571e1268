"""API records -> the canonical polars frame.

Every record becomes exactly one row, in input order, whatever it contains:
a value that cannot be typed is kept where the frame has room for it and the
row gets an issue code (see :data:`mining_licenses.schema.ISSUE_CODES`).
Typing, spelling and checks are polars expressions over whole columns; the
only per-record Python is pulling values out of the dicts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from mining_licenses import _wire, gazetteer
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SchemaError

logger = logging.getLogger(__name__)

_TEXT_FIELDS: Final = tuple(f for f in s.API_FIELDS if f != s.LOCATION)
# Working columns, dropped at the end; the leading underscores keep them clear of API fields.
_RAW: Final = "__raw_"  # prefix of the raw (text) columns kept until the end
_KNOWN: Final = "__known_"  # prefix of the canonical spelling of a categorical, null if unknown
_ROW: Final = "__row"
_X: Final = "__x"  # the API point's coordinates, as given
_Y: Final = "__y"
_IN_BOUNDS: Final = "__in_bounds"  # the API point lies in Indonesia
_SWAPPED: Final = "__swapped"  # the API point, read [lat, lon], would lie in Indonesia
_NAME_KEY: Final = "__name_key"
_NOT_OBJECT: Final = "__not_object"
_POINT_TYPE: Final = r'(?i)"type"\s*:\s*"point"'
_NUMBER: Final = r"(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"
_COORDINATES: Final = rf'"coordinates"\s*:\s*\[\s*{_NUMBER}\s*,\s*{_NUMBER}\s*[,\]]'
_ISO_DATE: Final = r"^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$"
_LEGAL_FORMS: Final = r"\b(?:pt|tbk|persero|perseroan terbatas)\b"
#: Issue codes that describe the data rather than break the schema:
#: ``strict=True`` reports them in the frame but does not raise for them.
ADVISORY_ISSUES: Final = (s.ISSUE_LOCATION_UNRESOLVED, s.ISSUE_DUPLICATE_RECORD)


def _raw(field: str) -> str:
    return f"{_RAW}{field}"


def _known(field: str) -> str:
    return f"{_KNOWN}{field}"


_LOCATION_TEXT: Final = _raw("location_text")  # the API's location when it was text
_LOCATION_JSON: Final = _raw("location_json")  # the API's location when it was not


def _as_text(value: Any) -> str | None:
    """Text of a scalar the way JSON writes it (the slow path only)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, default=str, ensure_ascii=False)


def _is_plain(value: Any) -> bool:
    """Tell whether polars writes ``value`` as text itself (str, bool, 64-bit int, float)."""
    if value is None or isinstance(value, str | bool | float):
        return True
    return type(value) is int and -(2**63) <= value < 2**64


def _text_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    """Return the text fields as text columns, the scalars written by polars (1.0 -> "1").

    A value polars cannot write (a nested object or list, an integer beyond
    64 bits) is written by :func:`_as_text` and every other value still by
    polars, so a value's text never depends on the other records in the batch
    (``normalize_pages`` reads pages apart and must match).
    """
    schema = {f: pl.String() for f in _TEXT_FIELDS}
    try:  # fast path: polars reads the dicts and writes numbers/booleans as text
        return pl.from_dicts(records, schema=schema, strict=False)
    except Exception:
        logger.debug("records hold nested values; extracting field by field")
    odd = {
        (i, f): _as_text(v)
        for i, r in enumerate(records)
        for f in _TEXT_FIELDS
        if not _is_plain(v := r.get(f))
    }
    rows = {i for i, _ in odd}
    plain = [
        {f: (None if (i, f) in odd else r.get(f)) for f in _TEXT_FIELDS} if i in rows else r
        for i, r in enumerate(records)
    ]
    frame = pl.from_dicts(plain, schema=schema, strict=False)
    return frame.with_columns(
        frame[f].scatter(at, [odd[i, f] for i in at])
        for f in _TEXT_FIELDS
        if (at := sorted(i for i, g in odd if g == f))
    )


def _raw_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    """All API fields as text columns, one row per record, in input order."""
    frame = _text_frame(records).rename({f: _raw(f) for f in _TEXT_FIELDS})
    locations = [r.get(s.LOCATION) for r in records]
    location_text = [v if isinstance(v, str) else None for v in locations]
    location_json = [
        None if v is None or isinstance(v, str) else json.dumps(v, default=str) for v in locations
    ]
    frame = frame.with_columns(
        pl.Series(_LOCATION_TEXT, location_text, dtype=pl.String()),
        pl.Series(_LOCATION_JSON, location_json, dtype=pl.String()),
    )
    return frame.with_columns(_clean_text(c) for c in frame.columns)


def _clean_text(column: str) -> pl.Expr:
    """Trimmed text, with empty strings read as missing."""
    return pl.col(column).str.strip_chars().replace("", None).alias(column)


def _per_value(
    frame: pl.DataFrame, column: str, transform: Callable[[pl.Expr], pl.Expr], dtype: pl.DataType
) -> pl.Series:
    """Apply ``transform`` once per distinct value of ``column`` and map it back.

    Registries repeat a few thousand spellings, dates and names over many rows:
    parsing each distinct value once and mapping with a hash lookup is several
    times faster than running regexes and parsers over every row.
    """
    raw = frame[column]
    distinct = raw.unique().drop_nulls()
    done = distinct.to_frame().select(transform(pl.col(column))).to_series()
    return raw.replace_strict(distinct, done, default=None, return_dtype=dtype)


def _canonical_key(field: str) -> Callable[[pl.Expr], pl.Expr]:
    keys, values = list(s.ALIASES[field]), list(s.ALIASES[field].values())
    return lambda raw: s.value_key_expr(raw).replace_strict(keys, values, default=None)


def _iso_date(raw: pl.Expr) -> pl.Expr:
    return raw.str.extract(_ISO_DATE, 1).str.to_date("%Y-%m-%d", strict=False)


def _name_key(name: pl.Expr) -> pl.Expr:
    """Return a slug of the company name: ``PT. ABC``, ``Pt Abc``, ``PT ABC Tbk`` -> ``abc``.

    The name is lower-cased, punctuation and the legal forms ``PT``, ``Tbk`` and
    ``(Persero)`` are dropped and words are joined with ``-``: the shape of the
    API's slugs (``jasa-tambang-nusantara``).
    """
    words = (
        name.str.to_lowercase()
        .str.replace_all(r"&", " and ")
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.replace_all(_LEGAL_FORMS, " ")
        .str.strip_chars()
        .str.replace_all(r"\s+", "-")
    )
    return pl.when(words.str.len_chars() > 0).then(words)


def _slug_or(slug: pl.Expr, name_key: pl.Expr) -> pl.Expr:
    clean_slug = slug.str.strip_chars().str.to_lowercase()
    return pl.when(clean_slug.str.len_chars() > 0).then(clean_slug).otherwise(name_key)


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    """Typed columns, plus the checks each needs, as expressions over the raw text."""
    lon_min, lat_min, lon_max, lat_max = s.INDONESIA_BOUNDS
    area = pl.col(_raw(s.AREA_HA)).cast(pl.Float64, strict=False)
    point_json = pl.col(_LOCATION_JSON)
    is_point = point_json.str.contains(_POINT_TYPE)
    x = pl.when(is_point).then(point_json.str.extract(_COORDINATES, 1).cast(pl.Float64))
    y = pl.when(is_point).then(point_json.str.extract(_COORDINATES, 2).cast(pl.Float64))
    canonical: list[pl.Series] = []
    for f in s.CATEGORICAL_COLUMNS:
        known = _per_value(frame, _raw(f), _canonical_key(f), pl.String())
        canonical.append(known.alias(_known(f)))
    typed = frame.with_columns(
        *(
            pl.col(_raw(f)).alias(f)
            for f in (
                s.WIUP_CODE,
                s.LICENSE_NUMBER,
                s.COMPANY_NAME,
                s.COMPANY_SLUG,
                s.CITY,
                s.GENERATION,
            )
        ),
        *canonical,
        _per_value(frame, _raw(s.EFFECTIVE_DATE), _iso_date, pl.Date()).alias(s.EFFECTIVE_DATE),
        _per_value(frame, _raw(s.EXPIRY_DATE), _iso_date, pl.Date()).alias(s.EXPIRY_DATE),
        _per_value(frame, _raw(s.COMPANY_NAME), _name_key, pl.String()).alias(_NAME_KEY),
        area.alias(s.AREA_HA),
        x.alias(_X),
        y.alias(_Y),
    ).with_columns(
        (pl.col(_X).is_between(lon_min, lon_max) & pl.col(_Y).is_between(lat_min, lat_max)).alias(
            _IN_BOUNDS
        ),
        (pl.col(_Y).is_between(lon_min, lon_max) & pl.col(_X).is_between(lat_min, lat_max)).alias(
            _SWAPPED
        ),
    )
    return typed.with_columns(
        *(pl.coalesce(_known(f), _raw(f)).alias(f) for f in s.CATEGORICAL_COLUMNS),
        _slug_or(pl.col(s.COMPANY_SLUG), pl.col(_NAME_KEY)).alias(s.COMPANY_KEY),
        # a rejected point is kept as its GeoJSON text, so nothing the API sent is lost
        pl.coalesce(
            pl.col(_LOCATION_TEXT),
            pl.when(~pl.col(_IN_BOUNDS).fill_null(value=False)).then(point_json),
        ).alias(s.LOCATION_TEXT),
    )


def _placed(frame: pl.DataFrame) -> pl.DataFrame:
    """Longitude/latitude from the API's point, else from the gazetteer."""
    api_point = pl.col(_IN_BOUNDS).fill_null(value=False)
    # the names to try, in order: the location text (when it is a name), then the city
    names = pl.concat_str(
        [pl.col(_LOCATION_TEXT), pl.col(s.CITY)], separator=", ", ignore_nulls=True
    )
    found = gazetteer.locate(frame.select(names.alias("n")).to_series(), frame[s.PROVINCE])
    from_regency = found["longitude"].is_not_null()
    return frame.with_columns(
        pl.when(api_point).then(pl.col(_X)).otherwise(found["longitude"]).alias(s.LONGITUDE),
        pl.when(api_point).then(pl.col(_Y)).otherwise(found["latitude"]).alias(s.LATITUDE),
        pl.when(api_point)
        .then(pl.lit(s.GEOMETRY_FROM_API))
        .when(pl.lit(from_regency))
        .then(pl.lit(s.GEOMETRY_FROM_REGENCY))
        .alias(s.GEOMETRY_SOURCE),
    )


def _issue_table() -> dict[str, pl.Expr]:
    """Return each issue code with the condition that flags it, in the order codes are listed.

    Adding a quality code is one entry here (and its meaning in ``schema.ISSUE_CODES``).
    """
    area, code = pl.col(s.AREA_HA), pl.col(s.WIUP_CODE)
    return {
        s.ISSUE_NOT_AN_OBJECT: pl.col(_NOT_OBJECT),
        **{s.field_issue(s.ISSUE_MISSING, f): pl.col(_raw(f)).is_null() for f in s.REQUIRED_FIELDS},
        s.ISSUE_WIUP_CODE_FORMAT: code.is_not_null() & ~code.str.contains(r"^\d{16}$"),
        **{
            s.field_issue(s.ISSUE_UNKNOWN_VALUE, f): pl.col(_raw(f)).is_not_null()
            & pl.col(_known(f)).is_null()
            for f in s.CATEGORICAL_COLUMNS
        },
        **{
            s.field_issue(s.ISSUE_INVALID_DATE, f): pl.col(_raw(f)).is_not_null()
            & pl.col(f).is_null()
            for f in (s.EFFECTIVE_DATE, s.EXPIRY_DATE)
        },
        s.ISSUE_EXPIRY_BEFORE_EFFECTIVE: pl.col(s.EXPIRY_DATE) < pl.col(s.EFFECTIVE_DATE),
        s.field_issue(s.ISSUE_NOT_A_NUMBER, s.AREA_HA): pl.col(_raw(s.AREA_HA)).is_not_null()
        & (area.is_null() | ~area.is_finite()),
        s.ISSUE_AREA_NOT_POSITIVE: area <= 0,
        s.ISSUE_LOCATION_MALFORMED: pl.col(_LOCATION_JSON).is_not_null() & pl.col(_X).is_null(),
        s.ISSUE_COORDS_SWAPPED: pl.col(_SWAPPED),
        s.ISSUE_COORDS_OUT_OF_BOUNDS: pl.col(_X).is_not_null()
        & ~pl.col(_IN_BOUNDS)
        & ~pl.col(_SWAPPED),
        s.ISSUE_LOCATION_UNRESOLVED: pl.col(s.GEOMETRY_SOURCE).is_null(),
        s.ISSUE_DUPLICATE_RECORD: code.is_not_null() & code.is_duplicated(),
    }


def _with_issues(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the ``issues`` list: the codes of the failed checks, in a fixed order.

    The checks are cheap booleans over every row; the lists are only built for
    the (usually few) rows that fail one, then joined back, which is several
    times faster than building a list for every row.
    """
    flags = frame.select(
        condition.fill_null(value=False).alias(code) for code, condition in _issue_table().items()
    )
    codes = flags.columns
    hit = flags.select(pl.any_horizontal(pl.all())).to_series()
    flagged = (
        flags.with_row_index(_ROW)
        .filter(hit)
        .select(
            _ROW,
            pl.concat_str(
                [pl.when(pl.col(c)).then(pl.lit(c)) for c in codes],
                separator=";",
                ignore_nulls=True,
            )
            .str.split(";")
            .alias(s.ISSUES),
        )
    )
    no_issues = pl.lit([], dtype=s.COLUMNS[s.ISSUES])
    return (
        frame.with_row_index(_ROW)
        .join(flagged, on=_ROW, how="left", maintain_order="left")
        .with_columns(pl.col(s.ISSUES).fill_null(no_issues))
        .drop(_ROW)
    )


def _problems(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """One dict per (record, non-advisory issue), for :class:`SchemaError`."""
    exploded = (
        frame.with_row_index("position")
        .select("position", s.WIUP_CODE, s.ISSUES, *(_raw(f) for f in _TEXT_FIELDS))
        .explode(s.ISSUES)
        .filter(pl.col(s.ISSUES).is_not_null() & ~pl.col(s.ISSUES).is_in(ADVISORY_ISSUES))
    )
    problems = []
    for row in exploded.iter_rows(named=True):  # only the bad rows, to build a message
        code, _, field = row[s.ISSUES].partition(":")
        problems.append(
            {
                "position": row["position"],
                s.WIUP_CODE: row[s.WIUP_CODE],
                "field": field or None,
                "value": row.get(_raw(field)) if field else None,
                "reason": s.ISSUE_CODES.get(f"{code}:<field>" if field else code, code),
            }
        )
    return problems


def _schema_error(problems: list[dict[str, Any]], records: int) -> SchemaError:
    shown = 20
    lines = [
        f"  record {p['position']} (wiup_code={p[s.WIUP_CODE]!r})"
        + (f", field {p['field']}={p['value']!r}" if p["field"] else "")
        + f": {p['reason']}"
        for p in problems[:shown]
    ]
    bad = len({p["position"] for p in problems})
    more = f"\n  ... and {len(problems) - shown} more" if len(problems) > shown else ""
    msg = (
        f"{bad} of {records} records do not fit the schema (strict=True):\n"
        + "\n".join(lines)
        + more
        + "\nPass strict=False to keep them with issue codes in the 'issues' column."
    )
    return SchemaError(msg, problems)


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
    rows: list[Any] = records if isinstance(records, list) else list(records)
    return _canonical(_records_frame(rows), strict=strict, fetched_at=fetched_at)


def _records_frame(rows: list[Any]) -> pl.DataFrame:
    """Return the raw text columns of ``rows``, flagging the rows that are not objects."""
    # plain dicts are used as they are (copying a million of them costs seconds)
    odd = [i for i, r in enumerate(rows) if type(r) is not dict]
    dicts: list[dict[str, Any]] = rows
    not_object = [False] * len(rows)
    if odd:
        dicts = rows.copy()
        for i in odd:
            is_mapping = isinstance(rows[i], Mapping)
            dicts[i] = dict(rows[i]) if is_mapping else {}
            not_object[i] = not is_mapping
    return _raw_frame(dicts).with_columns(pl.Series(_NOT_OBJECT, not_object, dtype=pl.Boolean()))


def _canonical(
    frame: pl.DataFrame, *, strict: bool, fetched_at: dt.datetime | None
) -> pl.DataFrame:
    """Type, place and check the raw text columns: the steps both ingest paths share."""
    when = fetched_at or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    records = frame.height
    frame = _with_issues(_placed(_typed(frame))).with_columns(
        pl.lit(when).cast(s.COLUMNS[s.FETCHED_AT]).alias(s.FETCHED_AT)
    )
    if strict:
        problems = _problems(frame)
        if problems:
            raise _schema_error(problems, records)
    flagged = frame.select(pl.col(s.ISSUES).list.len() > 0).to_series().sum()
    if flagged:
        logger.info("%d of %d records carry quality issues", flagged, records)
    return frame.select(pl.col(c).cast(t) for c, t in s.COLUMNS.items())


# --------------------------------------------------------------------- pages
_PAGE: Final = "__page"
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


def _page_records(body: bytes, index: int) -> list[Any]:
    """Return the ``results`` of one page, read with json.loads (the dict path)."""
    try:
        page = json.loads(body)
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
    try:
        frame = _records_frame(_page_records(body, index))
    except UnicodeEncodeError as err:
        msg = f"Page {index} holds text that is not Unicode ({err}); it cannot be normalised."
        raise SchemaError(msg) from err
    return frame.select(pl.lit(index, pl.Int64()).alias(_PAGE), pl.all())


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
        rows = rows.sort(_PAGE, maintain_order=True)
    refused |= _doubtful_rows(rows, None if nested else braces)
    if refused:
        rows = rows.filter(~pl.col(_PAGE).is_in(sorted(refused)))
    cleaned = _clean_text(s.LOCATION)
    looks_json = pl.col(s.LOCATION).str.contains(_LOOKS_JSON)
    frame = rows.select(
        _PAGE,
        *(_clean_text(f).alias(_raw(f)) for f in _TEXT_FIELDS),
        pl.when(looks_json).then(None).otherwise(cleaned).alias(_LOCATION_TEXT),
        pl.when(looks_json).then(cleaned).alias(_LOCATION_JSON),
        _NOT_OBJECT,
    )
    return frame, sorted(refused)


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
    nested = [pl.col(f).str.starts_with("{") | pl.col(f).str.starts_with("[") for f in _TEXT_FIELDS]
    suspects = rows.filter(looks_json | pl.any_horizontal(nested))
    doubtful = suspects.filter(
        pl.any_horizontal(
            is_nested & (pl.col(f).str.contains(r"[\x00-\x1f\\]") | _unsafe_numbers(pl.col(f)))
            for f, is_nested in zip(_TEXT_FIELDS, nested, strict=True)
        )
    )
    return set(doubtful[_PAGE]) | _doubtful_locations(suspects.filter(looks_json))


def _doubtful_locations(rows: pl.DataFrame) -> set[int]:
    """Return the pages of ``rows`` (locations read from JSON) that json.dumps writes otherwise."""
    location = pl.col(s.LOCATION)
    doubtful = rows.filter(location.str.contains(r"[^\x20-\x7e]|\\") | _unsafe_numbers(location))
    return set(doubtful[_PAGE])


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
    pages_of_lines = pl.Series(_PAGE, cut.line_page)
    return rows.with_columns(pages_of_lines, pl.lit(value=False).alias(_NOT_OBJECT))


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
        read.with_columns(pl.Series(_PAGE, pages, dtype=pl.Int64()))
        .filter(results.list.len() > 0)  # an empty page gives no row (nor does a null one)
        .explode(_wire.RESULTS)  # a null record gives a null row: not an object
        .with_columns(results.is_null().alias(_NOT_OBJECT))
        .unnest(_wire.RESULTS)
    )
    return rows.select(*s.API_FIELDS, _PAGE, _NOT_OBJECT), refused


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


def _pages_frame(bodies: list[bytes]) -> pl.DataFrame:
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
        parts.append(merged.sort(_PAGE, maintain_order=True) if refused else merged)
    if not parts:
        return _records_frame([]).select(pl.lit(0, pl.Int64()).alias(_PAGE), pl.all())
    return pl.concat(parts, how="vertical")


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
    pages = [bytes(b) for b in bodies]
    frame = _pages_frame(pages)
    if select is not None:
        frame = frame[_positions(select, frame[_PAGE], len(pages))]
    return _canonical(frame.drop(_PAGE), strict=strict, fetched_at=fetched_at)


def _positions(select: Sequence[tuple[int, int]], page: pl.Series, pages: int) -> np.ndarray:
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
