"""What changed, as report parts: counts by event type, a table per type, the map.

Shared by the report's "What changed" section (:func:`section`) and the
per-update digest (``_digest``). Every value goes to the template as text,
which jinja2 escapes.
"""

from __future__ import annotations

import dataclasses
from typing import Final

import polars as pl

from mining_licenses import _validate as check
from mining_licenses import plots
from mining_licenses import schema as s
from mining_licenses._errors import SchemaError
from mining_licenses.changes import EVENT_ORDER, EVENT_TYPES
from mining_licenses.changes import vocabulary as v
from mining_licenses.report import _format as fmt
from mining_licenses.report import _parts as p
from mining_licenses.report._parts import Column


def checked_events(events: object, *, name: str, function: str) -> pl.DataFrame:
    """Return ``events`` if it is a frame with the event columns; else the package's error."""
    frame = check.instance(
        events,
        pl.DataFrame,
        name=name,
        function=function,
        wanted="a polars DataFrame of events",
        hint="from events(), events_between() or read_ledger()",
    )
    missing = [c for c in v.EVENT_COLUMNS if c not in frame.columns]
    if missing:
        msg = f"{function}({name}=...): the frame lacks {', '.join(missing)}; pass events()."
        raise SchemaError(msg)
    return frame


#: ``id`` of the "What changed" section (the report places it after the headline).
CHANGES_SECTION_ID: Final = "changes"

#: Rows shown per event type (the CSV download holds them all).
ROWS_SHOWN: Final = 100
#: File name of the events embedded as CSV.
EVENTS_CSV: Final = "events.csv"
#: The column of watch names, when a watchlist matched.
WATCHES: Final = "watches"

_COLUMNS: Final = (
    Column(v.KEY, "License key", css="code"),
    Column(s.COMPANY_NAME, "Company"),
    Column(s.PROVINCE, "Province"),
    Column(s.COMMODITY, "Commodity"),
    Column(v.OLD, "Before"),
    Column(v.NEW_VALUE, "After"),
    Column(v.DETAIL, "Detail"),
)


def counts(events: pl.DataFrame) -> pl.DataFrame:
    """Events per type, in the vocabulary's order (types with none left out)."""
    counted = events.group_by(v.EVENT).len("events")
    rank = {name: i for i, name in enumerate(EVENT_ORDER)}
    return counted.sort(pl.col(v.EVENT).replace_strict(rank, default=len(rank)))


def cards(events: pl.DataFrame, watched: int | None = None) -> p.Cards:
    """Return a card per event type present, the total first (and the watched count if given)."""
    made = [p.Card("Events", fmt.count(events.height), "in all")]
    if watched is not None:
        made.append(
            p.Card("Watched", fmt.count(watched), "matched your watchlist", alert=watched > 0)
        )
    made += [
        p.Card(kind, fmt.count(n), "", alert=kind in (v.VANISHED_EARLY, v.HOLDER_CHANGED))
        for kind, n in counts(events).iter_rows()
    ]
    return p.Cards(tuple(made))


def tables(events: pl.DataFrame) -> tuple[p.Part, ...]:
    """One heading, rule and table per event type present, in the vocabulary's order."""
    columns = list(_COLUMNS)
    if WATCHES in events.columns:
        columns.append(Column(WATCHES, "Watched by"))
        events = events.with_columns(pl.col(WATCHES).list.join(", "))
    parts: list[p.Part] = []
    for kind, n in counts(events).iter_rows():
        rows = events.filter(pl.col(v.EVENT) == kind)
        shown = rows.head(ROWS_SHOWN)
        parts += [
            p.Heading(f"{kind} ({fmt.count(n)})"),
            p.Note(EVENT_TYPES[kind][0].upper() + EVENT_TYPES[kind][1:] + "."),
            p.table(
                shown,
                columns,
                scroll=shown.height > 15,
                caption="" if n <= ROWS_SHOWN else f"the first {ROWS_SHOWN} of {n:,}",
            ),
        ]
    return tuple(parts)


def changes_map(events: pl.DataFrame, title: str) -> p.Chart | p.Note:
    """Draw the events' licenses coloured by event type (needs ``longitude``, ``latitude``)."""
    if s.LONGITUDE not in events.columns or not events.height:
        return p.Note("No map: no point is known for these events.")
    present = [k for k in EVENT_ORDER if k in set(events[v.EVENT].to_list())]
    return p.chart(
        lambda narrow: plots.plot_changes(
            events, by=v.EVENT, categories=present, title=title, narrow=narrow
        ),
        "Map of Indonesia with the licenses that changed, coloured by event type",
        "Each point is a license at its point in the newer snapshot (the older one for a "
        "license that vanished); licenses without a point are counted in the note.",
    )


def by_type(events: pl.DataFrame) -> p.Table:
    """Events per type, with every event embedded as one CSV download."""
    flat = events.drop(WATCHES, strict=False)
    table = p.table(
        counts(events),
        [Column(v.EVENT, "Event"), Column("events", "Events", fmt.count, True)],
        caption="events by type",
        download=p.csv_download(flat, EVENTS_CSV),
    )
    return dataclasses.replace(table, told="Every event, one row each:")


def section(events: pl.DataFrame) -> p.Section:
    """Build the report's "What changed": the latest update in detail, recent ones counted."""
    updates = (
        events.group_by(v.SNAPSHOT_AFTER, v.SNAPSHOT_BEFORE)
        .agg(pl.col(v.OBSERVED_AT).max(), pl.len().alias("events"))
        .sort(v.OBSERVED_AT, descending=True)
    )
    latest = updates.row(0, named=True)
    last = events.filter(pl.col(v.SNAPSHOT_AFTER) == latest[v.SNAPSHOT_AFTER])
    per_update = (
        events.join(updates.head(12).select(v.SNAPSHOT_AFTER), on=v.SNAPSHOT_AFTER)
        .group_by(v.OBSERVED_AT)
        .agg(
            pl.len().alias("events"),
            *((pl.col(v.EVENT) == kind).sum().alias(kind) for kind in EVENT_ORDER),
        )
        .sort(v.OBSERVED_AT, descending=True)
    )
    present = [k for k in EVENT_ORDER if per_update[k].sum()]
    history = p.table(
        per_update.with_columns(pl.col(v.OBSERVED_AT).dt.strftime("%Y-%m-%d %H:%M")),
        [
            Column(v.OBSERVED_AT, "Observed (UTC)"),
            Column("events", "Events", fmt.count, True),
            *(Column(k, k, fmt.count, True) for k in present),
        ],
        caption="events per update, newest first",
    )
    when = latest[v.OBSERVED_AT]
    lead = (
        f"The registry's last change seen: {fmt.count(last.height)} events between "
        f"{latest[v.SNAPSHOT_BEFORE]} and {latest[v.SNAPSHOT_AFTER]} (observed "
        f"{when:%Y-%m-%d %H:%M} UTC). The vocabulary and its rules: docs/monitoring.md."
    )
    parts = (
        cards(last),
        history,
        p.Heading("The latest update, by event type"),
        *tables(last),
    )
    return p.Section(CHANGES_SECTION_ID, "What changed", lead, parts)
