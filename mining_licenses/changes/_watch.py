"""Watchlists: which events matter to you, read from a small TOML file.

A watchlist is one or more ``[[watch]]`` tables. Within a watch every
criterion given must hold (a list holds when any of its values does); an
event is watched when any watch matches it::

    [[watch]]
    name = "Raja Ampat"
    bbox = [129.3, -2.4, 131.4, 0.6]     # lon_min, lat_min, lon_max, lat_max

    [[watch]]
    name = "Nickel in North Maluku"
    provinces = ["Maluku Utara"]
    commodities = ["Nickel"]
    events = ["new", "vanished_early", "holder_changed", "cnc_changed"]

    [[watch]]
    name = "Our companies"
    companies = ["PT Multi Bintang", "jasa-tambang-nusantara"]   # any spelling, slug or key
    licenses = ["3411003442014022", "503/1573/IUP-OP/BPPMD-PTSP/X/2015"]

``licenses`` takes wiup codes or license numbers. A watch with no criterion
watches every event.
"""

from __future__ import annotations

import difflib
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import polars as pl

from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SnapshotError, shorten
from mining_licenses._oserrors import reading
from mining_licenses._redact import get_logger
from mining_licenses.changes import vocabulary as v
from mining_licenses.changes._ledger import check_event_types, company_match, text_match
from mining_licenses.store import read_snapshot

logger = get_logger(__name__)

_GIVE_TOML: Final = "Give a TOML file (see docs/monitoring.md)."

#: The criteria a watch may give, with what each takes.
CRITERIA: Final = {
    "name": "a label shown in the feed and the summary",
    "companies": "company names in any spelling, slugs or company keys",
    "provinces": "province names (any case; known aliases)",
    "commodities": "commodity types (any case; Indonesian names too)",
    "licenses": "wiup codes or license numbers",
    "bbox": "[lon_min, lat_min, lon_max, lat_max] in degrees (WGS84)",
    "events": "event types (see EVENT_TYPES)",
}
#: Columns of :func:`event_places`.
PLACE_COLUMNS: Final = (v.KEY, v.SNAPSHOT_AFTER, s.LONGITUDE, s.LATITUDE)


@dataclass(frozen=True)
class Watch:
    """One watch: every criterion given must hold (see the module docstring)."""

    name: str
    companies: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    commodities: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None
    events: tuple[str, ...] = ()

    def expression(self) -> pl.Expr:
        """Polars expression over an events frame with ``longitude``/``latitude``: matched."""
        match = pl.lit(True)
        if self.events:
            match &= pl.col(v.EVENT).is_in(list(self.events))
        if self.companies:
            match &= company_match(self.companies)
        if self.provinces:
            match &= text_match(s.PROVINCE, self.provinces)
        if self.commodities:
            match &= text_match(s.COMMODITY, self.commodities)
        if self.licenses:
            wanted = list(self.licenses)
            match &= pl.col(s.WIUP_CODE).is_in(wanted) | pl.col(s.LICENSE_NUMBER).is_in(wanted)
        if self.bbox is not None:
            x0, y0, x1, y1 = self.bbox
            lon, lat = pl.col(s.LONGITUDE), pl.col(s.LATITUDE)
            match &= lon.is_between(x0, x1).fill_null(False) & lat.is_between(y0, y1).fill_null(
                False
            )
        return match


@dataclass(frozen=True)
class Watchlist:
    r"""Watches read from a TOML file; an event is watched when any watch matches it.

    Examples
    --------
    >>> wl = Watchlist.from_toml('[[watch]]\nname = "nickel"\ncommodities = ["nikel"]')
    >>> wl.watches[0].commodities
    ('Nickel',)
    """

    watches: tuple[Watch, ...]
    source: str = field(default="")

    @property
    def needs_places(self) -> bool:
        """Whether a watch has a bounding box (events then need their points)."""
        return any(w.bbox is not None for w in self.watches)

    @classmethod
    def from_toml(cls, text: str, *, source: str = "the watchlist") -> Watchlist:
        """Read a watchlist from TOML text (``source`` names it in errors)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            msg = f"{source} is not valid TOML ({err}). See docs/monitoring.md for an example."
            raise ConfigurationError(msg) from err
        tables = data.get("watch")
        extra = sorted(set(data) - {"watch"})
        if extra or not isinstance(tables, list) or not tables:
            msg = (
                f"{source} must hold one or more [[watch]] tables"
                + (f", not {', '.join(extra)}" if extra else "")
                + ". See docs/monitoring.md for an example."
            )
            raise ConfigurationError(msg)
        watches = tuple(_watch(t, i, source) for i, t in enumerate(tables, 1))
        return cls(watches, source)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Watchlist:
        """Read a watchlist file.

        Raises
        ------
        ConfigurationError
            If the file cannot be read, is not TOML, or names an unknown
            criterion, event type or an impossible box (the message says which).
        """
        file = Path(path)
        try:
            with reading(file, what="the watchlist", error=ConfigurationError, fix=_GIVE_TOML):
                text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            msg = f"The watchlist {path} is not UTF-8 text ({err}). {_GIVE_TOML}"
            raise ConfigurationError(msg) from err
        return cls.from_toml(text, source=f"The watchlist {path}")

    def matched(self, frame: pl.DataFrame) -> pl.Series:
        """Return, for each event of ``frame``, the names of the watches it matches (a list).

        ``frame`` needs ``longitude`` and ``latitude`` when a watch has a box
        (see :func:`event_places`).
        """
        names = [pl.when(w.expression()).then(pl.lit(w.name)) for w in self.watches]
        out = frame.select(pl.concat_list(names).list.drop_nulls().alias("watches"))
        return out.to_series()

    def filter(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Return the events of ``frame`` that a watch matches."""
        if not frame.height:
            return frame
        return frame.filter(self.matched(frame).list.len() > 0)


def _texts(table: Mapping[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = table.get(name, [])
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
        msg = f"{where}: {name} must be a list of texts, not {shorten(value)}."
        raise ConfigurationError(msg)
    return tuple(x.strip() for x in value)


def _canonical(column: str, values: Sequence[str], where: str, name: str) -> tuple[str, ...]:
    known = s.PROVINCES if column == s.PROVINCE else s.COMMODITIES
    out = []
    for value in values:
        canonical = s.canonical_value(column, value)
        if canonical is None:
            near = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            msg = (
                f"{where}: {name} {value!r} is not known{hint}; the known ones: {', '.join(known)}."
            )
            raise ConfigurationError(msg)
        out.append(canonical)
    return tuple(out)


def _bbox(value: object, where: str) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    ok = (
        isinstance(value, list)
        and len(value) == 4
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)
        and all(math.isfinite(x) for x in value)
    )
    if ok:
        x0, y0, x1, y1 = (float(x) for x in value)  # type: ignore[attr-defined]
        ok = -180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90
        if ok:
            return (x0, y0, x1, y1)
    msg = (
        f"{where}: bbox must be [lon_min, lat_min, lon_max, lat_max] in degrees with "
        f"min < max, not {shorten(value)}."
    )
    raise ConfigurationError(msg)


def _watch(table: object, number: int, source: str) -> Watch:
    where = f"{source}, watch {number}"
    if not isinstance(table, dict):
        msg = f"{where} must be a table of criteria."
        raise ConfigurationError(msg)
    unknown = sorted(set(table) - set(CRITERIA))
    if unknown:
        near = difflib.get_close_matches(unknown[0], list(CRITERIA), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        msg = f"{where}: {unknown[0]!r} is not a criterion{hint}; they are: {', '.join(CRITERIA)}."
        raise ConfigurationError(msg)
    name = table.get("name", f"watch {number}")
    if not isinstance(name, str) or not name.strip():
        msg = f"{where}: name must be a text."
        raise ConfigurationError(msg)
    kinds = _texts(table, "events", where)
    return Watch(
        name=name.strip(),
        companies=_texts(table, "companies", where),
        provinces=_canonical(s.PROVINCE, _texts(table, "provinces", where), where, "province"),
        commodities=_canonical(
            s.COMMODITY, _texts(table, "commodities", where), where, "commodity"
        ),
        licenses=_texts(table, "licenses", where),
        bbox=_bbox(table.get("bbox"), where),
        events=tuple(check_event_types(list(kinds))) if kinds else (),
    )


def event_places(frame: pl.DataFrame, store: str | os.PathLike[str] | None = None) -> pl.DataFrame:
    """Return ``frame`` with ``longitude`` and ``latitude`` of each event's license.

    The point is the license's in the newer snapshot of its pair (the older
    one for a license that vanished), read from the store; null where the
    snapshot is gone or the license has no point.

    Examples
    --------
    >>> from mining_licenses.changes import empty_events
    >>> event_places(empty_events()).columns[-2:]
    ['longitude', 'latitude']
    """
    gone = pl.col(v.EVENT).is_in([v.VANISHED_EXPIRED, v.VANISHED_EARLY])
    where = pl.when(gone).then(pl.col(v.SNAPSHOT_BEFORE)).otherwise(pl.col(v.SNAPSHOT_AFTER))
    located = frame.with_columns(where.alias("__in"))
    points = []
    from mining_licenses.changes._classify import key_expr

    for name in located["__in"].drop_nulls().unique().sort().to_list():
        try:
            snap = read_snapshot(
                name, store=store, columns=[s.WIUP_CODE, s.LICENSE_NUMBER, s.LONGITUDE, s.LATITUDE]
            )
        except SnapshotError:  # pruned or damaged since: the event keeps no point
            logger.info("no points for events of %s: it cannot be read", name)
            continue
        keyed = snap.with_columns(key_expr()).drop_nulls(v.KEY).unique(v.KEY, keep="first")
        points.append(keyed.select(pl.lit(name).alias("__in"), v.KEY, s.LONGITUDE, s.LATITUDE))
    if not points:
        return frame.with_columns(
            pl.lit(None, pl.Float64()).alias(s.LONGITUDE),
            pl.lit(None, pl.Float64()).alias(s.LATITUDE),
        )
    table = pl.concat(points)
    return located.join(table, on=["__in", v.KEY], how="left", maintain_order="left").drop("__in")
