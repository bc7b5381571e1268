"""The pieces a report section is made of, as plain data the template draws.

A :class:`Section` holds an id, a title, a lead and its parts: cards, charts,
tables, notes, headings, definition lists and grids of other parts. Each part
names its ``kind``; ``templates/parts.html.j2`` has one macro per kind. The
builders here turn analytics frames into parts: :func:`table` formats cells
(text only; the template escapes), :func:`chart` embeds a chart drawn twice,
wide and narrow (for a phone), as base64 PNGs the page picks between,
:func:`csv_download` embeds a whole frame as a CSV ``data:`` URI.
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
from mining_licenses._csv import csv_text
from mining_licenses._errors import MissingDependencyError
from mining_licenses.report import _format as fmt

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Pixels per inch of the wide image (shown about its natural size on a desktop) and of
#: the narrow one (shown at about half its natural size on a phone: sharp on its screen).
_DPI: Final = 100
_NARROW_DPI: Final = 200
#: The page shows the narrow image at this width and below (CSS pixels).
NARROW_SCREEN: Final = 700


@dataclass(frozen=True)
class Image:
    """One drawing of a chart: a PNG ``data:`` URI, its natural size, its smallest text."""

    src: str
    width: int
    height: int
    text_px: float  # the smallest text's height in the image's own pixels (font size)


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
    """A chart drawn wide and narrow, with its alt text and caption.

    The page shows ``narrow`` on screens up to :data:`NARROW_SCREEN` CSS
    pixels wide and ``wide`` elsewhere (and on paper); with ``enlarge`` a
    phone can also open the wide image at full size.
    """

    kind: ClassVar[str] = "chart"
    wide: Image
    narrow: Image
    alt: str
    caption: str
    enlarge: bool = False
    media: ClassVar[str] = f"(max-width: {NARROW_SCREEN}px)"


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
    """Parts side by side on a wide screen, one under another on a narrow one.

    With ``flow`` the parts fill two columns top to bottom, as text does, so
    a tall part leaves no gap beside it.
    """

    kind: ClassVar[str] = "grid"
    parts: tuple[Part, ...]
    flow: bool = False


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


def chart(
    draw: Callable[[bool], Figure], alt: str, caption: str, *, enlarge: bool = False
) -> Chart | Note:
    """Draw a chart wide and narrow (``draw(narrow)``), embed both, or say why it is missing."""
    try:
        wide, narrow = _image(draw(False), _DPI), _image(draw(True), _NARROW_DPI)
    except MissingDependencyError as err:
        return Note(f"Chart not drawn: {err}")
    return Chart(wide, narrow, alt, caption, enlarge=enlarge)


def _image(fig: Figure, dpi: int) -> Image:
    """Return the figure as a PNG of 256 colours (a quarter of the bytes; charts have few).

    The figure is drawn once, at ``dpi``: its pixels and its texts' sizes
    come from that one drawing.
    """
    import numpy as np
    from PIL import Image as Pillow  # matplotlib's own dependency

    fig.set_dpi(dpi)
    fig.canvas.draw()
    sizes = plots.text_sizes(fig, drawn=True)
    pixels = np.asarray(fig.canvas.buffer_rgba())  # type: ignore[attr-defined]
    small = Pillow.fromarray(pixels).convert("RGB")
    small = small.quantize(colors=256, method=Pillow.Quantize.FASTOCTREE)
    packed = io.BytesIO()
    small.save(packed, format="png")
    data = base64.b64encode(packed.getvalue()).decode("ascii")
    text_px = round(min(sizes, default=0.0) * dpi / 72.0, 2)
    height, width = pixels.shape[:2]
    return Image(f"data:image/png;base64,{data}", width, height, text_px)


def csv_download(frame: pl.DataFrame, filename: str) -> Download:
    """Embed ``frame`` as a UTF-8 CSV ``data:`` URI, written by the package's one CSV writer.

    List columns are joined with :data:`mining_licenses.schema.LIST_SEPARATOR`
    and text a spreadsheet would run as a formula is neutralised
    (:func:`mining_licenses._csv.csv_text`), as in the package's other CSV
    files. Base64 keeps the URI a third larger than the CSV, where
    percent-encoding every comma and space would cost more.
    """
    data = base64.b64encode(csv_text(frame).encode("utf-8")).decode("ascii")
    href = f"data:text/csv;charset=utf-8;base64,{data}"
    return Download(filename, href, rows=frame.height, columns=frame.width)
