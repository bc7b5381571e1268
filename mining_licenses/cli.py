"""The ``mining-licenses`` command: thin argument parsing over the library.

Only this module prints. Every subcommand returns an exit code: 0 on success,
2 when the package reports an error (printed on one line, with what to do).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import polars as pl

from mining_licenses import __version__
from mining_licenses import schema as s
from mining_licenses._errors import MiningLicensesError, SyntheticDataWarning
from mining_licenses.loader import SOURCES, load_licenses

Handler = Callable[[argparse.Namespace], int]


def _print_table(title: str, frame: pl.DataFrame) -> None:
    print(f"\n{title}")
    with pl.Config(
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        tbl_rows=40,
        tbl_cols=12,
        tbl_width_chars=120,
        fmt_str_lengths=40,
        thousands_separator=True,
        float_precision=1,
    ):
        print(frame)


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


def overview(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Headline tables of a canonical frame: totals and counts by type and commodity."""
    from mining_licenses.loader import frame_as_of

    as_of = frame_as_of(frame)
    expiry = pl.col(s.EXPIRY_DATE)
    totals = frame.select(
        pl.len().alias("licenses"),
        pl.col(s.AREA_HA).sum().alias("licensed_area_ha"),
        pl.col(s.COMPANY_KEY).n_unique().alias("companies"),
        (expiry < as_of).sum().alias("expired"),
        expiry.is_between(as_of, as_of + dt.timedelta(days=s.EXPIRING_SOON_DAYS))
        .sum()
        .alias("expiring_within_365_days"),
        pl.col(s.GEOMETRY_SOURCE).is_not_null().mean().alias("placed_share"),
        (pl.col(s.ISSUES).list.len() > 0).sum().alias("records_with_issues"),
    ).with_columns(pl.lit(as_of).alias("as_of"))

    def count_by(column: str) -> pl.DataFrame:
        return (
            frame.group_by(column)
            .agg(pl.len().alias("licenses"), pl.col(s.AREA_HA).sum().alias("licensed_area_ha"))
            .sort("licenses", column, descending=[True, False], nulls_last=True)
        )

    return {
        "Totals": totals,
        "By license type": count_by(s.LICENSE_TYPE),
        "By commodity": count_by(s.COMMODITY),
    }


def _cmd_summary(args: argparse.Namespace) -> int:
    frame = load_licenses(source=args.source, as_="polars", **_filters(args))
    assert isinstance(frame, pl.DataFrame)
    for title, table in overview(frame).items():
        _print_table(title, table)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    print("mining-licenses demo: the bundled synthetic sample, end to end")
    frame = load_licenses(source="sample", as_="polars")
    assert isinstance(frame, pl.DataFrame)
    for title, table in overview(frame).items():
        _print_table(title, table)
    del args
    print(f"\nDone in {time.perf_counter() - started:.1f} s.")
    return 0


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

    demo = commands.add_parser("demo", help="run the whole pipeline on the bundled sample")
    demo.set_defaults(handler=_cmd_demo)

    summary = commands.add_parser("summary", help="headline tables of the registry")
    summary.add_argument("--source", choices=SOURCES, default="auto")
    _add_filter_options(summary)
    summary.set_defaults(handler=_cmd_summary)
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
