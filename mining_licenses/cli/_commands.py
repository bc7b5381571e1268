"""The ``mining-licenses`` command: thin argument parsing over the library.

Only this package prints. Every subcommand returns an exit code: 0 an answer,
1 an empty answer (the message says why) or an incomplete pull, 2 when the
package reports an error (printed on one line, with what to do). Commands
that answer from the registry read it through :func:`~mining_licenses.cli._data.read_data`
(one rule for all) and start their answer with its ``as of`` line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import polars as pl

from mining_licenses import _config, _terms, analytics, store
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError
from mining_licenses._filters import validate_filters
from mining_licenses._oserrors import read_json
from mining_licenses._pull import append_events
from mining_licenses.analytics._inputs import area_sum
from mining_licenses.cli._args import EXIT_EMPTY, EXIT_OK
from mining_licenses.cli._data import Data, filters_of, read_data, say_empty, to_rows
from mining_licenses.cli._outputs import check_outputs, write_text_with_sidecar, write_with_sidecar
from mining_licenses.cli._sweeps import credits_column, sweep_lines
from mining_licenses.cli._tables import render_table, render_tables, summary_tables
from mining_licenses.cli._terminal import raw_stdout
from mining_licenses.client._options import NAMES
from mining_licenses.loader import Loaded, company_for_api, pull
from mining_licenses.store._shrink import is_held_back, shrink_message

Handler = Callable[[argparse.Namespace], int]


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


def _label(meta: store.SnapshotMeta) -> None:
    """Print, first on stdout, that the data is synthetic, when it is."""
    if meta.synthetic:
        print(store.provenance_line(meta))


def _read(args: argparse.Namespace) -> Data:
    """Read the data the options name (the one rule) and print the answer's first lines."""
    data = read_data(args)
    print(data.header())
    return data


def _write_with_sidecar(
    frame: pl.DataFrame,
    path: Path,
    meta: store.SnapshotMeta,
    args: argparse.Namespace,
    *,
    as_of: dt.date | None = None,
    as_json: bool = False,
) -> None:
    """Write a CSV (or JSON) result and its provenance next to it; print both files' names."""
    write_with_sidecar(
        frame,
        path,
        meta,
        as_of=as_of,
        as_json=as_json,
        overwrite=args.overwrite,
        csv_safe=not getattr(args, "raw_csv", False),
    )
    print(f"wrote {path} and its provenance {store.sidecar_path(path)}")


def _cmd_summary(args: argparse.Namespace) -> int:
    data = _read(args)
    if data.frame.is_empty():
        return say_empty(data)
    print(render_tables(summary_tables(data.frame, as_of=data.as_of, top=args.top)))
    return EXIT_OK


def _cmd_expiring(args: argparse.Namespace) -> int:
    check_outputs(args, "csv", "json")  # before any data is loaded (or credit spent)
    data = _read(args)
    day, days = data.as_of, args.within_days
    soon = analytics.expiring_soon(data.frame, within_days=days, as_of=day)
    until = day + dt.timedelta(days=days)
    if note := data.age_note():
        print(note)
    if soon.is_empty():
        why = (
            data.empty_reason()
            if data.frame.is_empty()
            else f"no license expires between {day} and {until} (inclusive) of the "
            f"{_terms.count_licenses(data.frame.height)} in {data.where()}."
        )
        return say_empty(data, why)
    title = (
        f"{_terms.count_licenses(soon.height)} expiring within {days} days as of {day}, by {until} "
        f"({area_sum(soon):,.1f} ha)"
    )
    print(render_table(soon.select(_EXPIRING_COLUMNS).head(args.limit), title=title))
    if soon.height > args.limit:
        more = soon.height - args.limit
        print(f"... and {more:,} more: --limit N prints more, --csv/--json write them all")
    rows = to_rows(soon, day)
    if args.csv:
        _write_with_sidecar(rows, args.csv, data.meta, args, as_of=day)
    if args.json:
        _write_with_sidecar(rows, args.json, data.meta, args, as_of=day, as_json=True)
    return EXIT_OK


def _cmd_screen(args: argparse.Namespace) -> int:
    from mining_licenses.cli._screen import run_screen

    return run_screen(args)


def _cmd_replica(args: argparse.Namespace) -> int:
    from mining_licenses.replica import Faults, Replica, serve

    records = None
    if not args.records:
        _label(store.SnapshotMeta(source="sample", synthetic=True))
    else:
        fix = "Give a JSON list of records."
        loaded = read_json(
            Path(args.records), what="the records file", error=ConfigurationError, fix=fix
        )
        records = loaded["results"] if isinstance(loaded, dict) else loaded
    by_day = None
    if args.script:
        from mining_licenses.replica import read_script
        from mining_licenses.sample import generate_records

        by_day = read_script(args.script, records if records is not None else generate_records())
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
        as_of=args.as_of,
        records_by_day=by_day,
    )
    return EXIT_OK


def _cmd_pull(args: argparse.Namespace) -> int:
    options = {name: value for name in NAMES if (value := getattr(args, name, None)) is not None}
    filters = validate_filters(filters_of(args))
    sent = company_for_api(filters, store=args.store, base_url=args.base_url)
    result = pull(
        base_url=args.base_url,
        store=args.store,
        write=not args.no_write,
        accept_shrink=args.accept_shrink,
        **options,
        **sent,
    )
    _label(result.meta())
    sweep = result.sweep
    print(
        f"{_terms.count_rows(result.frame.height, sweep.duplicates_upstream)} ({sweep.state}); "
        f"{sweep.pages} pages, "
        f"{sweep.credits}, {sweep.requests} requests"
    )
    for note in sweep.notes:
        print(f"note: {note}")
    if result.snapshot:
        print(f"snapshot: {result.snapshot}")
        shrink = result.meta().shrink
        if shrink:  # held back: not used until accepted, and the exit code says so
            held = is_held_back(shrink, result.snapshot)
            said = shrink_message(result.snapshot, shrink)
            print(f"{'held back' if held else 'note'}: {said}")
            if held:
                return EXIT_EMPTY
    return EXIT_OK if sweep.complete else EXIT_EMPTY


def _cmd_report(args: argparse.Namespace) -> int:
    from mining_licenses.report import write_report

    check_outputs(args, "out")
    data = _read(args)
    if data.frame.is_empty():
        return say_empty(data, f"{data.empty_reason()} No report written.")
    changes = None
    if data.loaded.origin != "sample":  # the store's ledger: a "What changed" section if any
        from mining_licenses.changes import current_ledger

        changes = current_ledger(args.store)
    out = write_report(
        data.frame,
        args.out,
        meta=data.meta,
        as_of=data.as_of,
        changes=changes,
        overwrite=args.overwrite,
    )
    print(f"Report: {out.resolve()} (open it in any browser; it needs no network)")
    return EXIT_OK


def _cmd_snapshots(args: argparse.Namespace) -> int:
    if args.accept:
        path = store.accept_snapshot(args.accept, store=args.store)
        info = store.read_snapshot_meta(path)
        if info.shrink and info.shrink.get("held_back"):
            print(f"accepted {path.name}: {shrink_message(path, info.shrink)}")
            ledger = append_events(args.store)  # it joins its chain: compared from now on
            if ledger is not None:
                added = ledger.events.height
                print(
                    f"ledger: {added:,} event{'' if added == 1 else 's'} added "
                    f"({ledger.total:,} in {ledger.path})"
                )
        else:
            print(f"{path.name} is not held back: there is nothing to accept.")
        return EXIT_OK
    listing = store.list_snapshots(args.store)
    if not listing.height:
        print(
            f"No snapshot in {_config.store_dir(args.store)}: `mining-licenses pull` makes one "
            "(needs SECTORS_API_KEY)."
        )
        return EXIT_OK
    shown = listing.select(
        pl.col("path").str.extract(r"([^/\\]+)$").alias("file"),
        pl.col(s.FETCHED_AT).dt.strftime("%Y-%m-%d %H:%M:%SZ"),
        "source",
        "records",
        "total_count",
        "complete",
        "synthetic",
        credits_column(),
        "filters",
        "held_back",
        "checksum",
    )
    many = "snapshot" if listing.height == 1 else "snapshots"
    title = f"{listing.height:,} {many} in {_config.store_dir(args.store)}"
    print(render_table(shown, title=title))
    for line in sweep_lines(listing):  # why incomplete, duplicates upstream, notes
        print(line)
    for path, shrink in listing.filter(pl.col("held_back")).select("path", "shrink").rows():
        print(f"held back: {shrink_message(Path(path), json.loads(shrink))}")
    if not listing["checksum"].all():
        print("checksum false: written before snapshots carried one; read unverified.")
    return EXIT_OK


def _cmd_diff(args: argparse.Namespace) -> int:
    check_outputs(args, "csv")
    older, newer = args.older, args.newer
    if older is None or newer is None:
        paths = store.list_snapshots(args.store)["path"].to_list()
        if len(paths) < 2:
            msg = "diff needs two snapshots: name them, or pull twice into the store."
            raise ConfigurationError(msg)
        older, newer = older or paths[-2], newer or paths[-1]
    # as read_snapshot takes them: 'latest' (a held-back one passed over), 'sample', names, paths
    older, newer = (store.snapshot_path(name, store=args.store) for name in (older, newer))
    metas = [store.read_snapshot_meta(p) if p.exists() else None for p in (older, newer)]
    synthetic = next((m for m in metas if m is not None and m.synthetic), None)
    if synthetic is not None:
        _label(synthetic)
    result = store.diff_snapshots(older, newer, store=args.store)
    fetched = [
        f" (fetched {m.fetched_at:%Y-%m-%d %H:%M UTC})" if m and m.fetched_at else "" for m in metas
    ]
    print(f"{Path(older).name}{fetched[0]} -> {Path(newer).name}{fetched[1]}")
    print(render_table(pl.DataFrame([result.summary]), title="summary", side_on=True))
    if result.changed.height:
        print(render_table(result.by_field(), title="changed fields"))
        print(render_table(result.changed.drop("key").head(args.limit), title="changes"))
        if result.changed.height > args.limit:
            print(f"... and {result.changed.height - args.limit:,} more (--csv writes them all)")
    if args.csv:
        newest = metas[1] or store.SnapshotMeta()
        label = {"synthetic": synthetic is not None, "filters": {}, "complete": False}
        changes = store.SnapshotMeta.from_json({**newest.to_json(), **label})
        _write_with_sidecar(result.changed, args.csv, changes, args)
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    if args.path.suffix.lower() not in store.EXPORT_FORMATS:
        msg = (
            f"Cannot export to {args.path}: its extension picks the format; use one of "
            f"{', '.join(store.EXPORT_FORMATS)} (.gpkg for QGIS and most GIS tools)."
        )
        raise ConfigurationError(msg)
    check_outputs(args, "path")
    data = _read(args)
    if data.frame.is_empty():
        return say_empty(data, f"{data.empty_reason()} Nothing written.")
    path = store.export(
        data.frame,
        args.path,
        overwrite=args.overwrite,
        meta=data.meta,
        csv_safe=not args.raw_csv,
    )
    sidecar = store.sidecar_of(path)
    beside = f" and its provenance {sidecar}" if sidecar else " (provenance inside the file)"
    print(f"wrote {_terms.count_licenses(data.frame.height)} to {path}{beside}")
    return EXIT_OK


#: The summary tables the demo prints (the report shows them all).
_DEMO_TABLES = ("totals", "area_by_province", "top_companies", "concentration")


def _cmd_demo(args: argparse.Namespace) -> int:
    from mining_licenses.cli._demo import run_demo

    _label(store.SnapshotMeta(source="sample", synthetic=True))
    print("mining-licenses demo: the synthetic sample, served by a local replica of the")
    print("Sectors API on 127.0.0.1, pulled page by page through the real client.\n")
    result = run_demo(args.out, latency=args.latency, progress=not args.quiet)
    sweep = result.pulled.sweep
    state = "verified complete" if sweep.complete else sweep.state
    print(
        f"\nPulled {len(sweep.records):,} of {sweep.total_count:,} licenses ({state}) from "
        f"{result.replica_url}: {sweep.pages} pages, {sweep.credits_spent} credits, "
        f"{result.requests_served} requests served.\n"
    )
    pulled = result.pulled
    data = Data(Loaded(pulled.frame, pulled.meta(), "api", pulled.snapshot), {})
    print(data.as_of_line())
    tables = summary_tables(pulled.frame, as_of=data.as_of, top=5)
    short = {name: tables[name].head(10) for name in _DEMO_TABLES}
    print(render_tables(short))
    print("\n(The report has the rest: expiry schedule, license ages, data quality, a map.)")
    print("\nWhere everything went:")
    print(f"  snapshot (GeoParquet): {result.pulled.snapshot}")
    print(f"  report (HTML):         {result.report.resolve()}")
    print(f"\nDemo finished in {result.seconds:.1f} s; the replica is stopped.")
    return EXIT_OK


def _cmd_sample(args: argparse.Namespace) -> int:
    from mining_licenses import sample

    check_outputs(args, "json")
    if str(args.json) != "-":  # records on stdout stay plain JSON
        _label(store.SnapshotMeta(source="sample", synthetic=True))
    if args.write_snapshot is not None:
        path = sample.write_sample(args.write_snapshot)
        print(f"wrote {path}")
    if args.json is not None:
        n = sample.SAMPLE_SIZE if args.n is None else args.n
        seed = sample.SAMPLE_SEED if args.seed is None else args.seed
        text = json.dumps(sample.generate_records(n, seed=seed), ensure_ascii=False, indent=1)
        if str(args.json) == "-":
            print(text, file=raw_stdout())  # data, not text for a reader: as generated
        else:
            meta = store.SnapshotMeta(source="sample", synthetic=True)
            write_text_with_sidecar(text + "\n", args.json, meta, overwrite=args.overwrite)
            sidecar = store.sidecar_path(args.json)
            print(f"wrote {n:,} synthetic records to {args.json} and its provenance {sidecar}")
    return EXIT_OK
