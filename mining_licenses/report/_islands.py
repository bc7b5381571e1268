"""The report's "Small islands" section: licenses on islands of at most 2,000 km2, inset maps."""

from __future__ import annotations

import datetime as dt
from typing import Final

import polars as pl

from mining_licenses import plots
from mining_licenses import schema as s
from mining_licenses.report import _format as fmt
from mining_licenses.report import _parts as p
from mining_licenses.report._parts import Column
from mining_licenses.spatial import columns as c
from mining_licenses.spatial import small_islands

ISLANDS_CSV: Final = "small_islands.csv"
SMALL_ISLAND_LICENSES_CSV: Final = "small_island_licenses.csv"


def _names(value: object) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list | pl.Series) else str(value)


def section(frame: pl.DataFrame, day: dt.date) -> p.Section:
    """Build the small-islands section: counts, the table of islands, inset maps, the caveats."""
    screen = small_islands(frame)
    counts = screen.counts()
    islands = screen.islands.filter(pl.col(c.SMALL_ISLAND))
    lead = (
        f"{fmt.count(counts['on_small_island'])} licenses lie on {fmt.count(islands.height)} "
        f"small islands (at most {screen.max_km2:,.0f} km², where Law 27/2007 as amended by "
        "Law 1/2014 restricts mining). "
        f"{fmt.count(counts[c.REGENCY_UNKNOWN])} licenses placed at their regency's point could "
        "not be assigned an island, and "
        f"{fmt.count(counts[c.AT_SEA])} API points lie at sea beyond the snap distance."
    )
    columns = [
        Column(c.ISLAND_LABEL, "Island (by its regencies)"),
        Column(c.ISLAND_KM2, "Area (km²)", fmt.ha1, numeric=True),
        Column(c.LICENSES, "Licenses", fmt.count, numeric=True),
        Column(c.AREA_HA, "Licensed (ha)", fmt.ha, numeric=True),
        Column(c.COMPANIES, "Companies", fmt.count, numeric=True),
        Column(c.COMMODITIES, "Commodities", _names),
        Column(c.SNAPPED_LICENSES, "Snapped", fmt.count, numeric=True),
        Column(c.REGENCY_LICENSES, "At regency point", fmt.count, numeric=True),
    ]
    table = p.table(
        islands,
        columns,
        scroll=islands.height > 15,
        download=p.csv_download(islands.drop(c.SMALL_ISLAND), ISLANDS_CSV),
    )
    licenses = p.Note(
        "Every license on a small island, with its island and how it was matched: "
        f"{SMALL_ISLAND_LICENSES_CSV} below."
    )
    on_small = screen.small().sort(c.ISLAND_KM2)
    per_license = p.table(
        on_small,
        [
            Column(c.ISLAND_LABEL, "Island"),
            Column(s.COMPANY_NAME, "Company"),
            Column(s.COMMODITY, "Commodity"),
            Column(s.AREA_HA, "Area (ha)", fmt.ha1, numeric=True),
            Column(c.ISLAND_MATCH, "Matched"),
            Column(s.WIUP_CODE, "WIUP code", css="code"),
        ],
        scroll=on_small.height > 15,
        swatch=s.COMMODITY,
        download=p.csv_download(on_small, SMALL_ISLAND_LICENSES_CSV),
    )
    chart = p.chart(
        lambda narrow: plots.plot_small_islands(screen, as_of=day, narrow=narrow),
        "Inset maps of the small islands holding licenses, each with its license points",
        "Filled circles: the API's point (a red ring: snapped from the sea). Hollow diamonds: "
        "the point of a regency whose land is that one island. Most licenses first.",
    )
    notes = tuple(p.Note(note) for note in screen.notes)
    parts = (table, chart, p.Heading("Licenses on small islands"), licenses, per_license, *notes)
    return p.Section("small-islands", "Small islands", lead, parts)
