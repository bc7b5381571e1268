"""The digest of one update: a self-contained page of what changed between two snapshots.

Rendered with the report's own template and style (``report.html.j2``): the
counts by event type, the map of what changed, a table per event type, the
watched events first when a watchlist matched, and where it all came from.
Synthetic data carries the report's banner. Feed entries link to it.

The page's head carries :func:`digest_fingerprint` of what it shows, so the
feed writer redraws a digest whose update changed since (a held-back snapshot
accepted, a new watchlist) and leaves the others as they are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from mining_licenses import _validate as check
from mining_licenses._atomic import write_atomic
from mining_licenses.changes import vocabulary as v
from mining_licenses.report import _changes as ch
from mining_licenses.report import _format as fmt
from mining_licenses.report import _parts as p
from mining_licenses.report._render import SYNTHETIC_BANNER_ID, _environment

#: The head of a digest holds its fingerprint within this many bytes.
FINGERPRINT_BYTES = 2048


def digest_fingerprint(
    events: pl.DataFrame,
    *,
    synthetic: bool = False,
    title: str = "What changed",
    provenance: Mapping[str, Any] | None = None,
) -> str:
    """Return a short hash of everything a digest of these arguments shows.

    Examples
    --------
    >>> from mining_licenses.changes import empty_events
    >>> len(digest_fingerprint(empty_events())), digest_fingerprint(empty_events()) == (
    ...     digest_fingerprint(empty_events(), synthetic=True))
    (16, False)
    """
    shown = {"synthetic": synthetic, "title": title, "provenance": dict(provenance or {})}
    text = events.write_json() + repr(sorted(shown.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def has_fingerprint(page: Path, fingerprint: str) -> bool:
    """Tell whether the digest ``page`` exists and shows what ``fingerprint`` says."""
    try:
        with page.open("rb") as handle:
            return f'content="{fingerprint}"'.encode() in handle.read(FINGERPRINT_BYTES)
    except OSError:
        return False


def render_digest(
    events: pl.DataFrame,
    *,
    synthetic: bool = False,
    title: str = "What changed",
    provenance: Mapping[str, Any] | None = None,
    fingerprint: str | None = None,
) -> str:
    """Return the HTML digest of one update's events (one page, nothing fetched).

    Parameters
    ----------
    events
        The events of one update (see :func:`mining_licenses.changes.events`),
        optionally with ``longitude``/``latitude`` (drawn on the map) and
        ``watches`` (a list of watch names: those events are listed first).
    synthetic
        The data is synthetic: the page says so in a banner, as the report does.
    title
        The page's title.
    provenance
        Label -> value pairs shown under "Where this comes from".
    fingerprint
        What the page's head records it shows (default:
        :func:`digest_fingerprint` of the arguments).

    Examples
    --------
    >>> from mining_licenses.changes import empty_events
    >>> page = render_digest(empty_events(), synthetic=True)
    >>> 'id="synthetic-banner"' in page, "No change" in page
    (True, True)
    """
    from mining_licenses import sample
    from mining_licenses._version import __version__

    function = "render_digest"
    events = ch.checked_events(events, name="events", function=function)
    synthetic = check.flag(synthetic, name="synthetic", function=function)
    title = check.text(title, name="title", function=function)
    provenance = check.mapping(provenance, name="provenance", function=function) or None
    fingerprint = check.optional_text(fingerprint, name="fingerprint", function=function)
    pairs = events.select(v.SNAPSHOT_BEFORE, v.SNAPSHOT_AFTER).unique().drop_nulls()
    when = events[v.OBSERVED_AT].max() if events.height else None
    stamp = f"{when:%Y-%m-%d %H:%M} UTC" if isinstance(when, dt.datetime) else "no events"
    sections = [_summary(events, stamp)]
    if events.height:
        watched = _watched(events)
        if watched is not None:
            sections.append(watched)
        sections.append(
            p.Section(
                "map",
                "Where it changed",
                "The licenses behind these events.",
                (ch.changes_map(events, title),),
            )
        )
        sections.append(
            p.Section(
                "events",
                "Every event, by type",
                "The rule of each type, then its events.",
                ch.tables(events),
            )
        )
    sections.append(_about(pairs, provenance, __version__))
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            version=__version__,
            title=title + (" (synthetic data)" if synthetic else ""),
            subtitle="Indonesia's mining-license registry (Sectors Financial API) · observed "
            + stamp,
            banner_id=SYNTHETIC_BANNER_ID,
            synthetic_note=sample.SYNTHETIC_NOTE if synthetic else "",
            sections=sections,
            footer=f"Made by mining-licenses {__version__}. Times are UTC; areas in hectares (ha).",
            fingerprint=fingerprint
            or digest_fingerprint(events, synthetic=synthetic, title=title, provenance=provenance),
        )
    )


def _summary(events: pl.DataFrame, stamp: str) -> p.Section:
    if not events.height:
        return p.Section("summary", "No change", "The two snapshots hold the same licenses.", ())
    watched = None
    if ch.WATCHES in events.columns:
        watched = int((events[ch.WATCHES].list.len() > 0).sum())
    lead = f"{fmt.count(events.height)} events observed {stamp}."
    return p.Section(
        "summary", "Events by type", lead, (ch.cards(events, watched), ch.by_type(events))
    )


def _watched(events: pl.DataFrame) -> p.Section | None:
    if ch.WATCHES not in events.columns:
        return None
    hits = events.filter(pl.col(ch.WATCHES).list.len() > 0)
    lead = (
        f"{fmt.count(hits.height)} events matched your watchlist."
        if hits.height
        else "No event matched your watchlist."
    )
    return p.Section("watched", "Watched", lead, ch.tables(hits))


def _about(pairs: pl.DataFrame, provenance: Mapping[str, Any] | None, version: str) -> p.Section:
    rows = [
        ("Compared", f"{before} -> {after}")
        for before, after in pairs.sort(v.SNAPSHOT_AFTER).rows()
    ]
    rows += [(str(k), fmt.meta_value(value)) for k, value in (provenance or {}).items()]
    rows.append(("Made with", f"mining-licenses {version}"))
    return p.Section(
        "provenance",
        "Where this comes from",
        "Each snapshot is compared with the one before it of the same filters.",
        (p.Definitions(tuple(rows)),),
    )


def write_digest(
    events: pl.DataFrame,
    path: str | os.PathLike[str],
    *,
    synthetic: bool = False,
    title: str = "What changed",
    provenance: Mapping[str, Any] | None = None,
) -> Path:
    """Write :func:`render_digest` to ``path`` (whole or not at all, replacing it); return it."""
    page = render_digest(events, synthetic=synthetic, title=title, provenance=provenance)
    return write_atomic(Path(path), page.encode("utf-8"), overwrite=True)
