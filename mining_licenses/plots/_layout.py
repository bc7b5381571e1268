"""Two layouts of every chart: wide (a page, a notebook) and narrow (a phone's width).

A wide chart is drawn for a screen about a thousand pixels across: legends
on the right, a title with its note beside it. A narrow chart
(``narrow=True``) is drawn :data:`NARROW_WIDTH` inches wide for a phone held
upright: legends under the chart, the note under the title, shorter labels,
and no text under :data:`MIN_NARROW_PT` points. The report embeds both and
the page shows the one that fits the screen; on a 390-pixel phone the narrow
one fills the 360-pixel column, so its smallest text renders at
``8 pt x 360 / (4 in x 72 pt/in) = 10`` CSS pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend

#: Width of a narrow chart, inches (a 390-px phone shows it 360 CSS px wide).
NARROW_WIDTH: Final = 4.0
#: The smallest text of a narrow chart, points.
MIN_NARROW_PT: Final = 8.0
_NOTE_COLOR: Final = "#555555"
#: Characters of 8-pt text a line of a narrow chart holds (4 in, DejaVu Sans).
_NARROW_CHARS: Final = 56


@dataclass(frozen=True)
class Layout:
    """How a chart is laid out: wide (the default) or narrow (a phone's width)."""

    narrow: bool = False

    def size(self, wide: tuple[float, float], narrow_height: float) -> tuple[float, float]:
        """Return the figure size, inches: ``wide``, or narrow's width and ``narrow_height``."""
        return (NARROW_WIDTH, narrow_height) if self.narrow else wide

    def pt(self, wide: float) -> float:
        """Return a font size: ``wide`` points, at least :data:`MIN_NARROW_PT` when narrow."""
        return max(wide, MIN_NARROW_PT) if self.narrow else wide

    def short(self, text: str, wide: int, narrow: int) -> str:
        """Return ``text`` cut to ``wide`` (or, narrow, ``narrow``) characters with an ellipsis."""
        width = narrow if self.narrow else wide
        return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def titles(ax: Axes, title: str, note: str, layout: Layout) -> None:
    """Put the bold title top left, its grey note beside it (wide) or under it (narrow)."""
    if not layout.narrow:
        ax.set_title(title, loc="left", fontsize=13, fontweight="bold")
        if note:
            ax.set_title(note, loc="right", fontsize=9, color=_NOTE_COLOR)
        return
    lines = wrap(note)
    pad = 6 + 11 * lines.count("\n") + (10 if note else 0)
    ax.set_title(wrap(title, 44), loc="left", fontsize=10.5, fontweight="bold", pad=pad)
    if note:
        ax.annotate(
            lines,
            (0.0, 1.0),
            xycoords="axes fraction",
            xytext=(0, 4),
            textcoords="offset points",
            fontsize=MIN_NARROW_PT,
            color=_NOTE_COLOR,
            va="bottom",
            annotation_clip=False,
        )


def wrap(text: str, width: int = _NARROW_CHARS) -> str:
    """Return ``text`` broken into lines that fit a narrow chart at its smallest size.

    Examples
    --------
    >>> print(wrap("4,191 of 4,200 licenses placed · 9 without a location not shown", 40))
    4,191 of 4,200 licenses placed · 9
    without a location not shown
    """
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) if text else text


def legend(
    ax: Axes,
    handles: list[Any],
    labels: list[str],
    title: str,
    layout: Layout,
    *,
    columns: int = 2,
) -> Legend:
    """Add a legend: right of the axes (wide), or under the figure in ``columns`` (narrow)."""
    if not layout.narrow:
        return ax.legend(
            handles,
            labels,
            title=title,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
            fontsize=8,
            title_fontsize=9,
        )
    fig = ax.get_figure(root=True)
    assert fig is not None
    return fig.legend(
        handles,
        labels,
        title=title,
        loc="outside lower left",
        ncols=columns,
        frameon=False,
        fontsize=MIN_NARROW_PT,
        title_fontsize=MIN_NARROW_PT + 0.5,
        alignment="left",
        handlelength=1.2,
        columnspacing=1.0,
    )


def text_sizes(fig: Figure, *, drawn: bool = False) -> list[float]:
    """Return the font size, points, of every text the figure draws inside its bounds.

    What the report records next to each chart image (and the tests check):
    hidden, empty and out-of-figure texts are left out. The figure is laid
    out first, unless ``drawn`` says its canvas has just been drawn.

    Examples
    --------
    >>> from mining_licenses.plots import plot_license_age
    >>> min(text_sizes(plot_license_age(licenses, narrow=True))) >= MIN_NARROW_PT
    True
    """
    from matplotlib.text import Text

    if not drawn:
        fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    bounds = fig.bbox
    sizes = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        if box.x1 < bounds.x0 or box.x0 > bounds.x1 or box.y1 < bounds.y0 or box.y0 > bounds.y1:
            continue
        sizes.append(float(text.get_fontsize()))
    return sizes
