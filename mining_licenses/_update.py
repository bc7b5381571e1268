"""``update()``: the scheduled run: pull when due, append the events, publish the feeds.

What ``mining-licenses update`` runs from cron, a systemd timer or a CI
schedule. With ``if_due=True`` it first asks :func:`~mining_licenses.changes.check_due`
whether the provider has refreshed since the newest snapshot; if not, it
returns at once (no pull, no credit, no network). Otherwise it pulls
(resuming an interrupted pull, within the budget), the pull writes the
snapshot and appends its events to the ledger, and the feeds and the
update's digest are written. The result says which events matched the
watchlist: the command exits 3 when any did, 0 when none did.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from mining_licenses._errors import ConfigurationError
from mining_licenses.changes import (
    Due,
    RefreshSchedule,
    Watchlist,
    check_due,
    empty_events,
    read_ledger,
    update_ledger,
)
from mining_licenses.changes import vocabulary as v

if TYPE_CHECKING:
    from mining_licenses._pull import Pull
    from mining_licenses.client import PullOptions
    from mining_licenses.feeds import Feeds

#: Exit codes of ``mining-licenses update``.
EXIT_QUIET: Final = 0
EXIT_ERROR: Final = 2
EXIT_WATCHED: Final = 3


@dataclass(frozen=True, repr=False)
class UpdateResult:
    """What an update did.

    Attributes
    ----------
    due
        The schedule's answer (``if_due=True`` only).
    pull
        The pull, or None when it was not due.
    events
        The events this update appended to the ledger.
    watched
        Those a watchlist matched (all of them without a watchlist), with a
        ``watches`` list column when a watchlist was given.
    feeds
        The feeds written (``feed_dir`` given).
    credits_spent
        Credits this update spent.
    credits_left
        Credits left this month (UTC) when ``monthly_credits`` was given:
        the allowance less what this store's snapshots of the month spent.
    as_of
        ``fetched_at`` of the newest snapshot the answer is as of.
    snapshot
        Its file name.
    """

    due: Due | None
    pull: Pull | None
    events: pl.DataFrame
    watched: pl.DataFrame
    feeds: Feeds | None
    credits_spent: int
    credits_left: int | None
    as_of: dt.datetime | None
    snapshot: str | None
    notes: tuple[str, ...] = field(default=())

    @property
    def exit_code(self) -> int:
        """3 when watched events were found, else 0 (the command exits 2 on an error)."""
        return EXIT_WATCHED if self.watched.height else EXIT_QUIET

    def __repr__(self) -> str:
        pulled = "pulled" if self.pull is not None else "not pulled"
        return (
            f"UpdateResult({pulled}, {self.events.height} events, {self.watched.height} watched, "
            f"{self.credits_spent} credits, as of {self.as_of})"
        )


def credits_left(
    store: str | os.PathLike[str] | None, monthly: int, *, now: dt.datetime | None = None
) -> int:
    """Return ``monthly`` less the credits this store's snapshots spent this month (UTC).

    Examples
    --------
    >>> import tempfile
    >>> credits_left(tempfile.mkdtemp(), 5000)
    5000
    """
    from mining_licenses.store import list_snapshots

    when = now or dt.datetime.now(dt.UTC)
    start = dt.datetime(when.year, when.month, 1, tzinfo=dt.UTC)
    listing = list_snapshots(store).filter(pl.col("fetched_at") >= start)
    spent = int(listing["credits_spent"].fill_null(0).sum())
    return monthly - spent


def update(
    *,
    store: str | os.PathLike[str] | None = None,
    feed_dir: str | os.PathLike[str] | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    watchlist: Watchlist | str | os.PathLike[str] | None = None,
    if_due: bool = False,
    schedule: RefreshSchedule | None = None,
    monthly_credits: int | None = None,
    feed_url: str | None = None,
    synthetic: bool = False,
    now: dt.datetime | None = None,
    options: PullOptions | None = None,
    **arguments: Any,
) -> UpdateResult:
    """Pull (when due), append the new snapshot's events to the ledger, write the feeds.

    Parameters
    ----------
    store
        The snapshot store (default: ``MINING_LICENSES_DATA``).
    feed_dir
        Where to write ``feed.xml``, ``feed.json`` and the digests; None: no feeds.
    api_key, base_url
        As for :func:`~mining_licenses.pull` (the key defaults to ``SECTORS_API_KEY``).
    watchlist
        A :class:`~mining_licenses.changes.Watchlist` or the path of its TOML
        file: which events count as watched (default: every event).
    if_due
        Pull only when the provider has refreshed since the newest complete
        snapshot of these filters (see :class:`~mining_licenses.changes.RefreshSchedule`);
        otherwise return at once, spending nothing.
    schedule
        The provider's refresh schedule (default: monthly, taken as done on the 3rd).
    monthly_credits
        Your plan's monthly allowance, to report the credits left.
    feed_url
        The URL the feed folder is served at (default: its ``file://`` URL).
    synthetic
        Mark the snapshot synthetic (a replica serving made-up records).
    now
        The time the schedule is checked at (default: the clock).
    options, **arguments
        :class:`~mining_licenses.client.PullOptions` fields (``budget=``,
        ``resume=``...) and the API's filters, as for :func:`~mining_licenses.pull`.

    Examples
    --------
    A daily cron that pulls once a month (the key in ``SECTORS_API_KEY``)::

        result = update(store="~/mining", feed_dir="~/public/mining", if_due=True,
                        watchlist="~/mining/watch.toml", monthly_credits=5000, budget=200)
        raise SystemExit(result.exit_code)
    """
    from mining_licenses._filters import validate_filters
    from mining_licenses.client import PullOptions

    changes, filters = PullOptions.split(arguments)
    opts = (options or PullOptions()).replace(**changes)
    clean = validate_filters(filters)
    watch = Watchlist.read(watchlist) if isinstance(watchlist, str | os.PathLike) else watchlist
    whole = isinstance(monthly_credits, int) and not isinstance(monthly_credits, bool)
    if monthly_credits is not None and (not whole or monthly_credits < 0):
        msg = f"monthly_credits={monthly_credits!r} must be a whole number of 0 or more."
        raise ConfigurationError(msg)
    due = check_due(store, filters=clean, schedule=schedule, now=now) if if_due else None
    if due is not None and not due.due:
        left = None if monthly_credits is None else credits_left(store, monthly_credits, now=now)
        return UpdateResult(
            due, None, empty_events(), empty_events(), None, 0, left, due.newest, due.snapshot
        )
    from mining_licenses._pull import company_for_api, pull

    sent = company_for_api(clean, store=store, base_url=base_url)
    pulled = pull(
        api_key=api_key, base_url=base_url, store=store, synthetic=synthetic, options=opts, **sent
    )
    notes = list(pulled.sweep.notes)
    update_ledger(store)  # pull appended already; this catches up a ledger left behind
    snapshot = pulled.snapshot.name if pulled.snapshot is not None else None
    found = read_ledger(store).filter(pl.col(v.SNAPSHOT_AFTER) == snapshot)
    if not pulled.sweep.complete:
        notes.append(
            "the pull is incomplete: its snapshot is kept but never compared (its missing "
            "licenses would read as vanished); a rerun resumes it"
        )
    feeds = None
    if feed_dir is not None:
        from mining_licenses.feeds import write_feeds

        feeds = write_feeds(store, feed_dir, watchlist=watch, feed_url=feed_url)
    watched = found
    if watch is not None:
        from mining_licenses.feeds._publish import update_events

        marked = update_events(found, store, watch)
        watched = marked.filter(pl.col("watches").list.len() > 0)
    left = None if monthly_credits is None else credits_left(store, monthly_credits, now=now)
    return UpdateResult(
        due=due,
        pull=pulled,
        events=found,
        watched=watched,
        feeds=feeds,
        credits_spent=pulled.sweep.credits_spent,
        credits_left=left,
        as_of=pulled.sweep.finished_at,
        snapshot=snapshot,
        notes=tuple(notes),
    )
