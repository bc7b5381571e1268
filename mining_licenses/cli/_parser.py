"""The argument parser of ``mining-licenses`` and its entry point, :func:`main`."""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from mining_licenses import schema as s
from mining_licenses._errors import MiningLicensesError, SyntheticDataWarning
from mining_licenses._version import __version__
from mining_licenses.cli import _commands as cmd
from mining_licenses.client._options import option_help
from mining_licenses.loader import SOURCES
from mining_licenses.sample import SAMPLE_SEED, SAMPLE_SIZE


def _add_filter_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters (the API's own)")
    group.add_argument(
        "--company", help="company: its slug, key or name in any spelling ('PT Multi Bintang')"
    )
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
def _add_pull_options(parser: argparse.ArgumentParser) -> None:
    """One option per field of PullOptions, with its default and meaning from there."""
    group = parser.add_argument_group("how the pull runs")
    for name, (default, meaning) in option_help().items():
        flag = "--" + name.replace("_", "-")
        if isinstance(default, bool):
            # only the non-default direction needs a flag: --strict, --no-progress
            flag = flag if not default else f"--no-{name.replace('_', '-')}"
            group.add_argument(
                flag, dest=name, action="store_const", const=not default, help=meaning
            )
            continue
        kind = float if isinstance(default, float) else int
        shown = "" if default is None else f" (default: {default})"
        group.add_argument(flag, dest=name, type=kind, metavar="N", help=meaning + shown)


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
    demo.set_defaults(handler=cmd._cmd_demo)

    summary = commands.add_parser(
        "summary",
        help="totals, area by province, top companies, concentration, ages, data quality",
    )
    _add_source(summary)
    summary.add_argument(
        "--top", type=int, default=10, metavar="N", help="companies to list (default: 10)"
    )
    _add_filter_options(summary)
    summary.set_defaults(handler=cmd._cmd_summary)

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
    expiring.set_defaults(handler=cmd._cmd_expiring)
    report = commands.add_parser("report", help="write the self-contained HTML report")
    report.add_argument(
        "--snapshot",
        default="latest",
        help="snapshot file, 'latest' (default) or 'sample' (the bundled synthetic one)",
    )
    report.add_argument("--store", help="snapshot folder (default: MINING_LICENSES_DATA)")
    report.add_argument("--out", type=Path, default=Path("report.html"), help="HTML to write")
    report.add_argument("--as-of", metavar="DATE", help="reference day, YYYY-MM-DD")
    report.set_defaults(handler=cmd._cmd_report)

    snapshots = commands.add_parser("snapshots", help="list the snapshots in the store")
    snapshots.add_argument("--store", help="snapshot folder (default: MINING_LICENSES_DATA)")
    snapshots.set_defaults(handler=cmd._cmd_snapshots)

    diff = commands.add_parser(
        "diff", help="licenses added, removed and changed between two snapshots"
    )
    diff.add_argument("older", nargs="?", help="snapshot file or name (default: second newest)")
    diff.add_argument("newer", nargs="?", help="snapshot file, name or 'latest' (default: newest)")
    diff.add_argument("--store", help="snapshot folder (default: MINING_LICENSES_DATA)")
    diff.add_argument("--limit", type=int, default=30, metavar="N", help="changes to print")
    diff.add_argument("--csv", type=Path, metavar="PATH", help="write every change as CSV")
    diff.set_defaults(handler=cmd._cmd_diff)

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
    export_cmd.set_defaults(handler=cmd._cmd_export)

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
    replica.set_defaults(handler=cmd._cmd_replica)

    pull_cmd = commands.add_parser(
        "pull", help="sweep the API (key: SECTORS_API_KEY), verify, normalise, snapshot"
    )
    pull_cmd.add_argument("--base-url", help="default: SECTORS_BASE_URL or the public API")
    pull_cmd.add_argument("--store", help="snapshot folder (default: MINING_LICENSES_DATA)")
    pull_cmd.add_argument("--no-write", action="store_true", help="do not write a snapshot")
    _add_pull_options(pull_cmd)
    _add_filter_options(pull_cmd)
    pull_cmd.set_defaults(handler=cmd._cmd_pull)

    sample = commands.add_parser(
        "sample", help="the synthetic sample: write its records as JSON, or rewrite its snapshot"
    )
    sample.add_argument("--json", type=Path, metavar="PATH", help="write the records ('-': stdout)")
    sample.add_argument(
        "--write-snapshot",
        type=Path,
        metavar="FOLDER",
        help="rewrite the bundled sample snapshot in FOLDER (make sample: data/sample)",
    )
    sample.add_argument("-n", type=int, default=SAMPLE_SIZE, help="records (default: %(default)s)")
    sample.add_argument("--seed", type=int, default=SAMPLE_SEED, help="seed (default: %(default)s)")
    sample.set_defaults(handler=cmd._cmd_sample)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    handler: cmd.Handler = args.handler
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
