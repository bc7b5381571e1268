"""The argument parser of ``mining-licenses`` and its entry point, :func:`main`."""

from __future__ import annotations

import argparse
import logging
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from mining_licenses import _terms
from mining_licenses import schema as s
from mining_licenses._errors import MiningLicensesError, SyntheticDataWarning
from mining_licenses._redact import redact
from mining_licenses._validate import MAX_SAMPLE_SIZE
from mining_licenses._version import __version__
from mining_licenses.cli._args import (
    DATA_RULE,
    EXIT_CODES,
    EXIT_ERROR,
    CommandParser,
    add_accept_shrink,
    add_data_options,
    add_filter_options,
    add_output_options,
    add_pull_options,
    add_store_option,
    iso_date,
    number,
    whole,
)
from mining_licenses.cli._pipes import EXIT_BROKEN_PIPE, ReaderGone, stdout_reader_kept
from mining_licenses.cli._screen import add_screen_parser
from mining_licenses.cli._terminal import error_message, visible_output
from mining_licenses.cli._update import add_commands as add_update_commands


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    del filename, lineno, file, line
    print(f"warning ({category.__name__}): {redact(str(message))}", file=sys.stderr)


def _wrapped(*paragraphs: str) -> str:
    return "\n\n".join(textwrap.fill(text, width=78) for text in paragraphs)


def _command(commands: Any, name: str, summary: str, *, reads: bool = False) -> CommandParser:
    """Add a subcommand whose one-line summary shows in both help listings.

    A command that ``reads`` the registry says which data it reads (the one
    rule) and its exit codes under its options.
    """
    described = summary[0].upper() + summary[1:] + "."
    parser: CommandParser = commands.add_parser(
        name,
        help=summary,
        description=described,
        epilog=_wrapped(DATA_RULE, EXIT_CODES) if reads else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(parser=parser)  # errors found after parsing name this subcommand
    return parser


def build_parser() -> CommandParser:
    """Build the argument parser of the ``mining-licenses`` command."""
    parser = CommandParser(
        prog="mining-licenses",
        description="Indonesia's mining-license registry: pull, summarise, map, export.",
        epilog=_wrapped(DATA_RULE, EXIT_CODES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = _command(
        commands, "demo", "the whole pipeline on the bundled sample, through a local replica"
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("demo-output"),
        help="folder for the snapshot store and report (default: demo-output)",
    )
    demo.add_argument(
        "--latency", type=number(0, 60), default=0.02, help="replica latency per request, seconds"
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bar")

    summary = _command(
        commands,
        "summary",
        "totals, area by province, top companies, concentration, ages, data quality",
        reads=True,
    )
    summary.add_argument(
        "--top", type=whole(1), default=10, metavar="N", help="companies to list (default: 10)"
    )
    add_data_options(summary)

    expiring = _command(
        commands, "expiring", "licenses expiring within N days (both ends inclusive)", reads=True
    )
    expiring.add_argument(
        "--within-days",
        type=whole(0),
        default=s.EXPIRING_SOON_DAYS,
        metavar="N",
        help=f"window length in days (default: {s.EXPIRING_SOON_DAYS}, as the API)",
    )
    expiring.add_argument(
        "--limit", type=whole(1), default=30, metavar="N", help="rows to print (default: 30)"
    )
    expiring.add_argument(
        "--csv", type=Path, metavar="PATH", help="write every row as CSV (with an as_of column)"
    )
    expiring.add_argument(
        "--json", type=Path, metavar="PATH", help="write every row as JSON (with an as_of column)"
    )
    add_output_options(expiring, csv=True)
    add_data_options(expiring)

    report = _command(commands, "report", "write the self-contained HTML report", reads=True)
    report.add_argument(
        "--out", type=Path, default=Path("report.html"), help="HTML to write (default: report.html)"
    )
    add_output_options(report)
    add_data_options(report)

    snapshots = _command(commands, "snapshots", "list the snapshots in the store")
    add_store_option(snapshots)
    snapshots.add_argument(
        "--accept",
        metavar="NAME",
        help="accept a held-back snapshot (one that lacks many licenses of the one before)",
    )

    diff = _command(commands, "diff", "licenses added, removed and changed between two snapshots")
    diff.add_argument(
        "older", nargs="?", help="snapshot file, name or 'sample' (default: second newest)"
    )
    diff.add_argument(
        "newer", nargs="?", help="snapshot file, name, 'latest' or 'sample' (default: newest)"
    )
    add_store_option(diff)
    diff.add_argument(
        "--limit", type=whole(1), default=30, metavar="N", help="changes to print (default: 30)"
    )
    diff.add_argument("--csv", type=Path, metavar="PATH", help="write every change as CSV")
    add_output_options(diff, csv=True)

    export_cmd = _command(
        commands,
        "export",
        "write the licenses for GIS use (.parquet .gpkg .fgb .geojson .csv)",
        reads=True,
    )
    export_cmd.add_argument(
        "path", type=Path, help="output file; its extension picks the format (.gpkg: QGIS)"
    )
    add_output_options(export_cmd, csv=True)
    add_data_options(export_cmd)

    add_screen_parser(commands, _command, epilog=_wrapped(DATA_RULE, EXIT_CODES))

    _replica_options(
        _command(commands, "replica", "serve a local stand-in of the API on 127.0.0.1")
    )

    pull_cmd = _command(
        commands, "pull", "sweep the API (key: SECTORS_API_KEY), verify, normalise, snapshot"
    )
    pull_cmd.add_argument(
        "--base-url", help="the API (default: SECTORS_BASE_URL, else https://api.sectors.app)"
    )
    add_store_option(pull_cmd)
    pull_cmd.add_argument("--no-write", action="store_true", help="do not write a snapshot")
    add_accept_shrink(pull_cmd)
    add_pull_options(pull_cmd)
    add_filter_options(pull_cmd)

    add_update_commands(commands, _command)

    sample = _command(
        commands,
        "sample",
        "the synthetic sample: write its records as JSON, or rewrite its snapshot",
    )
    sample.add_argument("--json", type=Path, metavar="PATH", help="write the records ('-': stdout)")
    sample.add_argument(
        "--write-snapshot",
        type=Path,
        metavar="FOLDER",
        help="rewrite the bundled sample snapshot in FOLDER (make sample: data/sample)",
    )
    sample.add_argument(
        "-n",
        type=whole(0, MAX_SAMPLE_SIZE),
        help=f"records, at most {MAX_SAMPLE_SIZE:,} (default: the bundled sample's 4,200)",
    )
    sample.add_argument("--seed", type=whole(0), help="seed (default: the bundled sample's)")
    add_output_options(sample)
    return parser


def _replica_options(replica: CommandParser) -> None:
    """Add the replica's options: where it listens, what it serves, how it misbehaves."""
    replica.add_argument(
        "--port", type=whole(0, 65535), default=8000, help="port (default: 8000; 0: any free one)"
    )
    replica.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    replica.add_argument(
        "--records", help="JSON file of API records (default: the synthetic sample)"
    )
    replica.add_argument(
        "--script",
        metavar="JSON",
        help="serve scripted states by day (see docs/monitoring.md): rehearse updates offline",
    )
    replica.add_argument(
        "--as-of", type=iso_date, metavar="DATE", help="the replica's today (default: the date)"
    )
    replica.add_argument("--api-key", help="require this key (default: accept any request)")
    replica.add_argument(
        "--latency", type=number(0, 60), default=0.0, help="seconds per request (default: 0)"
    )
    replica.add_argument(
        "--unstable-ties", action="store_true", help="order ties randomly per request"
    )
    every = (  # faults: every Nth request misbehaves (0: never, the default)
        ("--rate-limit-every", "answer every Nth request 429 Too Many Requests"),
        ("--server-error-every", "answer every Nth request 500"),
        ("--drop-every", "drop the connection of every Nth request unanswered"),
    )
    for flag, meaning in every:
        replica.add_argument(
            flag, type=whole(0), default=0, metavar="N", help=f"{meaning} (default: 0, never)"
        )
    replica.add_argument(
        "--retry-after",
        type=number(0),
        default=None,
        metavar="SECONDS",
        help="the Retry-After header of the 429s (default: none sent)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Everything it prints passes through :func:`~mining_licenses.cli._terminal.visible`
    (control characters shown, not obeyed), and errors are cut to size; messages
    name options, not Python arguments (:func:`~mining_licenses._terms.command_line`).
    A reader that closes the pipe early ends it quietly, with
    :data:`~mining_licenses.cli._pipes.EXIT_BROKEN_PIPE` (``cli/_pipes.py``).
    """
    try:
        with stdout_reader_kept(), visible_output(), _terms.command_line():
            return _run(argv)
    except ReaderGone:  # `| head`: the reader has what it wanted
        return EXIT_BROKEN_PIPE


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:
        command: CommandParser = getattr(args, "parser", parser)
        command.unrecognized(extras)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    # the handlers (and the library behind them) are imported only once a command runs
    handler = getattr(args, "handler", None)
    if handler is None:
        from mining_licenses.cli import _commands

        handler = getattr(_commands, f"_cmd_{args.command}")
    run: Callable[[argparse.Namespace], int] = handler
    with warnings.catch_warnings():
        # one synthetic warning a command: the label every command prints first on stdout
        warnings.simplefilter("ignore", SyntheticDataWarning)
        warnings.showwarning = _show_warning
        try:
            return run(args)
        except MiningLicensesError as err:
            print(f"error: {error_message(redact(str(err)))}", file=sys.stderr)
            return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
