"""The map of what changed: points coloured by a category (an event type), over the land.

Re-exported by :mod:`mining_licenses.plots`. The digest of an update and the
report's "What changed" section draw it; it knows nothing of the event
vocabulary: the categories and their order are given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import polars as pl

from mining_licenses import schema as s
from mining_licenses.plots import _style as kit
from mining_licenses.plots._land import LAND_CREDIT, draw_land
from mining_licenses.plots._layout import NARROW_WIDTH, Layout, legend, titles
from mining_licenses.plots._map import _frame_view, _view

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Colours of categories by their place in the order given (colour-blind friendly first).
CATEGORY_COLORS: Final = (
    "#0072b2",
    "#d55e00",
    "#009e73",
    "#cc79a7",
    "#e69f00",
    "#56b4e9",
    "#7b3f00",
    "#3a3a3a",
    "#b8b26a",
    "#8172b3",
    "#c23b22",
    "#66a61e",
    "#17becf",
    "#9e9e9e",
    "#e7298a",
)


@kit.shown_in_jupyter
def plot_changes(
    df: pl.DataFrame | gpd.GeoDataFrame,
    *,
    by: str = "event",
    categories: Sequence[str] | None = None,
    title: str = "What changed",
    narrow: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Map of points (``longitude``, ``latitude``) coloured by the category in column ``by``.

    Parameters
    ----------
    df
        Rows with ``longitude``, ``latitude`` and ``by`` (e.g. events with
        their licenses' points); rows without a point are counted, not drawn.
    by
        The category column.
    categories
        The categories in legend order, each with a fixed colour (default:
        those present, sorted).
    title
        The map's title.
    narrow
        Draw for a phone's width (legend under the map, no text under 8 pt;
        see :mod:`mining_licenses.plots`).
    ax
        Axes to draw into; by default a new figure.

    Examples
    --------
    >>> pts = pl.DataFrame({"event": ["new", "moved"], "longitude": [117.0, 130.6],
    ...                     "latitude": [0.5, -0.9]})
    >>> fig = plot_changes(pts, categories=["new", "moved"])
    >>> [c.get_gid() for c in fig.axes[0].collections]
    ['land', 'new', 'moved']
    """
    function = "plot_changes"
    layout = Layout(narrow=narrow)
    frame = kit.frame(df, function)
    missing = [c for c in (s.LONGITUDE, s.LATITUDE, by) if c not in frame.columns]
    if missing:
        msg = f"plot_changes() needs the column(s) {', '.join(missing)}."
        raise ValueError(msg)
    placed = frame.filter(pl.col(s.LONGITUDE).is_not_null() & pl.col(s.LATITUDE).is_not_null())
    view = _view(placed, narrow=narrow)
    height = 2.4 + 0.9 * NARROW_WIDTH * (view[3] - view[1]) / (view[2] - view[0])
    fig, ax = kit.canvas(ax, layout.size((11, 5.6), height), function)
    names = (
        list(categories)
        if categories is not None
        else sorted(placed[by].drop_nulls().unique().to_list())
    )
    _frame_view(ax, view, layout)
    draw_land(ax)
    for place, name in enumerate(names):
        rows = placed.filter(pl.col(by) == name)
        if not rows.height:
            continue
        ax.scatter(
            rows[s.LONGITUDE],
            rows[s.LATITUDE],
            s=20 if narrow else 36,
            c=CATEGORY_COLORS[place % len(CATEGORY_COLORS)],
            alpha=0.85,
            edgecolors="white",
            linewidths=0.5,
            label=f"{name} ({rows.height:,})",
            gid=name,
        )
    note = f"{placed.height:,} of {frame.height:,} placed · {LAND_CREDIT}"
    titles(ax, title, note, layout)
    if placed.height and narrow:
        handles, labels = ax.get_legend_handles_labels()
        legend(ax, handles, labels, "Event", layout)
    elif placed.height:
        ax.legend(loc="upper right", fontsize=8, frameon=True, framealpha=0.85)
    return fig
