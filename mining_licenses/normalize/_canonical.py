"""The steps both ingest paths share: type, place and check a raw frame.

Typing, spelling and checks are polars expressions over whole columns. Values
are read with parsers (``_parsers``), never with patterns over JSON text: a
date is an ISO date or date-time, parsed once per distinct text; the
location's point was parsed by the ingest path. Every record gets its
``issues``: the codes of ``_issue_table`` whose condition holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Final

import polars as pl

from mining_licenses import gazetteer
from mining_licenses import schema as s
from mining_licenses._errors import SchemaError, shorten
from mining_licenses._plausible import in_window
from mining_licenses._redact import get_logger
from mining_licenses.companies import company_keys, name_key_expr
from mining_licenses.normalize import _columns as c
from mining_licenses.normalize._parsers import parse_date

logger = get_logger(__name__)

#: Issue codes that describe the data rather than break the schema:
#: ``strict=True`` reports them in the frame but does not raise for them.
ADVISORY_ISSUES: Final = (s.ISSUE_LOCATION_UNRESOLVED, s.ISSUE_DUPLICATE_RECORD)


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
    area = pl.col(c.raw(s.AREA_HA)).cast(pl.Float64, strict=False)
    point_json = pl.col(c.LOCATION_JSON)
    canonical: list[pl.Series] = []
    for f in s.CATEGORICAL_COLUMNS:
        known = _per_value(frame, c.raw(f), _canonical_key(f), pl.String())
        canonical.append(known.alias(c.known(f)))
    typed = frame.with_columns(
        *(
            pl.col(c.raw(f)).alias(f)
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
            _per_text(frame, c.raw(f), parse_date, pl.Date()).alias(f)
            for f in (s.EFFECTIVE_DATE, s.EXPIRY_DATE)
        ),
        _per_value(frame, c.raw(s.COMPANY_NAME), name_key_expr, pl.String()).alias(c.NAME_KEY),
        area.alias(s.AREA_HA),
    ).with_columns(
        (pl.col(c.X).is_between(lon_min, lon_max) & pl.col(c.Y).is_between(lat_min, lat_max)).alias(
            c.IN_BOUNDS
        ),
        (pl.col(c.Y).is_between(lon_min, lon_max) & pl.col(c.X).is_between(lat_min, lat_max)).alias(
            c.SWAPPED
        ),
    )
    return typed.with_columns(
        *(pl.coalesce(c.known(f), c.raw(f)).alias(f) for f in s.CATEGORICAL_COLUMNS),
        company_keys(typed[s.COMPANY_SLUG], typed[c.NAME_KEY]),
        # a rejected point is kept as its GeoJSON text, so nothing the API sent is lost
        pl.coalesce(
            pl.col(c.LOCATION_TEXT),
            pl.when(~pl.col(c.IN_BOUNDS).fill_null(value=False)).then(point_json),
        ).alias(s.LOCATION_TEXT),
    )


def _placed(frame: pl.DataFrame) -> pl.DataFrame:
    """Longitude/latitude from the API's point, else from the gazetteer."""
    api_point = pl.col(c.IN_BOUNDS).fill_null(value=False)
    # the names to try, in order: the location text (when it is a name), then the city
    names = pl.concat_str(
        [pl.col(c.LOCATION_TEXT), pl.col(s.CITY)], separator=", ", ignore_nulls=True
    )
    found = gazetteer.locate(frame.select(names.alias("n")).to_series(), frame[s.PROVINCE])
    from_regency = found["longitude"].is_not_null()
    return frame.with_columns(
        pl.when(api_point).then(pl.col(c.X)).otherwise(found["longitude"]).alias(s.LONGITUDE),
        pl.when(api_point).then(pl.col(c.Y)).otherwise(found["latitude"]).alias(s.LATITUDE),
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
        s.ISSUE_NOT_AN_OBJECT: pl.col(c.NOT_OBJECT),
        **{
            s.field_issue(s.ISSUE_MISSING, f): pl.col(c.raw(f)).is_null() for f in s.REQUIRED_FIELDS
        },
        s.ISSUE_WIUP_CODE_FORMAT: code.is_not_null() & ~code.str.contains(r"^\d{16}$"),
        **{
            s.field_issue(s.ISSUE_UNKNOWN_VALUE, f): pl.col(c.raw(f)).is_not_null()
            & pl.col(c.known(f)).is_null()
            for f in s.CATEGORICAL_COLUMNS
        },
        **{
            s.field_issue(s.ISSUE_INVALID_DATE, f): pl.col(c.raw(f)).is_not_null()
            & pl.col(f).is_null()
            for f in (s.EFFECTIVE_DATE, s.EXPIRY_DATE)
        },
        s.ISSUE_EXPIRY_BEFORE_EFFECTIVE: pl.col(s.EXPIRY_DATE) < pl.col(s.EFFECTIVE_DATE),
        s.field_issue(s.ISSUE_NOT_A_NUMBER, s.AREA_HA): pl.col(c.raw(s.AREA_HA)).is_not_null()
        & (area.is_null() | ~area.is_finite()),
        s.ISSUE_AREA_NOT_POSITIVE: area <= 0,
        s.ISSUE_AREA_OUT_OF_RANGE: area.is_finite() & (area > s.MAX_AREA_HA),
        **{
            s.field_issue(s.ISSUE_DATE_OUT_OF_RANGE, f): pl.col(f).is_not_null()
            & ~in_window(pl.col(f))
            for f in (s.EFFECTIVE_DATE, s.EXPIRY_DATE)
        },
        s.ISSUE_LOCATION_MALFORMED: pl.col(c.LOCATION_JSON).is_not_null() & pl.col(c.X).is_null(),
        s.ISSUE_COORDS_SWAPPED: pl.col(c.SWAPPED),
        s.ISSUE_COORDS_OUT_OF_BOUNDS: pl.col(c.X).is_not_null()
        & ~pl.col(c.IN_BOUNDS)
        & ~pl.col(c.SWAPPED),
        s.ISSUE_LOCATION_UNRESOLVED: pl.col(s.GEOMETRY_SOURCE).is_null(),
        s.ISSUE_DUPLICATE_RECORD: code.is_not_null() & code.is_duplicated(),
        **{s.field_issue(s.ISSUE_INVALID_TEXT, f): pl.col(c.invalid(f)) for f in s.API_FIELDS},
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
        flags.with_row_index(c.ROW)
        .filter(hit)
        .select(
            c.ROW,
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
        frame.with_row_index(c.ROW)
        .join(flagged, on=c.ROW, how="left", maintain_order="left")
        .with_columns(pl.col(s.ISSUES).fill_null(no_issues))
        .drop(c.ROW)
    )


def _problems(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """One dict per (record, non-advisory issue), for :class:`SchemaError`."""
    exploded = (
        frame.with_row_index("position")
        .select("position", s.WIUP_CODE, s.ISSUES, *(c.raw(f) for f in c.TEXT_FIELDS))
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
                "value": row.get(c.raw(field)) if field else None,
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


def canonical(frame: pl.DataFrame, *, strict: bool, fetched_at: dt.datetime | None) -> pl.DataFrame:
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
