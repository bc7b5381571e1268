"""API records -> the canonical polars frame.

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
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import polars as pl

from mining_licenses import gazetteer
from mining_licenses import schema as s
from mining_licenses._errors import SchemaError, shorten
from mining_licenses._parsers import parse_date, parse_point, valid_text
from mining_licenses.companies import company_keys, name_key_expr

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
_INVALID: Final = "__invalid_text_"  # prefix of a flag: the field's text had to be repaired
#: Issue codes that describe the data rather than break the schema:
#: ``strict=True`` reports them in the frame but does not raise for them.
ADVISORY_ISSUES: Final = (s.ISSUE_LOCATION_UNRESOLVED, s.ISSUE_DUPLICATE_RECORD)


def _raw(field: str) -> str:
    return f"{_RAW}{field}"


def _known(field: str) -> str:
    return f"{_KNOWN}{field}"


def _invalid(field: str) -> str:
    return f"{_INVALID}{field}"


_LOCATION_TEXT: Final = _raw("location_text")  # the API's location when it was text
# the API's location as JSON text when it was neither text nor a point inside Indonesia
_LOCATION_JSON: Final = _raw("location_json")


def _as_text(value: Any) -> str | None:
    """Text of a scalar the way JSON writes it (the slow path only)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, default=str, ensure_ascii=False)


def _text_columns(records: list[dict[str, Any]]) -> tuple[pl.DataFrame, dict[str, list[bool]]]:
    """Return the API's text fields as columns (the slow path) and where text was repaired."""
    columns: dict[str, list[str | None]] = {}
    repaired: dict[str, list[bool]] = {}
    for f in _TEXT_FIELDS:
        values = [_as_text(r.get(f)) for r in records]
        for i, value in enumerate(values):
            if value is not None and not value.isascii():
                values[i], bad = valid_text(value)
                if bad:
                    repaired.setdefault(f, [False] * len(records))[i] = True
        columns[_raw(f)] = values
    frame = pl.DataFrame(columns, schema={_raw(f): pl.String() for f in _TEXT_FIELDS})
    return frame, repaired


def _locations(records: list[dict[str, Any]]) -> tuple[list[pl.Series], list[bool] | None]:
    """Return ``location`` as text, point and JSON columns, and where its text was repaired.

    The JSON is kept only when the location is neither text nor a point in Indonesia.
    """
    lon_min, lat_min, lon_max, lat_max = s.INDONESIA_BOUNDS
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
            if lon_min <= point[0] <= lon_max and lat_min <= point[1] <= lat_max:
                continue  # placed from its point: no text needed
        other[i] = json.dumps(value, default=str)  # ASCII: escapes any lone surrogate
    series = [
        pl.Series(_LOCATION_TEXT, text, dtype=pl.String()),
        pl.Series(_LOCATION_JSON, other, dtype=pl.String()),
        pl.Series(_X, xs, dtype=pl.Float64()),
        pl.Series(_Y, ys, dtype=pl.Float64()),
    ]
    return series, repaired


def _raw_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    """All API fields as text columns, one row per record, in input order.

    Also the location's point (``_X``, ``_Y``) and, per text field, whether its
    text had to be repaired (``_invalid(field)``).
    """
    renamed = {f: _raw(f) for f in _TEXT_FIELDS}
    repaired: dict[str, list[bool]] = {}
    try:  # fast path: polars reads the dicts and writes numbers/booleans as text
        frame = pl.from_dicts(
            records, schema={f: pl.String() for f in _TEXT_FIELDS}, strict=False
        ).rename(renamed)
    except Exception:  # nested values, or text polars cannot encode (lone surrogates)
        logger.debug("records hold nested values or invalid text; extracting field by field")
        frame, repaired = _text_columns(records)
    locations, location_repaired = _locations(records)
    if location_repaired is not None:
        repaired[s.LOCATION] = location_repaired
    flags = [
        pl.Series(_invalid(f), repaired[f], dtype=pl.Boolean())
        if f in repaired
        else pl.repeat(False, len(records), dtype=pl.Boolean(), eager=True).alias(_invalid(f))
        for f in s.API_FIELDS
    ]
    frame = frame.with_columns(*locations, *flags)
    return frame.with_columns(
        _clean_text(c) for c in (*renamed.values(), _LOCATION_TEXT, _LOCATION_JSON)
    )


def _clean_text(column: str) -> pl.Expr:
    """Trimmed text, with empty strings read as missing."""
    text = pl.col(column).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text).alias(column)


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


def _per_text(
    frame: pl.DataFrame, column: str, parse: Callable[[str], object], dtype: pl.DataType
) -> pl.Series:
    """Like :func:`_per_value`, with a Python parser run once per distinct text."""
    raw = frame[column]
    distinct = raw.unique().drop_nulls()
    done = pl.Series([parse(v) for v in distinct.to_list()], dtype=dtype)
    return raw.replace_strict(distinct, done, default=None, return_dtype=dtype)


def _canonical_key(field: str) -> Callable[[pl.Expr], pl.Expr]:
    keys, values = list(s.ALIASES[field]), list(s.ALIASES[field].values())
    return lambda raw: s.value_key_expr(raw).replace_strict(keys, values, default=None)


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    """Typed columns, plus the checks each needs, as expressions over the raw text."""
    lon_min, lat_min, lon_max, lat_max = s.INDONESIA_BOUNDS
    area = pl.col(_raw(s.AREA_HA)).cast(pl.Float64, strict=False)
    point_json = pl.col(_LOCATION_JSON)
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
        *(
            _per_text(frame, _raw(f), parse_date, pl.Date()).alias(f)
            for f in (s.EFFECTIVE_DATE, s.EXPIRY_DATE)
        ),
        _per_value(frame, _raw(s.COMPANY_NAME), name_key_expr, pl.String()).alias(_NAME_KEY),
        area.alias(s.AREA_HA),
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
        company_keys(typed[s.COMPANY_SLUG], typed[_NAME_KEY]),
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
        **{s.field_issue(s.ISSUE_INVALID_TEXT, f): pl.col(_invalid(f)) for f in s.API_FIELDS},
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
        f"  record {p['position']} (wiup_code={shorten(p[s.WIUP_CODE])})"
        + (f", field {p['field']}={shorten(p['value'])}" if p["field"] else "")
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
    when = fetched_at or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)

    frame = _raw_frame(dicts).with_columns(pl.Series(_NOT_OBJECT, not_object, dtype=pl.Boolean()))
    frame = _with_issues(_placed(_typed(frame))).with_columns(
        pl.lit(when).cast(s.COLUMNS[s.FETCHED_AT]).alias(s.FETCHED_AT)
    )
    if strict:
        problems = _problems(frame)
        if problems:
            raise _schema_error(problems, len(rows))
    flagged = frame.select(pl.col(s.ISSUES).list.len() > 0).to_series().sum()
    if flagged:
        logger.info("%d of %d records carry quality issues", flagged, len(rows))
    return frame.select(pl.col(c).cast(t) for c, t in s.COLUMNS.items())
