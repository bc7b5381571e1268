"""``mining-licenses update`` (the scheduled run) and ``mining-licenses events`` (the ledger).

The parser part is imported with the command line; the handlers import the
library only when they run, and ``update --if-due`` with nothing due imports
no more than the schedule needs (polars and the store's footers): what a
daily cron pays.

Exit codes of ``update``: 0 no watched event (or not due), 3 watched events
(every event counts without a watchlist), 2 an error (nothing half-written).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from mining_licenses import schema as s
from mining_licenses.cli._args import (
    CommandParser,
    add_filter_options,
    add_output_options,
    add_pull_options,
    add_store_option,
    iso_date,
    whole,
)

_EXIT_HELP = "exit codes: 0 no watched event (or not due), 3 watched events, 2 an error"


def add_commands(commands: Any, command: Any) -> None:
    """Add ``update`` and ``events`` to the subcommands (``command`` makes one)."""
    update: CommandParser = command(
        commands,
        "update",
        "the scheduled run: pull when due, append events, write feeds and digest",
    )
    update.epilog = _EXIT_HELP
    add_store_option(update)
    update.add_argument(
        "--feed-dir", type=Path, metavar="DIR", help="write feed.xml, feed.json and digests/ here"
    )
    update.add_argument(
        "--feed-url", metavar="URL", help="the URL DIR is served at (default: its file:// URL)"
    )
    update.add_argument(
        "--watchlist",
        type=Path,
        metavar="TOML",
        help="which events count as watched (default: all); see docs/monitoring.md",
    )
    update.add_argument(
        "--if-due",
        action="store_true",
        help="pull only if the provider refreshed since the newest snapshot "
        "(monthly, around the 1st): no credit, no network otherwise",
    )
    update.add_argument(
        "--refresh-day",
        type=whole(1, 28),
        default=1,
        metavar="D",
        help="day of the month the provider refreshes (default: 1)",
    )
    update.add_argument(
        "--refresh-lag-days",
        type=whole(0, 27),
        default=2,
        metavar="N",
        help="days after it the refresh counts as done (default: 2)",
    )
    update.add_argument(
        "--monthly-credits",
        type=whole(0),
        metavar="N",
        help="your plan's monthly allowance, to show the credits left",
    )
    update.add_argument("--base-url", help="default: SECTORS_BASE_URL or the public API")
    update.set_defaults(handler=run_update)
    add_pull_options(update)
    add_filter_options(update)

    events: CommandParser = command(commands, "events", "list the store's ledger of events")
    add_store_option(events)
    events.add_argument(
        "--event",
        action="append",
        metavar="TYPE",
        help="an event type (repeat for several); see docs/monitoring.md",
    )
    events.add_argument("--company", help="slug, key or name in any spelling")
    events.add_argument("--province", help="province (any case or known alias)")
    events.add_argument("--commodity-type", dest=s.COMMODITY, help="e.g. Coal, Nickel")
    events.add_argument("--wiup-code", dest=s.WIUP_CODE, help="one license")
    events.add_argument("--since", type=iso_date, metavar="DATE", help="observed on or after")
    events.add_argument("--until", type=iso_date, metavar="DATE", help="observed on or before")
    events.add_argument(
        "--limit",
        type=whole(1),
        default=30,
        metavar="N",
        help="events to print (default: 30, the newest)",
    )
    events.add_argument("--csv", type=Path, metavar="PATH", help="write every event as CSV")
    add_output_options(events, csv=True)
    events.add_argument(
        "--rebuild",
        action="store_true",
        help="recompute the ledger from the snapshots first (keeps pruned pairs)",
    )
    events.set_defaults(handler=run_events)


def _when(value: dt.datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value is not None else "no snapshot yet"


def run_update(args: argparse.Namespace) -> int:
    """Run ``mining-licenses update``; print a one-screen summary; return the exit code."""
    from mining_licenses.changes import RefreshSchedule

    schedule = RefreshSchedule(day=args.refresh_day, lag_days=args.refresh_lag_days)
    filters = {n: val for n in s.FILTERS if (val := getattr(args, n, None)) is not None}
    if args.if_due:  # the cheap path first: no pull machinery imported when nothing is due
        from mining_licenses.changes import check_due

        due = check_due(args.store, filters=filters, schedule=schedule)
        if not due.due:
            print(f"as of {_when(due.newest)} (snapshot {due.snapshot})")
            print(f"{due.reason}.")
            print("0 credits spent, nothing sent; 0 events. exit 0")
            return 0
    from mining_licenses._update import update
    from mining_licenses.client._options import NAMES

    options = {n: val for n in NAMES if (val := getattr(args, n, None)) is not None}
    result = update(
        store=args.store,
        feed_dir=args.feed_dir,
        feed_url=args.feed_url,
        base_url=args.base_url,
        watchlist=args.watchlist,
        schedule=schedule,
        monthly_credits=args.monthly_credits,
        **options,
        **filters,
    )
    _summary(result, args)
    return result.exit_code if result.pull is None or result.pull.sweep.complete else 2


def _summary(result: Any, args: argparse.Namespace) -> None:
    import polars as pl

    from mining_licenses.changes import EVENT_ORDER
    from mining_licenses.cli._tables import render_table
    from mining_licenses.store import provenance_line

    pulled = result.pull
    meta = pulled.meta()
    if meta.synthetic:
        print(provenance_line(meta))
    print(f"as of {_when(result.as_of)} (snapshot {result.snapshot}, source: {meta.source})")
    sweep = pulled.sweep
    left = (
        "" if result.credits_left is None else f"; {result.credits_left:,} credits left this month"
    )
    print(
        f"pulled {pulled.frame.height:,} licenses ({sweep.state}): {sweep.pages} pages, "
        f"{sweep.credits} spent{left}"
    )
    for note in result.notes:
        print(f"note: {note}")
    events = result.events
    if events.height:
        counts = events.group_by("event").len("events")
        rank = {k: i for i, k in enumerate(EVENT_ORDER)}
        counts = counts.sort(pl.col("event").replace_strict(rank, default=len(rank)))
        print(render_table(counts, title=f"{events.height:,} events in this update"))
    else:
        print("0 events: nothing changed since the snapshot before (or this is the first).")
    watched = result.watched
    if args.watchlist is not None:
        by = watched.select(pl.col("watches").explode()).group_by("watches").len()
        named = ", ".join(f"{name}: {n}" for name, n in sorted(by.rows()))
        print(f"watched: {watched.height:,}" + (f" ({named})" if named else ""))
    if result.feeds is not None:
        feeds = result.feeds
        print(f"feeds: {feeds.atom} and {feeds.json} ({len(feeds.entries)} entries)")
        for page in feeds.digests:
            print(f"digest: {page}")
    code = result.exit_code if sweep.complete else 2
    said = {0: "no watched event", 3: "watched events", 2: "incomplete pull"}[code]
    print(f"exit {code}: {said}")


def run_events(args: argparse.Namespace) -> int:
    """Run ``mining-licenses events``: counts by type, then the newest events."""
    import polars as pl

    from mining_licenses import _config, store
    from mining_licenses.changes import ledger_path, read_ledger, rebuild_ledger, update_ledger
    from mining_licenses.cli._outputs import check_outputs
    from mining_licenses.cli._tables import render_table

    check_outputs(args, "csv", sidecar=False)  # before any work
    if args.rebuild:
        done = rebuild_ledger(args.store)
        print(f"rebuilt {done.path}: {done.total:,} events")
    elif store.list_snapshots(args.store).height:
        update_ledger(args.store)  # snapshots written since (by hand, a notebook) are compared
    filters = {
        "event": args.event,
        "company": args.company,
        "province": args.province,
        "commodity_type": getattr(args, s.COMMODITY),
        "wiup_code": getattr(args, s.WIUP_CODE),
        "since": args.since,
        "until": args.until,
    }
    found = read_ledger(args.store, **{k: val for k, val in filters.items() if val is not None})
    path = ledger_path(args.store)
    if not path.exists():
        print(
            f"No ledger in {_config.store_dir(args.store)}: `mining-licenses update` or "
            "`mining-licenses pull` makes one as it writes snapshots."
        )
        return 0
    if not found.height:
        print(f"0 events in {path} match.")
        return 0
    counts = found.group_by("event").len("events").sort("events", descending=True)
    print(render_table(counts, title=f"{found.height:,} events in {path}"))
    newest = found.sort("observed_at", descending=True, maintain_order=True).head(args.limit)
    shown = newest.select(
        pl.col("observed_at").dt.strftime("%Y-%m-%d"),
        "event",
        "key",
        "company_name",
        "province",
        "detail",
    )
    print(render_table(shown, title="newest events"))
    if found.height > args.limit:
        print(f"... and {found.height - args.limit:,} more: --limit N prints more, --csv all")
    if args.csv:
        from mining_licenses import _csv
        from mining_licenses._atomic import write_atomic

        write_atomic(
            args.csv,
            lambda temp: _csv.write_csv(found, temp, safe=not args.raw_csv),
            overwrite=args.overwrite,
        )
        print(f"wrote {found.height:,} events to {args.csv}")
    return 0
