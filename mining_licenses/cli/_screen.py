"""``mining-licenses screen``: the spatial screens on the command line.

``screen small-islands`` and ``screen overlap LAYER`` read licenses by the
one rule every command follows (``cli/_data.read_data``: ``--snapshot``,
``--source``, ``--store``, the API's filters), start with the answer's
``as of`` line, print a table, and
write their rows with ``--csv``/``--parquet`` (GeoParquet) through the store's
result writer, which publishes each file whole with its provenance: the
licenses' snapshot and the screen's own (threshold, layer path, CRS, feature
count, SHA-256).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mining_licenses.cli._args import (
    CommandParser,
    add_data_options,
    add_output_options,
    number,
    whole,
)

#: The spatial module's defaults, repeated here so ``--help`` needs no import of it;
#: tests/test_spatial.py holds them equal.
_SMALL_ISLAND_KM2 = 2000.0
_SNAP_M = 1000.0


def _outputs(parser: argparse.ArgumentParser, rows: str, summary: str) -> None:
    group = parser.add_argument_group("output")
    group.add_argument("--limit", type=whole(1), default=30, metavar="N", help="rows to print")
    group.add_argument("--csv", type=Path, metavar="PATH", help=f"write {rows} as CSV")
    group.add_argument("--parquet", type=Path, metavar="PATH", help=f"write {rows} as GeoParquet")
    group.add_argument("--summary-csv", type=Path, metavar="PATH", help=f"write {summary} as CSV")
    add_output_options(parser, csv=True)


def add_screen_parser(
    commands: Any, command: Callable[[Any, str, str], CommandParser], *, epilog: str
) -> None:
    """Add ``screen`` and its two screens (which read data: ``epilog`` says how) to ``commands``."""
    screen = command(
        commands, "screen", "spatial screens: licenses on small islands, or in a layer"
    )
    screens = screen.add_subparsers(dest="screen", required=True, metavar="SCREEN")

    islands = screens.add_parser(
        "small-islands",
        help="licenses on islands of at most 2,000 km2 (Law 27/2007, as amended by 1/2014)",
        description="Licenses on small islands: the island under each license's point, its area "
        "on an equal-area projection, and a table of the islands holding licenses.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    islands.set_defaults(parser=islands)
    islands.add_argument(
        "--max-km2",
        type=number(0),
        default=_SMALL_ISLAND_KM2,
        help="islands of at most this area are small (default: 2000, the law's)",
    )
    islands.add_argument(
        "--snap-m",
        type=number(0),
        default=_SNAP_M,
        help="a point at sea this close to an island (metres) is snapped to it (default: 1000)",
    )
    islands.add_argument("--islands", metavar="PATH", help="another island layer (any CRS)")
    islands.add_argument(
        "--all", action="store_true", help="print every island with licenses, not only small ones"
    )
    _outputs(islands, "every license with its island", "the table of islands")
    add_data_options(islands)

    over = screens.add_parser(
        "overlap",
        help="licenses in the features of any polygon layer (GeoParquet, GPKG, FGB, SHP, GeoJSON)",
        description="Licenses against a polygon layer in any CRS: the features each license's "
        "point falls in, or (--footprint circle) the share of an APPROXIMATE circle of its "
        "licensed area inside each feature.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    over.set_defaults(parser=over)
    over.add_argument("layer", help="the polygon layer: a file GDAL or GeoParquet reads")
    over.add_argument(
        "--footprint",
        choices=("point", "circle"),
        default="point",
        help="point (default), or circle: a circle of the licensed area, an approximation",
    )
    over.add_argument("--layer-name", help="the layer to read from a file holding several")
    over.add_argument(
        "--columns", help="the layer's columns to carry, comma-separated (default: all)"
    )
    over.add_argument(
        "--include-regency",
        action="store_true",
        help="also screen licenses placed at their regency's point",
    )
    _outputs(over, "one row per license and feature", "the table of features")
    add_data_options(over)


def _finish(
    args: argparse.Namespace,
    table: Any,
    title: str,
    precision: int,
    result: Any,
    rows: Any,
    summary: Any,
    meta: Any,
) -> None:
    """Print the table (``--limit`` rows) and the notes; write the files asked for."""
    from mining_licenses import store
    from mining_licenses.cli._tables import csv_ready, render_table

    shown = csv_ready(table.head(args.limit), safe=False)  # lists flattened for the terminal
    print(render_table(shown, title=title, precision=precision))
    if table.height > args.limit:
        print(f"... and {table.height - args.limit:,} more: --limit N prints more")
    for note in result.notes:
        print(f"note: {note}")
    details = result.provenance
    for path, frame in ((args.csv, rows), (args.parquet, rows), (args.summary_csv, summary)):
        if path is not None:
            written = store.write_result(
                frame,
                path,
                meta=meta,
                details=details,
                overwrite=args.overwrite,
                csv_safe=not args.raw_csv,
            )
            sidecar = store.sidecar_of(written)
            beside = f" and its provenance {sidecar}" if sidecar and sidecar.exists() else ""
            print(f"wrote {frame.height:,} rows to {written}{beside}")


def _small_islands(args: argparse.Namespace) -> int:
    import polars as pl

    from mining_licenses.cli._data import read_data, say_empty
    from mining_licenses.spatial import columns as c
    from mining_licenses.spatial import small_islands

    data = read_data(args)
    print(data.header())
    if data.frame.is_empty():
        return say_empty(data)
    frame, meta = data.frame, data.meta
    screen = small_islands(
        frame, max_km2=args.max_km2, snap_m=args.snap_m, islands=args.islands, meta=meta
    )
    counts = screen.counts()
    small = screen.islands.filter(pl.col(c.SMALL_ISLAND))
    shown = screen.islands if args.all else small
    print(
        f"{counts['on_small_island']:,} licenses on {small.height:,} small islands "
        f"(at most {args.max_km2:,.0f} km2); {counts[c.SNAPPED]:,} of all snapped from "
        f"the sea, {counts[c.AT_SEA]:,} at sea, {counts[c.REGENCY_UNKNOWN]:,} placed at "
        f"their regency's point with the island unknown, {counts[c.NO_POINT]:,} without a point."
    )
    table = shown.select(
        c.ISLAND_LABEL,
        c.ISLAND_KM2,
        c.LICENSES,
        c.AREA_HA,
        c.COMPANIES,
        c.COMMODITIES,
        c.SNAPPED_LICENSES,
        c.REGENCY_LICENSES,
    )
    title = "islands with licenses" if args.all else "small islands with licenses"
    _finish(args, table, title, 1, screen, screen.licenses, screen.islands, meta)
    return 0


def _overlap(args: argparse.Namespace) -> int:
    from mining_licenses.cli._data import read_data, say_empty
    from mining_licenses.spatial import columns as c
    from mining_licenses.spatial import overlap

    data = read_data(args)
    print(data.header())
    if data.frame.is_empty():
        return say_empty(data)
    frame, meta = data.frame, data.meta
    columns = [n.strip() for n in args.columns.split(",") if n.strip()] if args.columns else None
    result = overlap(
        frame,
        args.layer,
        footprint=args.footprint,
        layer_name=args.layer_name,
        columns=columns,
        include_regency=args.include_regency,
        meta=meta,
    )
    hit = int((result.licenses[c.FEATURES].fill_null(0) > 0).sum())
    how = "points fall in" if result.footprint == c.POINT else "approximate circles touch"
    print(f"{hit:,} licenses whose {how} {result.features.height:,} features of {args.layer}.")
    title = "features with licenses" + (
        "" if result.footprint == c.POINT else " (approx_: circle footprint, an APPROXIMATION)"
    )
    _finish(args, result.features, title, 2, result, result.pairs, result.features, meta)
    return 0


def run_screen(args: argparse.Namespace) -> int:
    """Run the screen the arguments name; return the exit code."""
    from mining_licenses.cli._outputs import check_outputs

    check_outputs(args, "csv", "parquet", "summary_csv")  # before any data is loaded
    return _small_islands(args) if args.screen == "small-islands" else _overlap(args)
