"""``mining-licenses update`` (the scheduled run) and ``mining-licenses events`` (the ledger).

The parser part is imported with the command line; the handlers import the
library only when they run, and ``update --if-due`` with nothing due imports
no more than the schedule needs (polars and the store's footers): what a
daily cron pays.

Both follow the conventions of every command (``_args.EXIT_CODES``,
``_data.Data.header``): the answer starts with the synthetic label (if so)
and the ``as of`` line of the snapshot it is as of; files are checked
writable before any work or credit (the feed folder, ``events --csv``) and
published whole, with their sidecars.

Exit codes of ``update``: 0 no watched event (or not due), 3 watched events
(every event counts without a watchlist), 1 nothing compared (the pull came
back incomplete, or its snapshot is held back), 2 an error (nothing
half-written). Of ``events``: 0 events listed, 1 an empty answer (no
ledger, or no event matches: the message says why), 2 an error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mining_licenses import schema as s
from mining_licenses.cli._args import (
    EXIT_OK,
    CommandParser,
    add_accept_shrink,
    add_filter_options,
    add_output_options,
    add_pull_options,
    add_store_option,
    iso_date,
    whole,
)

if TYPE_CHECKING:
    import polars as pl

    from mining_licenses._update import UpdateResult
    from mining_licenses.cli._data import Data
    from mining_licenses.loader import Origin
    from mining_licenses.store import SnapshotMeta

_EXIT_HELP = (
    "Exit codes: 0 no watched event (or not due); 3 watched events; 1 nothing compared "
    "(an incomplete pull, or a snapshot held back); 2 an error (one line on stderr)."
)
_EVENTS_EXIT_HELP = (
    "Exit codes: 0 events listed; 1 an empty answer (no ledger, or no event matches: the "
    "message says why); 2 an error (one line on stderr)."
)


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
    add_accept_shrink(update)
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
    events.epilog = _EVENTS_EXIT_HELP
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


def _data(
    meta: SnapshotMeta,
    origin: Origin,
    path: Path | None,
    *,
    frame: pl.DataFrame | None = None,
    filters: dict[str, Any] | None = None,
) -> Data:
    """Return the answer's data as every command has it (for its label and as-of line)."""
    import polars as pl

    from mining_licenses.cli._data import Data
    from mining_licenses.loader import Loaded

    loaded = Loaded(frame if frame is not None else pl.DataFrame(), meta, origin, path)
    return Data(loaded, dict(filters or {}))


def _snapshot_data(path: Path) -> Data:
    from mining_licenses.store import read_snapshot_meta

    return _data(read_snapshot_meta(path), "snapshot", path)


def run_update(args: argparse.Namespace) -> int:
    """Run ``mining-licenses update``; print a one-screen summary; return the exit code."""
    from mining_licenses import _config
    from mining_licenses.changes import RefreshSchedule

    schedule = RefreshSchedule(day=args.refresh_day, lag_days=args.refresh_lag_days)
    filters = {n: val for n in s.FILTERS if (val := getattr(args, n, None)) is not None}
    if args.if_due:  # the cheap path first: no pull machinery imported when nothing is due
        from mining_licenses.changes import check_due

        if args.feed_dir is not None:  # what update() checks first, checked here too
            from mining_licenses.feeds import check_feed_dir

            check_feed_dir(args.feed_dir)
        due = check_due(args.store, filters=filters, schedule=schedule)
        if not due.due and due.snapshot is not None:
            print(_snapshot_data(_config.store_dir(args.store) / due.snapshot).header())
            print(f"{due.reason}.")
            print(f"0 credits spent, nothing sent; 0 events. exit {EXIT_OK}: not due")
            return EXIT_OK
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
        accept_shrink=args.accept_shrink,
        **options,
        **filters,
    )
    return _summary(result, args, filters)


def _summary(result: UpdateResult, args: argparse.Namespace, filters: dict[str, Any]) -> int:
    """Print the one-screen summary of an update; return its exit code."""
    import polars as pl

    from mining_licenses._terms import count_rows
    from mining_licenses.cli._tables import render_table

    pulled = result.pull
    assert pulled is not None  # a pull that was not due is answered before
    print(
        _data(pulled.meta(), "api", pulled.snapshot, frame=pulled.frame, filters=filters).header()
    )
    sweep = pulled.sweep
    left = (
        "" if result.credits_left is None else f"; {result.credits_left:,} credits left this month"
    )
    print(
        f"pulled {count_rows(pulled.frame.height, sweep.duplicates_upstream)} ({sweep.state}): "
        f"{sweep.pages} pages, "
        f"{sweep.credits} spent{left}"
    )
    for note in result.notes:
        print(f"note: {note}")
    events = result.events
    if events.height:
        print(render_table(_counts(events), title=f"{_events(events.height)} in this update"))
    elif result.compared:
        print("0 events: nothing changed since the snapshot before (or this is the first).")
    else:
        print("0 events: the new snapshot was not compared (see the note above).")
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
    from mining_licenses._update import EXIT_NOT_COMPARED, EXIT_QUIET, EXIT_WATCHED

    code = result.exit_code
    said = {
        EXIT_QUIET: "no watched event",
        EXIT_WATCHED: "watched events",
        EXIT_NOT_COMPARED: "nothing compared",
    }[code]
    print(f"exit {code}: {said}")
    return code


def _events(count: int) -> str:
    """Count events in words, singular for one (``1 event``, ``1,212 events``)."""
    return f"{count:,} event" if count == 1 else f"{count:,} events"


def _counts(events: pl.DataFrame) -> pl.DataFrame:
    """Events by type, in the vocabulary's order."""
    import polars as pl

    from mining_licenses.changes import EVENT_ORDER

    rank = pl.col("event").replace_strict(
        {k: i for i, k in enumerate(EVENT_ORDER)}, default=len(EVENT_ORDER)
    )
    return events.group_by("event").len("events").sort(rank)


def _empty_reason(args: argparse.Namespace, filters: dict[str, Any], path: Path) -> str:
    """Say why no event matches: the ledger is empty, or what each filter matches alone."""
    from mining_licenses.changes import read_ledger

    held = read_ledger(args.store).height
    if not held:
        return (
            f"the ledger {path} holds no event yet: no snapshot differed from the one before "
            "it (or there is one snapshot so far)."
        )
    if len(filters) == 1:
        return f"no event of the {held:,} in {path} matches {_option(filters)}."
    alone = "; ".join(
        f"{_option({name: value})} alone matches "
        f"{read_ledger(args.store, **{name: value}).height:,}"
        for name, value in filters.items()
    )
    return f"no event of the {held:,} in {path} matches them all: {alone}."


def _option(filters: dict[str, Any]) -> str:
    """Return the filters as the options that gave them (``--event new --province Aceh``)."""
    from mining_licenses import _terms

    shown = []
    for name, value in filters.items():
        values = value if isinstance(value, list) else [value]
        shown += [_terms.option(name, str(one)) for one in values]
    return " ".join(shown)


def run_events(args: argparse.Namespace) -> int:
    """Run ``mining-licenses events``: the as-of line, counts by type, then the newest events."""
    import polars as pl

    from mining_licenses import _config, store
    from mining_licenses.changes import (
        ledger_path,
        ledger_snapshot,
        read_ledger,
        rebuild_ledger,
        update_ledger,
    )
    from mining_licenses.cli._data import say_empty
    from mining_licenses.cli._outputs import check_outputs, write_with_sidecar
    from mining_licenses.cli._tables import render_table

    check_outputs(args, "csv")  # before any work
    rebuilt = rebuild_ledger(args.store) if args.rebuild else None
    if rebuilt is None and store.list_snapshots(args.store).height:
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
    given = {k: val for k, val in filters.items() if val is not None}
    found = read_ledger(args.store, **given)
    path = ledger_path(args.store)
    newest = ledger_snapshot(args.store)
    if not path.exists() or newest is None:
        return say_empty(
            None,
            f"no ledger in {_config.store_dir(args.store)}: `mining-licenses update` or "
            "`mining-licenses pull` makes one as it writes snapshots.",
        )
    data = _snapshot_data(newest)
    print(data.header())
    if rebuilt is not None:
        print(f"rebuilt {rebuilt.path}: {_events(rebuilt.total)}")
        for note in rebuilt.notes:
            print(f"note: {note}")
    if not found.height:
        return say_empty(data, _empty_reason(args, given, path))
    print(render_table(_counts(found), title=f"{_events(found.height)} in {path}"))
    latest = found.sort("observed_at", descending=True, maintain_order=True).head(args.limit)
    shown = latest.select(
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
        write_with_sidecar(
            found,
            args.csv,
            data.meta,
            as_of=data.as_of,
            overwrite=args.overwrite,
            csv_safe=not args.raw_csv,
        )
        print(
            f"wrote {_events(found.height)} to {args.csv} and its provenance "
            f"{store.sidecar_path(args.csv)}"
        )
    return EXIT_OK
