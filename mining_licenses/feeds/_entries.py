"""Feed entries: one per update (a snapshot compared with the one before it) that had events.

An entry per update, not per event: a batch revocation of two thousand
licenses is one entry a reader sees, linking to that update's digest. With a
watchlist, only updates with watched events become entries, and each entry
lists its watched events. Entry ids are tag URIs built from the feed's id and
the newer snapshot's file name, so they never change once published.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from mining_licenses import schema as s
from mining_licenses.changes import EVENT_ORDER
from mining_licenses.changes import vocabulary as v

#: Events listed in an entry's content (the digest has them all).
LISTED: Final = 25
#: The tag URI authority and date of every id (RFC 4151).
TAG: Final = "tag:mining-licenses,2026:"
WATCHES: Final = "watches"


@dataclass(frozen=True)
class Entry:
    """One feed entry: an update's events, summarised, linking to its digest.

    Attributes
    ----------
    id
        A tag URI, stable for the update (the newer snapshot's file name).
    title, summary
        Plain text.
    content_html
        HTML with every value escaped.
    updated
        When the entry last changed: when the change was observed (the newer
        snapshot's ``fetched_at``), or later, when its pair was compared again
        (a held-back snapshot accepted after later pulls).
    published
        When the change was observed (the newer snapshot's ``fetched_at``).
    url
        The digest.
    tags
        The event types present.
    snapshot
        The newer snapshot's file name (the digest's name is made from it).
    synthetic
        The update compared synthetic snapshots.
    """

    id: str
    title: str
    summary: str
    content_html: str
    updated: dt.datetime
    url: str
    tags: tuple[str, ...]
    snapshot: str
    synthetic: bool
    published: dt.datetime


def feed_id(title: str) -> str:
    """Return the feed's id: a tag URI made from its title (stable while the title is).

    Examples
    --------
    >>> feed_id("Mining licenses: what changed")
    'tag:mining-licenses,2026:feed/mining-licenses-what-changed'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "feed"
    return f"{TAG}feed/{slug}"


def digest_name(snapshot: str) -> str:
    """Return the digest's file name for an update whose newer snapshot is ``snapshot``.

    Examples
    --------
    >>> digest_name("licenses_20261203T060000Z.parquet")
    'digest_20261203T060000Z.html'
    """
    stem = snapshot.removesuffix(".parquet").removeprefix("licenses_")
    return f"digest_{re.sub(r'[^A-Za-z0-9_-]+', '_', stem)}.html"


def _counts(frame: pl.DataFrame) -> list[tuple[str, int]]:
    found = dict(frame.group_by(v.EVENT).len().rows())
    return [(kind, found[kind]) for kind in EVENT_ORDER if kind in found]


def _said(counts: list[tuple[str, int]]) -> str:
    return ", ".join(f"{n:,} {kind}" for kind, n in counts)


def _content(shown: pl.DataFrame, counts: list[tuple[str, int]], url: str, watched: bool) -> str:
    esc = html.escape
    items = "".join(f"<li>{n:,} {esc(kind)}</li>" for kind, n in counts)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{esc(str(value)) if value is not None else '-'}</td>" for value in row)
        + "</tr>"
        for row in shown.head(LISTED)
        .select(v.EVENT, v.KEY, s.COMPANY_NAME, s.PROVINCE, v.DETAIL)
        .iter_rows()  # a few dozen rows per entry at most
    )
    more = shown.height - min(shown.height, LISTED)
    what = "Watched events" if watched else "Events"
    return (
        f"<p>{what} by type:</p><ul>{items}</ul>"
        "<table><thead><tr><th>event</th><th>license key</th><th>company</th>"
        f"<th>province</th><th>detail</th></tr></thead><tbody>{rows}</tbody></table>"
        + (f"<p>... and {more:,} more.</p>" if more else "")
        + f'<p><a href="{esc(url, quote=True)}">The digest of this update</a> '
        "(counts, a map, every event).</p>"
    )


def entries(
    events: pl.DataFrame,
    *,
    base_url: str,
    feed: str,
    synthetic: Mapping[str, bool] | None = None,
    watched: bool = False,
    revised: Mapping[str, dt.datetime] | None = None,
) -> list[Entry]:
    """Return one entry per update of ``events``, newest first.

    Parameters
    ----------
    events
        Ledger rows; with a ``watches`` list column when a watchlist applies
        (then only updates with watched events make entries).
    base_url
        Where the digests are served (``<base_url>digests/<name>``).
    feed
        The feed's id (:func:`feed_id`).
    synthetic
        Snapshot name -> whether it is synthetic data.
    watched
        A watchlist applies.
    revised
        Snapshot name -> when its pair was compared again (the entry's ``updated``).
    """
    labels = synthetic or {}
    later = revised or {}
    found: list[Entry] = []
    updates = events.group_by(v.SNAPSHOT_BEFORE, v.SNAPSHOT_AFTER).agg(pl.col(v.OBSERVED_AT).max())
    for before, after, when in updates.sort(v.OBSERVED_AT, descending=True).iter_rows():
        rows = events.filter(pl.col(v.SNAPSHOT_AFTER) == after)
        shown = rows.filter(pl.col(WATCHES).list.len() > 0) if watched else rows
        if not shown.height:
            continue
        counts = _counts(shown)
        fake = bool(labels.get(after, False))
        url = f"{base_url}digests/{digest_name(after)}"
        label = "[synthetic data] " if fake else ""
        what = "watched event" if watched else "event"
        title = f"{label}{shown.height:,} {what}{'s' if shown.height != 1 else ''} in the mining-license registry ({when:%Y-%m-%d})"  # noqa: E501
        summary = f"{_said(counts)}; {after} against {before}."
        found.append(
            Entry(
                id=f"{feed}/update/{after.removesuffix('.parquet')}",
                title=title,
                summary=summary,
                content_html=_content(shown, counts, url, watched),
                updated=max(when, later.get(after, when)),
                url=url,
                tags=tuple(kind for kind, _ in counts),
                snapshot=after,
                synthetic=fake,
                published=when,
            )
        )
    return found


def rfc3339(when: dt.datetime) -> str:
    """Return ``when`` in UTC as RFC 3339 (``2026-12-03T06:00:00Z``)."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_json(entry: Entry) -> dict[str, Any]:
    """Return a JSON Feed 1.1 item for ``entry``."""
    return {
        "id": entry.id,
        "url": entry.url,
        "title": entry.title,
        "summary": entry.summary,
        "content_html": entry.content_html,
        "date_published": rfc3339(entry.published),
        "date_modified": rfc3339(entry.updated),
        "tags": list(entry.tags),
        "_mining_licenses": {"snapshot": entry.snapshot, "synthetic": entry.synthetic},
    }
