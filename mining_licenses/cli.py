"""The ``mining-licenses`` command: thin argument parsing over the library.

Only this module prints. Every subcommand returns an exit code: 0 on success,
2 when the package reports an error (printed on one line, with what to do).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import polars as pl

from mining_licenses import __version__, _config, analytics, store
from mining_licenses import schema as s
from mining_licenses._errors import (
    ConfigurationError,
    MiningLicensesError,
    SnapshotError,
    SyntheticDataWarning,
)
from mining_licenses._filters import apply_filters
from mining_licenses._tables import csv_ready, render_table, render_tables, summary_tables
from mining_licenses.loader import SOURCES, frame_as_of, load_licenses, pull

Handler = Callable[[argparse.Namespace], int]


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {name: value for name in s.FILTERS if (value := getattr(args, name, None)) is not None}


def _add_filter_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters (the API's own)")
    group.add_argument("--company", help="company slug or normalised name key")
    group.add_argument("--province", help="province, exact (e.g. 'Kalimantan Timur')")
    group.add_argument("--commodity-type", dest=s.COMMODITY, help="e.g. Coal, Nickel")
    group.add_argument("--license-type", dest=s.LICENSE_TYPE, help="IUP, IUPK, KK, ...")
    group.add_argument("--activity", help="Eksplorasi or 'Operasi Produksi'")
    group.add_argument("--cnc", help="CNC or non-CNC")
    group.add_argument(
        "--expiring-soon",
        dest="expiring_soon",
        action="store_const",
        const=True,
        help="only licenses expiring within 365 days",
    )


#: Columns the ``expiring`` command prints (the CSV/JSON files carry every column).
_EXPIRING_COLUMNS = (
    s.WIUP_CODE,
    s.COMPANY_NAME,
    s.LICENSE_TYPE,
    s.COMMODITY,
    s.PROVINCE,
    s.EXPIRY_DATE,
    analytics.DAYS_TO_EXPIRY,
    s.AREA_HA,
)


def _load(args: argparse.Namespace) -> pl.DataFrame:
    frame = load_licenses(source=args.source, as_="polars", **_filters(args))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _cmd_summary(args: argparse.Namespace) -> int:
    frame = _load(args)
    print(render_tables(summary_tables(frame, as_of=args.as_of, top=args.top)))
    return 0


def _cmd_expiring(args: argparse.Namespace) -> int:
    soon = analytics.expiring_soon(_load(args), within_days=args.within_days, as_of=args.as_of)
    assert isinstance(soon, pl.DataFrame)
    title = (
        f"{soon.height:,} licenses expiring within {args.within_days} days "
        f"({soon[s.AREA_HA].sum():,.1f} ha)"
    )
    print(render_table(soon.select(_EXPIRING_COLUMNS).head(args.limit), title=title))
    if soon.height > args.limit:
        more = soon.height - args.limit
        print(f"... and {more:,} more: --limit N prints more, --csv/--json write them all")
    if args.csv:
        csv_ready(soon).write_csv(args.csv)
        print(f"wrote {args.csv}")
    if args.json:
        soon.write_json(args.json)
        print(f"wrote {args.json}")
    return 0


def _cmd_replica(args: argparse.Namespace) -> int:
    from mining_licenses.replica import Faults, Replica, serve

    records = None
    if args.records:
        try:
            loaded = json.loads(Path(args.records).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            msg = f"Cannot read records from {args.records}: {err}. Give a JSON list of records."
            raise ConfigurationError(msg) from err
        records = loaded["results"] if isinstance(loaded, dict) else loaded
    faults = Faults(
        latency=args.latency,
        unstable_ties=args.unstable_ties,
        rate_limit_every=args.rate_limit_every,
        retry_after=args.retry_after,
        server_error_every=args.server_error_every,
        drop_every=args.drop_every,
    )

    def ready(replica: Replica) -> None:
        print(
            f"Serving {len(replica.records):,} records at {replica.url}/v2/mining/licenses/ "
            "(Ctrl-C stops)."
        )
        print(f"Point the client at it: SECTORS_BASE_URL={replica.url}", flush=True)

    serve(
        records,
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        faults=faults,
        on_ready=ready,
    )
    return 0


def _cmd_pull(args: argparse.Namespace) -> int:
    result = pull(
        base_url=args.base_url,
        store=args.store,
        budget=args.budget,
        strict=args.strict,
        max_in_flight=args.max_in_flight,
        write=not args.no_write,
        **_filters(args),
    )
    sweep = result.sweep
    state = "complete" if sweep.complete else f"INCOMPLETE, {sweep.missing} missing"
    print(
        f"{result.frame.height:,} licenses ({state}); {sweep.pages} pages, "
        f"{sweep.credits_spent} credits, {sweep.requests} requests"
    )
    if result.snapshot:
        print(f"snapshot: {result.snapshot}")
    return 0 if sweep.complete else 1


def _cmd_report(args: argparse.Namespace) -> int:
    from mining_licenses.report import write_report

    if args.snapshot == "sample":
        path: Path = store.bundled_sample_path()
    elif args.snapshot == "latest":
        listing = store.list_snapshots(args.store)
        if not listing.height:
            msg = (
                f"The store {_config.store_dir(args.store)} holds no snapshot. Run "
                "`mining-licenses pull` first, or `--snapshot sample` for the bundled sample."
            )
            raise SnapshotError(msg)
        path = Path(listing[-1, "path"])
    else:
        path = Path(args.snapshot)
    frame = store.read_snapshot(path)
    assert isinstance(frame, pl.DataFrame)
    out = write_report(frame, args.out, meta=store.read_snapshot_meta(path), as_of=args.as_of)
    print(f"Report: {out.resolve()} (open it in any browser; it needs no network)")
    return 0


def _cmd_snapshots(args: argparse.Namespace) -> int:
    listing = store.list_snapshots(args.store)
    if not listing.height:
        print(
            f"No snapshot in {_config.store_dir(args.store)}: `mining-licenses pull` makes one "
            "(needs SECTORS_API_KEY)."
        )
        return 0
    shown = listing.select(
        pl.col("path").str.extract(r"([^/\\]+)$").alias("file"),
        pl.col(s.FETCHED_AT).dt.strftime("%Y-%m-%d %H:%M:%SZ"),
        "source",
        "records",
        "total_count",
        "complete",
        "synthetic",
        "filters",
    )
    title = f"{listing.height} snapshot(s) in {_config.store_dir(args.store)}"
    print(render_table(shown, title=title))
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    older, newer = args.older, args.newer
    if older is None or newer is None:
        paths = store.list_snapshots(args.store)["path"].to_list()
        if len(paths) < 2:
            msg = "diff needs two snapshots: name them, or pull twice into the store."
            raise ConfigurationError(msg)
        older, newer = older or paths[-2], newer or paths[-1]
    result = store.diff_snapshots(older, newer, store=args.store)
    print(f"{Path(older).name} -> {Path(newer).name}")
    print(render_table(pl.DataFrame([result.summary]), title="summary", side_on=True))
    if result.changed.height:
        print(render_table(result.by_field(), title="changed fields"))
        print(render_table(result.changed.drop("key").head(args.limit), title="changes"))
        if result.changed.height > args.limit:
            print(f"... and {result.changed.height - args.limit:,} more (--csv writes them all)")
    if args.csv:
        result.changed.write_csv(args.csv)
        print(f"wrote {args.csv}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    if args.path.suffix.lower() not in store.EXPORT_FORMATS:
        msg = f"Cannot export to {args.path}: use one of {', '.join(store.EXPORT_FORMATS)}."
        raise ConfigurationError(msg)
    if args.path.exists() and not args.overwrite:
        msg = f"{args.path} exists; pass --overwrite to replace it."
        raise ConfigurationError(msg)
    if args.snapshot:
        frame = store.read_snapshot(args.snapshot, store=args.store)
        frame = apply_filters(frame, _filters(args), as_of=frame_as_of(frame))
    else:
        frame = _load(args)
    path = store.export(frame, args.path, overwrite=args.overwrite)
    print(f"wrote {frame.height:,} licenses to {path}")
    return 0


#: The summary tables the demo prints (the report shows them all).
_DEMO_TABLES = ("totals", "area_by_province", "top_companies", "concentration")


def _cmd_demo(args: argparse.Namespace) -> int:
    from mining_licenses._demo import run_demo

    print("mining-licenses demo: the synthetic sample, served by a local replica of the")
    print("Sectors API on 127.0.0.1, pulled page by page through the real client.\n")
    result = run_demo(args.out, latency=args.latency, progress=not args.quiet)
    sweep = result.pulled.sweep
    state = "verified complete" if sweep.complete else f"INCOMPLETE, {sweep.missing} missing"
    print(
        f"\nPulled {len(sweep.records):,} of {sweep.total_count:,} licenses ({state}) from "
        f"{result.replica_url}: {sweep.pages} pages, {sweep.credits_spent} credits, "
        f"{result.requests_served} requests served.\n"
    )
    tables = summary_tables(result.pulled.frame, top=5)
    short = {name: tables[name].head(10) for name in _DEMO_TABLES}
    print(render_tables(short))
    print("\n(The report has the rest: expiry schedule, license ages, data quality, a map.)")
    print("\nWhere everything went:")
    print(f"  snapshot (GeoParquet): {result.pulled.snapshot}")
    print(f"  report (HTML):         {result.report.resolve()}")
    print(f"\nDemo finished in {result.seconds:.1f} s; the replica is stopped.")
    return 0


def _add_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        choices=SOURCES,
        default="auto",
        help="where the data comes from (default: auto = snapshot, else API, else sample)",
    )
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        help="reference day, YYYY-MM-DD (default: the day the data was fetched)",
    )


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    del filename, lineno, file, line
    print(f"warning ({category.__name__}): {message}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``mining-licenses`` command."""
    parser = argparse.ArgumentParser(
        prog="mining-licenses",
        description="Indonesia's mining-license registry: pull, summarise, map, export.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="the whole pipeline on the bundled sample, through a local replica"
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("demo-output"),
        help="folder for the snapshot store and report (default: demo-output)",
    )
    demo.add_argument(
        "--latency", type=float, default=0.02, help="replica latency per request, seconds"
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(handler=_cmd_demo)

    summary = commands.add_parser(
        "summary",
        help="totals, area by province, top companies, concentration, ages, data quality",
    )
    _add_source(summary)
    summary.add_argument(
        "--top", type=int, default=10, metavar="N", help="companies to list (default: 10)"
    )
    _add_filter_options(summary)
    summary.set_defaults(handler=_cmd_summary)

    expiring = commands.add_parser(
        "expiring", help="licenses expiring within N days (both ends inclusive)"
    )
    _add_source(expiring)
    expiring.add_argument(
        "--within-days",
        type=int,
        default=s.EXPIRING_SOON_DAYS,
        metavar="N",
        help=f"window length in days (default: {s.EXPIRING_SOON_DAYS}, as the API)",
    )
    expiring.add_argument(
        "--limit", type=int, default=30, metavar="N", help="rows to print (default: 30)"
    )
    expiring.add_argument("--csv", type=Path, metavar="PATH", help="write every row as CSV")
    expiring.add_argument("--json", type=Path, metavar="PATH", help="write every row as JSON")
    _add_filter_options(expiring)
    expiring.set_defaults(handler=_cmd_expiring)
    report = commands.add_parser("report", help="write the self-contained HTML report")
    report.add_argument(
        "--snapshot",
        default="latest",
        help="snapshot file, 'latest' (default) or 'sample' (the bundled synthetic one)",
    )
    report.add_argument("--store", help="snapshot folder (default: MINING_LICENSES_DATA)")
    report.add_argument("--out", type=Path, default=Path("report.html"), help="HTML to write")
    report.add_argument("--as-of", metavar="DATE", help="reference day, YYYY-MM-DD")
    report.set_defaults(handler=_cmd_report)

    snapshots = commands.add_parser("snapshots", help="list the snapshots in the store")
    snapshots.add_argument("--store", help="snapshot folder (default: MINING_LICENSES_DATA)")
    snapshots.set_defaults(handler=_cmd_snapshots)

    diff = commands.add_parser(
        "diff", help="licenses added, removed and changed between two snapshots"
    )
    diff.add_argument("older", nargs="?", help="snapshot file or name (default: second newest)")
    diff.add_argument("newer", nargs="?", help="snapshot file, name or 'latest' (default: newest)")
    diff.add_argument("--store", help="snapshot folder (default: MINING_LICENSES_DATA)")
    diff.add_argument("--limit", type=int, default=30, metavar="N", help="changes to print")
    diff.add_argument("--csv", type=Path, metavar="PATH", help="write every change as CSV")
    diff.set_defaults(handler=_cmd_diff)

    export_cmd = commands.add_parser(
        "export", help="write the licenses for GIS use (.parquet .gpkg .fgb .geojson .csv)"
    )
    export_cmd.add_argument("path", type=Path, help="output file; its extension picks the format")
    export_cmd.add_argument(
        "--snapshot", metavar="FILE", help="export this snapshot (a file, a name or 'latest')"
    )
    export_cmd.add_argument("--store", help="snapshot folder (default: MINING_LICENSES_DATA)")
    export_cmd.add_argument("--overwrite", action="store_true", help="replace an existing file")
    _add_source(export_cmd)
    _add_filter_options(export_cmd)
    export_cmd.set_defaults(handler=_cmd_export)

    replica = commands.add_parser("replica", help="serve a local stand-in of the API on 127.0.0.1")
    replica.add_argument("--port", type=int, default=8000)
    replica.add_argument("--host", default="127.0.0.1")
    replica.add_argument(
        "--records", help="JSON file of API records (default: the synthetic sample)"
    )
    replica.add_argument("--api-key", help="require this key (default: accept any request)")
    replica.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    replica.add_argument(
        "--unstable-ties", action="store_true", help="order ties randomly per request"
    )
    replica.add_argument("--rate-limit-every", type=int, default=0, metavar="N")
    replica.add_argument("--retry-after", type=float, default=None, metavar="SECONDS")
    replica.add_argument("--server-error-every", type=int, default=0, metavar="N")
    replica.add_argument("--drop-every", type=int, default=0, metavar="N")
    replica.set_defaults(handler=_cmd_replica)

    pull_cmd = commands.add_parser(
        "pull", help="sweep the API (key: SECTORS_API_KEY), verify, normalise, snapshot"
    )
    pull_cmd.add_argument("--base-url", help="default: SECTORS_BASE_URL or the public API")
    pull_cmd.add_argument("--store", help="snapshot folder (default: MINING_LICENSES_DATA)")
    pull_cmd.add_argument("--budget", type=int, help="most credits to spend")
    pull_cmd.add_argument("--strict", action="store_true", help="fail on an incomplete sweep")
    pull_cmd.add_argument("--max-in-flight", type=int, default=4, metavar="N")
    pull_cmd.add_argument("--no-write", action="store_true", help="do not write a snapshot")
    _add_filter_options(pull_cmd)
    pull_cmd.set_defaults(handler=_cmd_pull)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    handler: Handler = args.handler
    with warnings.catch_warnings():
        warnings.simplefilter("default", SyntheticDataWarning)
        warnings.showwarning = _show_warning
        try:
            return handler(args)
        except MiningLicensesError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    raise SystemExit(main())
