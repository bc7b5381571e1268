"""The pieces a report section is made of, as plain data the template draws.

A :class:`Section` holds an id, a title, a lead and its parts: cards, charts,
tables, notes, headings, definition lists and grids of other parts. Each part
names its ``kind``; ``templates/parts.html.j2`` has one macro per kind. The
builders here turn analytics frames into parts: :func:`table` formats cells
(text only; the template escapes), :func:`chart` embeds a figure as a base64
PNG, :func:`csv_download` embeds a whole frame as a CSV ``data:`` URI.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final

import polars as pl

from mining_licenses import plots
from mining_licenses import schema as s
from mining_licenses._errors import MissingDependencyError
from mining_licenses.report import _format as fmt

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_DPI: Final = 100


@dataclass(frozen=True)
class Card:
    """One headline number: the value large, a label under it, an optional detail."""

    label: str
    value: str
    detail: str = ""
    alert: bool = False


@dataclass(frozen=True)
class Cards:
    """A row of headline cards that wraps to the screen's width."""

    kind: ClassVar[str] = "cards"
    cards: tuple[Card, ...]


@dataclass(frozen=True)
class Chart:
    """A chart embedded as a PNG ``data:`` URI, with its pixel size, alt text and caption."""

    kind: ClassVar[str] = "chart"
    src: str
    width: int
    height: int
    alt: str
    caption: str


@dataclass(frozen=True)
class Note:
    """A muted paragraph (also what stands where a chart could not be drawn)."""

    kind: ClassVar[str] = "note"
    text: str


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section."""

    kind: ClassVar[str] = "heading"
    text: str


@dataclass(frozen=True)
class Definitions:
    """Label and value pairs (provenance)."""

    kind: ClassVar[str] = "definitions"
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Download:
    """A whole table embedded in the page as a CSV file the reader can save."""

    filename: str
    href: str
    rows: int
    columns: int

    @property
    def detail(self) -> str:
        """What the file holds, said beside the link."""
        return f"all {fmt.count(self.rows)} rows, {fmt.count(self.columns)} columns"


@dataclass(frozen=True)
class Column:
    """One column of a table: the frame column, its header, how to show a value."""

    name: str
    header: str
    fmt: Callable[[Any], str] = fmt.plain
    numeric: bool = False
    css: str = ""


@dataclass(frozen=True)
class Cell:
    """One formatted table cell: its text, its CSS classes and an optional colour swatch."""

    text: str
    css: str = ""
    swatch: str | None = None


@dataclass(frozen=True)
class Table:
    """A formatted table; ``rows`` holds what is shown, ``download`` the whole table."""

    kind: ClassVar[str] = "table"
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    scroll: bool = False
    download: Download | None = None
    told: str = ""  # said instead of the row counts (a download that is not this table's rows)

    @property
    def note(self) -> str:
        """How many rows the table has and how many are shown; empty for short plain tables."""
        if self.told:
            return self.told
        total = self.download.rows if self.download else len(self.rows)
        if len(self.rows) < total:
            return f"{fmt.count(len(self.rows))} of {fmt.count(total)} rows shown."
        if self.scroll:
            return f"{fmt.count(total)} rows; scroll inside the box to see them all."
        return f"{fmt.count(total)} rows." if self.download else ""


@dataclass(frozen=True)
class Grid:
    """Parts side by side on a wide screen, one under another on a narrow one."""

    kind: ClassVar[str] = "grid"
    parts: tuple[Part, ...]


Part = Cards | Chart | Note | Heading | Definitions | Table | Grid


@dataclass(frozen=True)
class Section:
    """One section of the report: its anchor id, title, lead paragraph and parts."""

    id: str
    title: str
    lead: str
    parts: tuple[Part, ...]


# ------------------------------------------------------------------ builders


def table(
    frame: pl.DataFrame,
    columns: Sequence[Column],
    *,
    caption: str = "",
    scroll: bool = False,
    swatch: str | None = None,
    download: Download | None = None,
) -> Table:
    """Format ``frame`` for the page: numbers right-aligned, nulls as a dash.

    ``swatch`` names a commodity column whose cells get the commodity's colour.
    """
    rows = tuple(
        tuple(
            _cell(col, value, swatch=col.name == swatch)
            for col, value in zip(columns, row, strict=True)
        )
        # a few hundred rows at most, each value through its column's formatter
        for row in frame.select([c.name for c in columns]).iter_rows()
    )
    return Table(caption, tuple(columns), rows, scroll=scroll, download=download)


def _cell(column: Column, value: Any, *, swatch: bool) -> Cell:
    classes = " ".join(x for x in ("num" if column.numeric else "", column.css) if x)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Cell(fmt.NA, f"na {classes}".strip())
    colour = plots.commodity_color(str(value)) if swatch else None
    return Cell(column.fmt(value), classes, colour)


def chart(draw: Callable[[], Figure], alt: str, caption: str) -> Chart | Note:
    """Draw a chart and embed it as a base64 PNG, or say why it is missing."""
    try:
        fig = draw()
    except MissingDependencyError as err:
        return Note(f"Chart not drawn: {err}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    width, height = (round(v * _DPI) for v in fig.get_size_inches())
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Chart(f"data:image/png;base64,{data}", width, height, alt, caption)


def csv_download(frame: pl.DataFrame, filename: str) -> Download:
    """Embed ``frame`` as a UTF-8 CSV ``data:`` URI; list columns joined with ``;``.

    The separator is :data:`mining_licenses.schema.LIST_SEPARATOR`, as in the
    package's other CSV files. Base64 keeps the URI a third larger than the
    CSV, where percent-encoding every comma and space would cost more.
    """
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    flat = frame.with_columns(
        pl.col(name).cast(pl.List(pl.String)).list.join(s.LIST_SEPARATOR) for name in lists
    )
    data = base64.b64encode(flat.write_csv().encode("utf-8")).decode("ascii")
    href = f"data:text/csv;charset=utf-8;base64,{data}"
    return Download(filename, href, rows=frame.height, columns=frame.width)
