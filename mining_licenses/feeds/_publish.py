"""Writing the feeds: ``feed.xml``, ``feed.json`` and a digest page per update, from the ledger.

Everything is made from the store's ledger, so writing again gives the same
files; only digests not drawn yet, or whose update changed since (their
fingerprint says), are drawn (a map each). The new digests
and both feeds are published together or not at all (``_atomic.write_together``:
each whole, digests first, and on a failure those already published are taken
back), so a feed never links to a page that is not there and the two feeds
never disagree. :func:`check_feed_dir` asks the same questions first, before
any work (``update`` asks it before any credit is spent).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from mining_licenses import _config
from mining_licenses import _validate as check
from mining_licenses._atomic import check_writable, write_together
from mining_licenses._errors import ConfigurationError
from mining_licenses.changes import (
    Watchlist,
    current_ledger,
    event_places,
    revised_at,
    snapshot_scopes,
)
from mining_licenses.changes import vocabulary as v
from mining_licenses.feeds._entries import WATCHES, Entry, digest_name, entries, feed_id
from mining_licenses.feeds._formats import atom, json_feed

#: The feeds' file names in the feed folder; digests go to ``digests/``.
ATOM_NAME: Final = "feed.xml"
JSON_NAME: Final = "feed.json"
DIGESTS: Final = "digests"
DEFAULT_TITLE: Final = "Mining licenses: what changed"
#: Entries kept in a feed (the newest); the ledger keeps every event.
MAX_ENTRIES: Final = 50


@dataclass(frozen=True)
class Feeds:
    """What :func:`write_feeds` wrote.

    Attributes
    ----------
    atom, json
        ``feed.xml`` and ``feed.json``.
    digests
        The digest pages written this time (those already there are kept).
    entries
        The feed's entries, newest first.
    """

    atom: Path
    json: Path
    digests: tuple[Path, ...]
    entries: tuple[Entry, ...]


def _base(feed_dir: Path, feed_url: str | None) -> str:
    if feed_url is None:
        return feed_dir.resolve().as_uri() + "/"
    if not feed_url.startswith(("http://", "https://", "file://")):
        msg = (
            f"feed_url={feed_url!r} must be an http(s) or file URL: where the feed folder "
            "is served, e.g. https://example.org/mining-watch/."
        )
        raise ConfigurationError(msg)
    return feed_url if feed_url.endswith("/") else feed_url + "/"


def check_feed_dir(feed_dir: str | os.PathLike[str]) -> Path:
    """Check that the feeds and digests can be written in ``feed_dir``; return the folder.

    ``feed.xml``, ``feed.json`` and ``digests/`` must not be folders (nor
    files, for ``digests``), and their folders must be creatable and take a
    new file (a probe file is made and removed).

    Raises
    ------
    OutputError
        Naming the path that cannot be written, why, and what to do.

    Examples
    --------
    >>> import tempfile
    >>> check_feed_dir(Path(tempfile.mkdtemp()) / "public").name
    'public'
    """
    given = check.path(feed_dir, name="feed_dir", function="write_feeds", folder=True)
    folder = Path(given).expanduser()
    for name in (ATOM_NAME, JSON_NAME):
        check_writable(folder / name, overwrite=True)
    check_writable(folder / DIGESTS / "digest.html", overwrite=True)  # the folder, probed
    return folder


def update_events(
    events: pl.DataFrame, store: str | os.PathLike[str] | None, watchlist: Watchlist | None
) -> pl.DataFrame:
    """Return ``events`` with their points and, with a watchlist, the ``watches`` matched."""
    placed = event_places(events, store)
    if watchlist is None:
        return placed
    return placed.with_columns(watchlist.matched(placed).alias(WATCHES))


def write_feeds(
    store: str | os.PathLike[str] | None,
    feed_dir: str | os.PathLike[str],
    *,
    watchlist: Watchlist | None = None,
    feed_url: str | None = None,
    title: str = DEFAULT_TITLE,
    max_entries: int = MAX_ENTRIES,
) -> Feeds:
    """Write the Atom and JSON feeds of the store's ledger, and the digests they link to.

    One entry per update with events (with a watchlist: with watched
    events), the newest ``max_entries``, each linking to the update's
    digest in ``<feed_dir>/digests/``. The ledger is brought up to date
    first (:func:`~mining_licenses.changes.update_ledger`), so a snapshot
    written or accepted since is published too.

    Parameters
    ----------
    store
        The snapshot store whose ledger is published.
    feed_dir
        Folder for ``feed.xml``, ``feed.json`` and ``digests/`` (created).
    watchlist
        Only updates with watched events make entries (digests show all).
    feed_url
        The URL the folder is served at (``https://example.org/watch/``);
        default: its ``file://`` URL, for a reader on this machine.
    title
        The feeds' title (the entries' ids derive from it: keep it).
    max_entries
        Entries kept in the feeds, newest first.

    Examples
    --------
    >>> import tempfile
    >>> out = write_feeds(tempfile.mkdtemp(), tempfile.mkdtemp())
    >>> out.atom.name, out.json.name, len(out.entries)
    ('feed.xml', 'feed.json', 0)
    """
    from mining_licenses._version import __version__
    from mining_licenses.report._digest import digest_fingerprint, has_fingerprint, render_digest

    function = "write_feeds"
    check.whole(max_entries, name="max_entries", function=function, low=1, high=100_000)
    check.text(title, name="title", function=function)
    check.optional_text(feed_url, name="feed_url", function=function, max_chars=4096)
    wanted, hint = "a Watchlist or None", "read one with Watchlist.read(path)"
    check.optional_instance(
        watchlist, Watchlist, name="watchlist", function=function, wanted=wanted, hint=hint
    )
    folder = check_feed_dir(feed_dir)  # before any work
    base = _base(folder, feed_url)
    ledger = current_ledger(store)  # caught up first: snapshots written or accepted since
    scopes = snapshot_scopes(store)
    synthetic = {name: bool(scope.get("synthetic")) for name, scope in scopes.items()}
    feed = feed_id(title)
    marked = ledger
    if watchlist is not None:
        marked = (
            update_events(ledger, store, watchlist)
            if watchlist.needs_places
            else (ledger.with_columns(watchlist.matched(ledger).alias(WATCHES)))
        )
    items = entries(
        marked,
        base_url=base,
        feed=feed,
        synthetic=synthetic,
        watched=watchlist is not None,
        revised=revised_at(store),
    )[:max_entries]
    pages: list[tuple[Path, bytes]] = []
    where = {"Store": str(_config.store_dir(store))}
    for item in items:
        page = folder / DIGESTS / digest_name(item.snapshot)
        title = f"What changed on {item.published:%Y-%m-%d}"
        # what the page shows: the update's events and what the watchlist made of them (a
        # store moved elsewhere redraws nothing: its place is all that would change)
        marks = marked.filter(pl.col(v.SNAPSHOT_AFTER) == item.snapshot)
        drawn = digest_fingerprint(marks, synthetic=item.synthetic, title=title)
        if has_fingerprint(page, drawn):
            continue  # drawn already, and its update has not changed since
        rows = update_events(
            ledger.filter(pl.col(v.SNAPSHOT_AFTER) == item.snapshot), store, watchlist
        )
        html = render_digest(
            rows, synthetic=item.synthetic, title=title, provenance=where, fingerprint=drawn
        )
        pages.append((page, html.encode("utf-8")))
    newest = ledger[v.OBSERVED_AT].max() if ledger.height else None
    updated = newest if isinstance(newest, dt.datetime) else dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    home = items[0].url if items else base
    scope = "watched events" if watchlist is not None else "every change"
    subtitle = (
        f"Indonesia's mining-license registry (Sectors Financial API): {scope}, one entry "
        "per update, each linking to its digest."
    )
    json_text = json_feed(
        items, title=title, description=subtitle, feed_url=base + JSON_NAME, home_url=home
    )
    atom_text = atom(
        items,
        feed=feed,
        title=title,
        subtitle=subtitle,
        self_url=base + ATOM_NAME,
        home_url=home,
        updated=updated,
        version=__version__,
    )
    atom_path, json_path = folder / ATOM_NAME, folder / JSON_NAME
    write_together([*pages, (json_path, json_text), (atom_path, atom_text)], overwrite=True)
    written = tuple(page for page, _ in pages)
    return Feeds(atom_path, json_path, written, tuple(items))
