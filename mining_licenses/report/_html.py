"""HTML building blocks of the report: escaping, number formats, tables, charts, sections.

Used by :mod:`mining_licenses.report` and :mod:`mining_licenses._report_sections`;
how the page around them looks is in :mod:`mining_licenses._report_template`.
Every text from the data goes through :func:`esc`; charts are embedded as
base64 PNGs, so the page loads nothing from the network.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from mining_licenses import plots
from mining_licenses._errors import MissingDependencyError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_DPI: Final = 100
NA: Final = "—"


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def count(value: Any) -> str:
    return f"{value:,}"


def ha(value: Any) -> str:
    return f"{value:,.0f}"


def ha1(value: Any) -> str:
    return f"{value:,.1f}"


def share(value: Any) -> str:
    if 0 < value < 0.0005:  # one record in thousands is not "0.0%"
        return "<0.1%"
    return f"{value:.1%}"


def years(value: Any) -> str:
    return f"{value:.1f}"


def plain(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(map(str, value))
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Col:
    """One column of an HTML table: the frame column, its header, how to show a value."""

    name: str
    header: str
    fmt: Callable[[Any], str] = plain
    numeric: bool = False
    css: str = ""


def table(
    frame: pl.DataFrame,
    columns: Sequence[Col],
    *,
    caption: str = "",
    scroll: bool = False,
    swatch: str | None = None,
) -> str:
    """Render ``frame`` as an HTML table; numbers right-aligned, nulls as a dash."""
    if frame.is_empty():
        return f'<p class="lead">{esc(caption)}: none.</p>' if caption else "<p>None.</p>"
    head = "".join(
        f'<th scope="col"{" class=num" if c.numeric else ""}>{esc(c.header)}</th>' for c in columns
    )
    rows = []
    for row in frame.select([c.name for c in columns]).iter_rows():  # a few hundred rows at most
        cells = []
        for col, value in zip(columns, row, strict=True):
            classes = " ".join(x for x in ("num" if col.numeric else "", col.css) if x)
            missing = value is None or (isinstance(value, float) and math.isnan(value))
            if missing:
                cells.append(f'<td class="na {classes}">{NA}</td>')
                continue
            text = esc(col.fmt(value))
            if col.name == swatch:
                colour = plots.commodity_color(str(value))
                text = f'<span class="swatch" style="background:{colour}"></span>{text}'
            cells.append(f'<td class="{classes}">{text}</td>' if classes else f"<td>{text}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    markup = (
        f"<table>{f'<caption>{esc(caption)}</caption>' if caption else ''}"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return f'<div class="scroll">{markup}</div>' if scroll else markup


def figure(draw: Callable[[], Figure], alt: str, caption: str) -> str:
    """Draw a chart and embed it as a base64 PNG, or say why it is missing."""
    try:
        fig = draw()
    except MissingDependencyError as err:
        return f'<p class="lead">Chart not drawn: {esc(err)}</p>'
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    width, height = (round(v * _DPI) for v in fig.get_size_inches())
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" width="{width}" height="{height}" '
        f'alt="{esc(alt)}"><figcaption>{esc(caption)}</figcaption></figure>'
    )


def section(section_id: str, title: str, lead: str, *parts: str) -> str:
    return (
        f'<section id="{section_id}"><h2>{esc(title)}</h2>'
        f'<p class="lead">{esc(lead)}</p>{"".join(parts)}</section>'
    )


def card(label: str, value: str, detail: str = "", *, alert: bool = False) -> str:
    return (
        f'<div class="card{" alert" if alert else ""}"><div class="value">{esc(value)}</div>'
        f'<div class="label">{esc(label)}</div>'
        f"{f'<div class=detail>{esc(detail)}</div>' if detail else ''}</div>"
    )
