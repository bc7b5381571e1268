"""Inset maps of small islands: each island with the licenses on it."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

from mining_licenses import schema as s
from mining_licenses.analytics import _inputs as inp
from mining_licenses.plots import _style as kit
from mining_licenses.plots._land import polygon_paths
from mining_licenses.plots._layout import NARROW_WIDTH, Layout, wrap
from mining_licenses.spatial import columns as c

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from mining_licenses.spatial import IslandScreen

_ISLAND_FILL: Final = "#ece7dc"
_COAST: Final = "#8c8577"
_COLUMNS: Final = 4
#: The frame around an island: this share of its extent on each side.
_PAD: Final = 0.18
ISLANDS_CREDIT: Final = "Islands: GSHHG full resolution (LGPL-3.0)"


def _inset(
    ax: Axes, shape: object, island: dict[str, object], licenses: pl.DataFrame, layout: Layout
) -> None:
    import shapely
    from matplotlib.collections import PathCollection

    x0, y0, x1, y1 = shapely.bounds(shape)
    span = max(x1 - x0, y1 - y0, 0.02) * (1 + 2 * _PAD)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ax.set_xlim(cx - span / 2, cx + span / 2)
    ax.set_ylim(cy - span / 2, cy + span / 2)
    ax.set_aspect(1 / math.cos(math.radians(cy)))
    ax.set_facecolor("#f3f7fa")
    land = PathCollection(
        polygon_paths(np.array([shape])),
        facecolors=_ISLAND_FILL,
        edgecolors=_COAST,
        linewidths=0.6,
        gid="island",
    )
    ax.add_collection(land, autolim=False)
    regency = pl.col(c.ISLAND_MATCH) == c.REGENCY_ISLAND
    for part, marker, gid in (
        (licenses.filter(~regency), "o", "api"),
        (licenses.filter(regency), "D", "regency"),
    ):
        if not part.height:
            continue
        colours = [kit.commodity_color(v) for v in part[s.COMMODITY]]
        snapped = (part[c.ISLAND_MATCH] == c.SNAPPED).to_numpy()
        ax.scatter(
            part[s.LONGITUDE],
            part[s.LATITUDE],
            s=28,
            marker=marker,
            c=colours if gid == "api" else "none",
            edgecolors=np.where(snapped, "#b22222", "white").tolist() if gid == "api" else colours,
            linewidths=np.where(snapped, 1.2, 0.4).tolist() if gid == "api" else 0.9,
            gid=f"{gid}_points",
            zorder=3,
        )
    ax.set_xticks([])
    ax.set_yticks([])
    km = span * 111.32 * math.cos(math.radians(cy))
    name = str(island[c.ISLAND_LABEL])
    ax.set_title(
        wrap(name, 22) if layout.narrow else name, loc="left", fontsize=8.5, fontweight="bold"
    )
    sep = "\n" if layout.narrow else " · "  # two lines under a narrow inset
    ax.set_title(
        f"{island[c.ISLAND_KM2]:,.1f} km² · {island[c.LICENSES]} lic.{sep}frame {km:,.0f} km",
        loc="right",
        fontsize=layout.pt(7),
        color="#555555",
        y=-0.2 if layout.narrow else -0.12,
    )


@kit.shown_in_jupyter
def plot_small_islands(
    screen: IslandScreen,
    *,
    top: int = 24,
    as_of: dt.date | str | None = None,
    narrow: bool = False,
) -> Figure:
    """Inset maps of the small islands holding licenses, one per island, most licenses first.

    Each inset shows the island's polygon (from the islands layer the screen
    used) and the licenses on it, coloured by commodity: filled circles at the
    API's point (a red ring: snapped from the sea within the screen's snap
    distance), hollow diamonds at the point of a regency that is that one
    island. The title names the island by its regencies (not an official
    name); under it, its area, its licenses, and the width of the frame.

    Parameters
    ----------
    screen
        The result of :func:`mining_licenses.small_islands`.
    top
        At most this many islands are drawn (the table has them all).
    as_of
        The day the title says the licenses are as of; by default the date of
        their latest ``fetched_at``.
    narrow
        Draw for a phone's width: two insets a row, no text under 8 pt (see
        :mod:`mining_licenses.plots`).

    Returns
    -------
    matplotlib.figure.Figure
        One axes per island, each with a ``"island"`` collection.

    Examples
    --------
    >>> from mining_licenses import small_islands
    >>> fig = plot_small_islands(small_islands(licenses), top=4)
    >>> len([ax for ax in fig.axes if ax.collections])
    4
    """
    function = "plot_small_islands"
    kit.require("matplotlib", function)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from mining_licenses.plots._display import NotebookFigure

    small = pl.col(c.SMALL_ISLAND)
    chosen = screen.islands.with_row_index("_at").filter(small).head(max(top, 0))
    n = chosen.height
    layout = Layout(narrow=narrow)
    cols = max(1, min(2 if narrow else _COLUMNS, n))
    rows = max(1, math.ceil(n / cols))
    side = NARROW_WIDTH / 2 if narrow else 3.3
    size = (NARROW_WIDTH if narrow else side * cols, (side + 0.35 * narrow) * rows + 0.8)
    fig = NotebookFigure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    on = screen.licenses.filter(pl.col(c.ISLAND_MATCH).is_in(c.ON_AN_ISLAND))
    for ax, island in zip(axes, chosen.iter_rows(named=True), strict=False):  # a few dozen
        mine = on.filter(pl.col(c.ISLAND_ID) == island[c.ISLAND_ID])
        _inset(ax, screen.shapes[island["_at"]], island, mine, layout)
    for ax in axes[n:]:
        ax.set_axis_off()
    if not n:
        axes[0].text(0.5, 0.5, "No license on a small island", ha="center", va="center")
    total = int(screen.islands.filter(small).height)
    shown = f"{n} of {total}" if total > n else f"{n}"
    day = inp.resolve_as_of(screen.licenses, as_of, function=function)
    title = (
        f"Licenses on small islands (at most {screen.max_km2:,.0f} km²): {shown} islands, "
        f"as of {day.isoformat()}"
    )
    fig.suptitle(
        wrap(title, 44) if narrow else title,
        x=0.01,
        ha="left",
        fontsize=10.5 if narrow else 12,
        fontweight="bold",
    )
    if narrow:  # under the insets: the title takes the top's width
        fig.supxlabel(ISLANDS_CREDIT, x=0.01, ha="left", fontsize=layout.pt(7), color="#777777")
    else:
        fig.text(0.99, 0.998, ISLANDS_CREDIT, ha="right", va="top", fontsize=7, color="#777777")
    return fig
