"""Stacked bars by commodity and their legends, shared by the charts.

A legend lists only what a reader can see: commodities too thin to see in
every bar they are part of are drawn as one grey segment, named in the
legend by how many they are (:func:`segments`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import polars as pl

from mining_licenses import schema as s
from mining_licenses.plots._layout import Layout, legend
from mining_licenses.plots._style import commodity_color, label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: A commodity whose largest segment is under this share of the longest bar is
#: lumped with the other such commodities (about 3 pixels on a chart's width).
MINOR_SHARE: Final = 0.004
MINOR_COLOR: Final = "#b9b4c6"


def order(values: Iterable[str | None], weights: Iterable[float]) -> list[str | None]:
    """Categories by descending weight, ties by name, null last."""
    pairs = sorted(zip(values, weights, strict=True), key=lambda p: (p[0] is None, -p[1], p[0]))
    return [value for value, _ in pairs]


def minor_label(count: int, what: str = "commodities") -> str:
    """Return the legend label of the lumped segment."""
    return f"{count} minor {what}"


def segments(
    wide: Mapping[str | None, np.ndarray],
    *,
    longest: float | None = None,
    colour: Callable[[str | None], str] = commodity_color,
    what: str = "commodities",
) -> list[tuple[str, str, np.ndarray]]:
    """Return the segments to stack as (label, colour, values), largest commodity first.

    ``wide`` holds one array per commodity, one value per bar. Commodities
    that are absent are dropped; two or more whose largest value is under
    :data:`MINOR_SHARE` of ``longest`` (by default the longest stack) become
    one last segment, :func:`minor_label`; a single one keeps its name and
    says it is too small to see. ``colour`` colours a category and ``what``
    names them (commodities by default).

    Examples
    --------
    >>> wide = {"Coal": np.array([900.0, 50.0]), "Tin": np.array([1.0, 0.0]),
    ...         "Clay": np.array([0.0, 2.0]), "Gold": np.array([0.0, 0.0])}
    >>> [(name, values.tolist()) for name, _, values in segments(wide)]
    [('Coal', [900.0, 50.0]), ('2 minor commodities', [1.0, 2.0])]
    """
    present = {c: np.asarray(v, dtype=float) for c, v in wide.items() if np.any(v)}
    if not present:
        return []
    top = float(np.sum(list(present.values()), axis=0).max()) if longest is None else longest
    minor = [c for c, v in present.items() if v.max() < MINOR_SHARE * top]
    major = [c for c in present if c not in minor]
    out = [
        (label(c), colour(c), present[c])
        for c in order(major, [float(present[c].sum()) for c in major])
    ]
    if len(minor) == 1:  # one thin category keeps its name, and says why it cannot be seen
        out.append((f"{label(minor[0])} (too small to see)", colour(minor[0]), present[minor[0]]))
    elif minor:
        out.append(
            (minor_label(len(minor), what), MINOR_COLOR, np.sum([present[c] for c in minor], 0))
        )
    return out


def stacked_barh(
    ax: Axes,
    table: pl.DataFrame,
    rows: list[str | None],
    key: str,
    *,
    scale: float,
    height: float = 0.72,
) -> list[float]:
    """Draw horizontal bars of ``table`` (``key``, commodity, area) stacked by commodity."""
    wide: dict[str | None, np.ndarray] = {}
    index = {row: i for i, row in enumerate(rows)}
    for row, commodity, area in table.select(key, s.COMMODITY, s.AREA_HA).iter_rows():
        if row in index:  # a few dozen rows at most: one per province/company and commodity
            wide.setdefault(commodity, np.zeros(len(rows)))[index[row]] += (area or 0.0) / scale
    left = np.zeros(len(rows))
    for name, colour, widths in segments(wide):
        ax.barh(
            np.arange(len(rows)),
            widths,
            left=left,
            color=colour,
            label=name,
            height=height,
            edgecolor="white",
            linewidth=0.4,
        )
        left += widths
    ax.set_yticks(np.arange(len(rows)), [label(r) for r in rows])
    ax.set_ylim(len(rows) - 0.4, -0.6)  # largest on top
    return [float(v) for v in left]


def row_names(ax: Axes, names: Sequence[str], *, above: bool, size: float = 9) -> None:
    """Name the bars: as tick labels left of them, or (``above``) over each bar, from the left.

    Above is how a phone reads a bar chart: the bars get the chart's whole
    width, and a long name needs no cutting.
    """
    if not above:
        ax.set_yticks(np.arange(len(names)), list(names))
        return
    ax.set_yticks([])
    for y, name in enumerate(names):
        ax.annotate(
            name,
            (0.0, y - 0.3),
            xycoords=("axes fraction", "data"),
            xytext=(0, 1),
            textcoords="offset points",
            va="bottom",
            ha="left",
            fontsize=size,
            color="#1f1f1f",
        )
    ax.set_ylim(len(names) - 0.5, -1.05)  # room for the first name over its bar


def value_label(
    ax: Axes,
    xy: tuple[float, float],
    text: str,
    *,
    bold: bool = False,
    end: bool = False,
    size: float | None = None,
) -> None:
    """Write a bar's value above its top, or past its end (``end=True``, horizontal bars)."""
    ax.annotate(
        text,
        xy,
        xytext=(4, 0) if end else (0, 2),
        textcoords="offset points",
        ha="left" if end else "center",
        va="center" if end else "baseline",
        fontsize=size or (8 if bold or end else 7),
        fontweight="bold" if bold else "normal",
        color="#333333",
    )


def bar_end_labels(ax: Axes, totals: Sequence[float], texts: Sequence[str]) -> None:
    for y, (total, text) in enumerate(zip(totals, texts, strict=True)):
        value_label(ax, (total, y), text, end=True)
    ax.set_xlim(0, max(totals, default=1.0) * 1.16 or 1.0)


def _swatch(handle: Any) -> Any:
    patches = getattr(handle, "patches", None)  # bar() gives containers, hist() patches
    patch = patches[0] if patches else handle
    return patch.get_facecolor()[:3]


def legend_for(ax: Axes, title: str, layout: Layout, *, reverse: bool = False) -> None:
    """Add the legend of the bars drawn: right of the axes, or under the figure when narrow."""
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    # plain swatches: a container's first bar may be hatched (the expired bar)
    handles = [Patch(facecolor=_swatch(h)) for h in handles]
    if reverse:  # a vertical stack reads top down, like the legend
        handles, labels = handles[::-1], labels[::-1]
    legend(ax, handles, labels, title, layout)
