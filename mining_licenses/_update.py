"""``update()``: the scheduled run: pull when due, append the events, publish the feeds.

What ``mining-licenses update`` runs from cron, a systemd timer or a CI
schedule. With ``if_due=True`` it first asks :func:`~mining_licenses.changes.check_due`
whether the provider has refreshed since the newest snapshot; if not, it
returns at once (no pull, no credit, no network). Otherwise it pulls
(resuming an interrupted pull, within the budget), the pull writes the
snapshot and appends its events to the ledger, and the feeds and the
update's digest are written, all together or none (``write_feeds``). The
feed folder is checked writable first, before the schedule is asked or any
credit spent. The result says which events matched the watchlist: the
command exits 3 when any did, 0 when none did, 1 when the pull came back
incomplete or its snapshot was held back (nothing compared).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from mining_licenses import _validate as check
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

#: Exit codes of ``mining-licenses update`` (0, 1 and 2 as every command's: ``cli._args``;
#: a test checks they agree).
EXIT_QUIET: Final = 0
#: The pull came back incomplete, or its snapshot is held back: nothing was compared.
EXIT_NOT_COMPARED: Final = 1
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
    notes
        What the summary should say besides (the sweep's notes, a held-back snapshot).
    compared
        Whether the new snapshot was compared with the one before it (False:
        an incomplete pull, or a snapshot held back until accepted).
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
    compared: bool = True

    @property
    def exit_code(self) -> int:
        """3 watched events; 1 nothing compared (incomplete, held back); else 0 (2: an error)."""
        if self.watched.height:
            return EXIT_WATCHED
        return EXIT_QUIET if self.compared else EXIT_NOT_COMPARED

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
    accept_shrink: bool = False,
    options: PullOptions | None = None,
    **arguments: Any,
) -> UpdateResult:
    """Pull (when due), append the new snapshot's events to the ledger, write the feeds.

    Parameters
    ----------
    store
        The snapshot store (default: ``MINING_LICENSES_DATA``).
    feed_dir
        Where to write ``feed.xml``, ``feed.json`` and the digests; None: no
        feeds. Checked writable before anything else (no credit is spent on a
        run whose feeds cannot be written).
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
    accept_shrink
        Use the new snapshot even if it lacks more than a fifth of the
        licenses of the one before (default: it is written but held back,
        and not compared until accepted; see :func:`~mining_licenses.store.accept_snapshot`).
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
    from mining_licenses._pull import checked_arguments

    function = "update"
    opts, clean = checked_arguments(
        function,
        options,
        arguments,
        api_key=api_key,
        base_url=base_url,
        flags={"if_due": if_due, "synthetic": synthetic, "accept_shrink": accept_shrink},
    )
    check.optional_path(feed_dir, name="feed_dir", function=function, folder=True)
    check.optional_text(feed_url, name="feed_url", function=function, max_chars=4096)
    wanted = "a RefreshSchedule or None"
    check.optional_instance(
        schedule, RefreshSchedule, name="schedule", function=function, wanted=wanted
    )
    now = check.moment(now, name="now", function=function, dates=False)
    if watchlist is None or isinstance(watchlist, Watchlist):
        watch = watchlist
    else:
        watch = Watchlist.read(check.path(watchlist, name="watchlist", function=function))
    whole = isinstance(monthly_credits, int) and not isinstance(monthly_credits, bool)
    if monthly_credits is not None and (not whole or monthly_credits < 0):
        msg = f"monthly_credits={monthly_credits!r} must be a whole number of 0 or more."
        raise ConfigurationError(msg)
    if feed_dir is not None:  # before the schedule is asked or any credit spent
        from mining_licenses.feeds import check_feed_dir

        check_feed_dir(feed_dir)
    due = check_due(store, filters=clean, schedule=schedule, now=now) if if_due else None
    if due is not None and not due.due:
        left = None if monthly_credits is None else credits_left(store, monthly_credits, now=now)
        return UpdateResult(
            due, None, empty_events(), empty_events(), None, 0, left, due.newest, due.snapshot
        )
    from mining_licenses._pull import company_for_api, pull

    sent = company_for_api(clean, store=store, base_url=base_url)
    pulled = pull(
        api_key=api_key,
        base_url=base_url,
        store=store,
        synthetic=synthetic,
        options=opts,
        accept_shrink=accept_shrink,
        **sent,
    )
    notes = list(pulled.sweep.notes)
    update_ledger(store)  # pull appended already; this catches up a ledger left behind
    snapshot = pulled.snapshot.name if pulled.snapshot is not None else None
    found = read_ledger(store).filter(pl.col(v.SNAPSHOT_AFTER) == snapshot)
    compared = pulled.sweep.complete
    if not pulled.sweep.complete:
        notes.append(
            "the pull is incomplete: its snapshot is kept but never compared (its missing "
            "licenses would read as vanished); a rerun resumes it"
        )
    shrink = pulled.meta().shrink if pulled.snapshot is not None else None
    if shrink and pulled.snapshot is not None:
        from mining_licenses.store._shrink import is_held_back, shrink_message

        compared = compared and not is_held_back(shrink, pulled.snapshot)
        notes.append(shrink_message(pulled.snapshot, shrink))
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
        compared=compared,
    )
