"""The ``mining-licenses`` command: thin argument parsing over the library.

Only this module prints. Every subcommand returns an exit code: 0 on success,
2 when the package reports an error (printed on one line, with what to do).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from mining_licenses import _config, analytics, store
from mining_licenses import schema as s
from mining_licenses._errors import (
    ConfigurationError,
    SnapshotError,
)
from mining_licenses._filters import apply_filters
from mining_licenses.cli._tables import csv_ready, render_table, render_tables, summary_tables
from mining_licenses.client._options import NAMES
from mining_licenses.loader import frame_as_of, load_licenses, pull

Handler = Callable[[argparse.Namespace], int]


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {name: value for name in s.FILTERS if (value := getattr(args, name, None)) is not None}


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
    options = {name: value for name in NAMES if (value := getattr(args, name, None)) is not None}
    result = pull(
        base_url=args.base_url,
        store=args.store,
        write=not args.no_write,
        **options,
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
    from mining_licenses.cli._demo import run_demo

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


def _cmd_sample(args: argparse.Namespace) -> int:
    from mining_licenses import sample

    if args.write_snapshot is not None:
        path = sample.write_sample(args.write_snapshot)
        print(f"wrote {path}")
    if args.json is not None:
        text = json.dumps(
            sample.generate_records(args.n, seed=args.seed), ensure_ascii=False, indent=1
        )
        if str(args.json) == "-":
            print(text)
        else:
            args.json.write_text(text + "\n", encoding="utf-8")
            print(f"wrote {args.n:,} synthetic records to {args.json}")
    return 0
