"""The static map of the registry, :func:`plot_map` (matplotlib).

Re-exported by :mod:`mining_licenses.plots`; import it from there. It draws
the bundled land layer (Natural Earth, see ``_land``), a graticule and the
gazetteer's province points, zoomed to the licenses; stacks of licenses on
one point are numbered and names placed clear of each other (``_labels``);
nothing is fetched.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import polars as pl

from mining_licenses import gazetteer
from mining_licenses import schema as s
from mining_licenses.analytics import _inputs as inp
from mining_licenses.plots import _style as kit
from mining_licenses.plots._bars import order
from mining_licenses.plots._labels import FAR, NEAR, Placer, marker_boxes
from mining_licenses.plots._land import LAND_CREDIT, draw_land
from mining_licenses.plots._layout import NARROW_WIDTH, Layout, legend, titles, wrap

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend
    from matplotlib.text import Text

_PLACEMENT_NOTE: Final = f"+ province's representative point (gazetteer) · {LAND_CREDIT}"
_SEA: Final = "#e6eff5"
#: The least extent (degrees) a map zoomed to its licenses spans, and the least margin.
_MIN_SPAN: Final = 1.0
_MARGIN: Final = 0.3
#: The tallest and the flattest shape (height / width) of a zoomed map: wide, narrow.
_ASPECTS: Final = {False: (0.9, 0.38), True: (1.25, 0.38)}
#: How many stacks of licenses are numbered at most (the largest first): wide, narrow.
_MAX_NUMBERED: Final = {False: 40, True: 12}
_GRID: Final = "#d5dde5"


@dataclass(frozen=True)
class Sizes:
    """How marker area follows licensed area: ``reference`` ha gets the ``biggest`` marker."""

    reference: float
    biggest: float

    def marker(self, area: float) -> float:
        """Return the marker area (points squared) of a license of ``area`` ha."""
        return 6.0 + self.biggest * min(area / self.reference, 1.0)


def _stacks(placed: pl.DataFrame) -> pl.DataFrame:
    """Return the points licenses share: ``longitude``, ``latitude``, ``len``; largest first."""
    return (
        placed.group_by(s.LONGITUDE, s.LATITUDE)
        .len()
        .filter(pl.col("len") > 1)
        .sort("len", s.LONGITUDE, s.LATITUDE, descending=[True, False, False])
    )


@kit.shown_in_jupyter
def plot_map(
    df: pl.DataFrame | gpd.GeoDataFrame,
    *,
    as_of: dt.date | str | None = None,
    narrow: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Map of licenses coloured by commodity and sized by area, over Indonesia's land.

    Under the licenses: the bundled land layer (Natural Earth 1:10m, public
    domain, credited on the map; Indonesia a shade darker than its
    neighbours), a light graticule, and a cross with its name at each
    province's representative point (from the gazetteer). Licenses the API
    gave a point for are filled circles; licenses placed at their regency's
    gazetteer point are hollow diamonds, since that point is only approximate.
    Where several licenses share one point, the largest such stacks are
    numbered with how many licenses sit there. Unplaced licenses are counted
    in the note, not drawn. The map zooms to the licenses with a margin (the
    whole country when they spread over most of it); names and numbers are
    placed clear of each other, the legends and the credit, and off the
    markers where they can be. The title names the commodity and the province
    when the frame holds only one; the note says as of when.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame.
    as_of
        The day the note says the data is as of; by default the date of the
        frame's latest ``fetched_at``.
    narrow
        Draw for a phone's width (4 in, one legend under the map, no text
        under 8 pt); see :mod:`mining_licenses.plots`.
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The axes hold four collections, each with a ``gid``: ``"land"``,
        ``"provinces"`` (points), ``"api_points"`` (licenses with an API
        point) and ``"regency_points"`` (licenses placed from the gazetteer);
        the stack numbers and province names are texts with the ``gid``
        ``"stack_count"`` and ``"province_label"``.

    Examples
    --------
    >>> fig = plot_map(licenses)
    >>> [c.get_gid() for c in fig.axes[0].collections]
    ['land', 'provinces', 'api_points', 'regency_points']
    >>> coal = licenses.filter(pl.col("commodity_type") == "Coal")
    >>> plot_map(coal).axes[0].get_title(loc="left")
    'Coal licenses'
    """
    function = "plot_map"
    layout = Layout(narrow=narrow)
    frame = inp.require_columns(
        kit.frame(df, function),
        (s.LONGITUDE, s.LATITUDE, s.GEOMETRY_SOURCE, s.COMMODITY, s.AREA_HA),
        function=function,
    )
    day = inp.resolve_as_of(frame, as_of, function=function)
    placed = frame.filter(pl.col(s.LONGITUDE).is_not_null() & pl.col(s.LATITUDE).is_not_null())
    view = _view(placed, narrow=narrow)
    stacks = _stacks(placed)
    commodities = placed[s.COMMODITY].n_unique()
    fig, ax = kit.canvas(ax, _figure_size(view, layout, commodities), function)
    _frame_view(ax, view, layout)
    draw_land(ax)
    provinces = gazetteer.provinces()
    ax.scatter(
        provinces[s.LONGITUDE],
        provinces[s.LATITUDE],
        marker="+",
        s=22,
        c="#8a8a8a",
        linewidths=0.8,
        gid="provinces",
    )

    # an area that is not counted (NaN, infinite, not positive, too large) gets the smallest mark
    areas = placed.select(inp.counted_area_values().fill_null(0.0)).to_series()
    reference = float(areas.quantile(0.98) or 0.0) or 1.0
    biggest = 60.0 if layout.narrow else 160.0  # marker area, points squared
    placed = placed.with_columns(
        (6.0 + biggest * (areas / reference).clip(upper_bound=1.0)).alias("_size")
    ).sort("_size", descending=True)  # small points drawn last, on top
    is_regency = pl.col(s.GEOMETRY_SOURCE).eq_missing(s.GEOMETRY_FROM_REGENCY)
    api, regency = placed.filter(~is_regency), placed.filter(is_regency)
    ax.scatter(
        api[s.LONGITUDE],
        api[s.LATITUDE],
        s=api["_size"],
        c=[kit.commodity_color(c) for c in api[s.COMMODITY]],
        alpha=0.7,
        edgecolors="white",
        linewidths=0.3,
        gid="api_points",
    )
    ax.scatter(
        regency[s.LONGITUDE],
        regency[s.LATITUDE],
        s=regency["_size"],
        marker="D",
        facecolors="none",
        edgecolors=[kit.commodity_color(c) for c in regency[s.COMMODITY]],
        linewidths=0.8,
        gid="regency_points",
    )
    where = kit.scope(frame)
    shown = (
        f"{placed.height:,} licenses, all placed"
        if placed.height == frame.height
        else f"{placed.height:,} of {frame.height:,} licenses placed · "
        f"{frame.height - placed.height:,} without a location not shown"
    )
    titles(
        ax,
        f"{where.licenses('Mining licenses')}{where.where}"
        + ("" if where.commodity else " by commodity"),
        f"{shown} · as of {day.isoformat()}",
        layout,
    )
    sizes = Sizes(reference, biggest)
    legends = _map_legends(ax, placed, (api.height, regency.height), sizes, stacks, layout)
    credit = _credit(ax, layout)
    renderer = getattr(fig.canvas, "get_renderer", None)
    fig.draw_without_rendering()  # settle the layout before measuring label extents
    live = renderer() if renderer is not None else None
    if live is not None:
        taken = [legend.get_window_extent(live) for legend in legends]
        if credit is not None:
            taken.append(credit.get_window_extent(live))
        boxes = marker_boxes(
            ax,
            placed[s.LONGITUDE].to_numpy(),
            placed[s.LATITUDE].to_numpy(),
            placed["_size"].to_numpy(),
            fig.dpi,
        )
        _place_labels(Placer(ax, live, taken, boxes), stacks, provinces, view, layout)
    return fig


def _place_labels(
    placer: Placer,
    stacks: pl.DataFrame,
    provinces: pl.DataFrame,
    view: tuple[float, float, float, float],
    layout: Layout,
) -> None:
    """Put the provinces' names and numbers on the largest stacks of licenses, clear of all.

    Wide, names come first, as they may need a leader line to reach open
    water, and a number sits right beside its point or not at all. Narrow,
    where names get no leader lines, the numbers (the data) come first.
    """
    lon0, lat0, lon1, lat1 = view
    inside = pl.col(s.LONGITUDE).is_between(lon0, lon1) & pl.col(s.LATITUDE).is_between(lat0, lat1)

    def names() -> None:
        style: dict[str, Any] = {"fontsize": layout.pt(6.5), "color": "#4a4a4a"}
        spots = NEAR if layout.narrow else NEAR + FAR
        named = provinces.filter(inside).select(s.PROVINCE, s.LONGITUDE, s.LATITUDE)
        for name, lon, lat in named.iter_rows():  # 38 provinces
            label = placer.place(kit.province_label(name), (lon, lat), spots=spots, **style)
            if label is not None:
                label.set_gid("province_label")

    def numbers() -> None:
        style: dict[str, Any] = {"fontsize": layout.pt(7), "fontweight": "bold", "color": "#1f1f1f"}
        rows = stacks.filter(inside).head(_MAX_NUMBERED[layout.narrow])
        for lon, lat, count in rows.iter_rows():  # a few dozen stacks at most
            label = placer.place(f"{count:,}", (lon, lat), spots=NEAR, **style)
            if label is not None:
                label.set_gid("stack_count")

    for step in (numbers, names) if layout.narrow else (names, numbers):
        step()


def _credit(ax: Axes, layout: Layout) -> Text | None:
    """Credit the land layer and explain the crosses: in the map (wide), under it (narrow)."""
    if layout.narrow:
        ax.set_xlabel(wrap(_PLACEMENT_NOTE), loc="left", fontsize=layout.pt(7), color="#777777")
        return None
    return ax.annotate(
        _PLACEMENT_NOTE,
        (0.0, 0.0),
        xycoords="axes fraction",
        xytext=(4, 4),
        textcoords="offset points",
        fontsize=7,
        color="#777777",
        bbox={
            "boxstyle": "round,pad=0.25",
            "facecolor": "white",
            "edgecolor": "none",
            "alpha": 0.75,
        },
    )


def _view(placed: pl.DataFrame, *, narrow: bool = False) -> tuple[float, float, float, float]:
    """Return the extent to draw: the licenses' with a margin, or Indonesia's when they fill it.

    The licenses' extent is padded by a tenth of its span (at least
    ``_MARGIN`` degrees), made at least ``_MIN_SPAN`` across, and widened
    (or heightened) to a shape a page can hold (``_ASPECTS``); when that
    covers over half of Indonesia's extent, the whole country is drawn.

    Examples
    --------
    >>> one = pl.DataFrame({"longitude": [115.2, 117.9], "latitude": [-2.4, 2.1]})
    >>> _view(one)
    (113.55, -2.85, 119.55, 2.55)
    """
    full = s.INDONESIA_BOUNDS
    if placed.is_empty():
        return full
    lon, lat = placed[s.LONGITUDE], placed[s.LATITUDE]
    low = np.array([lon.min(), lat.min()], dtype=float)
    high = np.array([lon.max(), lat.max()], dtype=float)
    centre = (low + high) / 2
    span = np.maximum(high - low, _MIN_SPAN)
    span = span + 2 * np.maximum(span * 0.1, _MARGIN)
    tallest, flattest = _ASPECTS[narrow]
    width, height = float(span[0]), float(span[1])
    if height > tallest * width:
        width = height / tallest
    elif height < flattest * width:
        height = width * flattest
    whole = (full[2] - full[0]) * (full[3] - full[1])
    if width * height > 0.5 * whole:
        return full
    x0, y0, x1, y1 = (
        round(float(v), 5)
        for v in (centre[0] - width / 2, centre[1] - height / 2, centre[0] + width / 2,
                  centre[1] + height / 2)
    )  # fmt: skip
    return (x0, y0, x1, y1)


def _figure_size(
    view: tuple[float, float, float, float], layout: Layout, commodities: int
) -> tuple[float, float]:
    """Return a figure size whose map has the view's shape, with room for the legends."""
    aspect = (view[3] - view[1]) / (view[2] - view[0])
    if layout.narrow:
        rows = math.ceil((commodities + 6) / 2)  # commodities, places, sizes, stacks: 2 columns
        return (NARROW_WIDTH, 0.9 * NARROW_WIDTH * aspect + 1.5 + 0.2 * rows)
    width = min(13.0, 8.0 / aspect)
    return (width, 0.92 * width * aspect + 2.1)


def _frame_view(ax: Axes, view: tuple[float, float, float, float], layout: Layout) -> None:
    """Set the extent, the sea, and a graticule with a step that suits the extent."""
    lon0, lat0, lon1, lat1 = view
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect("equal")
    ax.set_facecolor(_SEA)
    wide = lon1 - lon0 if not layout.narrow else 2.5 * (lon1 - lon0)  # fewer labels when narrow
    step = 10 if wide > 60 else 5 if wide > 20 else 2 if wide > 8 else 1
    ax.set_xticks(np.arange(math.ceil(lon0 / step) * step, lon1, step))
    ax.set_yticks(np.arange(math.ceil(lat0 / step) * step, lat1, step))
    ax.set_xticklabels([f"{v:.0f}°E" for v in ax.get_xticks()])
    ax.set_yticklabels(
        [f"{abs(v):.0f}°{'S' if v < 0 else 'N' if v > 0 else ''}" for v in ax.get_yticks()]
    )
    ax.tick_params(labelsize=layout.pt(8), color=_GRID, labelcolor="#666666")
    ax.grid(color=_GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    for spine in ax.spines.values():
        spine.set_color(_GRID)


def _map_legends(
    ax: Axes,
    placed: pl.DataFrame,
    where: tuple[int, int],
    sizes: Sizes,
    stacks: pl.DataFrame,
    layout: Layout,
) -> list[Legend]:
    """Add the legends: commodity colours; where points come from, marker sizes, stack numbers.

    Wide: two legends under the map, side by side. Narrow: one legend, in two
    columns, under the figure.
    """
    from matplotlib.lines import Line2D

    counts = placed.group_by(s.COMMODITY).len()
    commodities = order(counts[s.COMMODITY].to_list(), counts["len"].to_list())
    colour_handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="none",
            markeredgecolor="white",
            markerfacecolor=kit.commodity_color(c),
            markersize=7,
        )
        for c in commodities
    ]
    api, regency = where
    other_handles = [
        Line2D([], [], color="#555555", marker="o", linestyle="none", markersize=7),
        Line2D(
            [], [], color="#555555", marker="D", linestyle="none", markersize=6, fillstyle="none"
        ),
    ]
    short = layout.narrow
    other_labels = [
        f"{'API point' if short else 'point given by the API'} ({api:,})",
        f"{'regency point' if short else 'placed at its regency gazetteer point'} ({regency:,})",
    ]
    areas = _nice_sizes(sizes.reference)
    other_handles += [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="none",
            color="#bbbbbb",
            markersize=math.sqrt(sizes.marker(v)),
        )
        for v in areas
    ]
    other_labels += [f"{v:,.0f} ha" for v in areas]
    if stacks.height:
        top = int(stacks["len"][0])
        other_handles.append(
            Line2D([], [], marker=f"${top}$", linestyle="none", color="#1f1f1f", markersize=10)
        )
        stacked = int(stacks["len"].sum())
        other_labels.append(
            f"licenses on one point ({stacked:,} share one)"
            if short
            else f"licenses sharing one point, largest stacks numbered ({stacked:,} share one)"
        )
    colour_labels = [kit.label(c) for c in commodities]
    if layout.narrow:
        handles, labels = colour_handles + other_handles, colour_labels + other_labels
        return [legend(ax, handles, labels, "Commodity · location · area", layout)]
    common = {"frameon": False, "fontsize": 8, "title_fontsize": 8.5, "alignment": "left"}
    width = ax.get_figure(root=True).get_figwidth()  # type: ignore[union-attr]
    first = ax.legend(
        colour_handles,
        colour_labels,
        title="Commodity",
        loc="upper left",
        bbox_to_anchor=(0.0, -0.06),
        ncols=5 if width >= 12 else 2,
        **common,
    )
    ax.add_artist(first)
    second = ax.legend(
        other_handles,
        other_labels,
        title="Location · licensed area",
        loc="upper right",
        bbox_to_anchor=(1.0, -0.06),
        ncols=1,
        **common,
    )
    return [first, second]


def _nice_sizes(reference: float) -> list[float]:
    """Three round areas (1, 2, 5 times a power of ten) for the size legend, up to ``reference``.

    Examples
    --------
    >>> _nice_sizes(12_345.0)
    [500.0, 2000.0, 10000.0]
    """

    def nice_below(value: float) -> float:
        power = 10.0 ** math.floor(math.log10(max(value, 1.0)))
        return max(m * power for m in (1, 2, 5) if m * power <= max(value, 1.0))

    top = nice_below(reference)
    return sorted({nice_below(top / 20), nice_below(top / 4), top})
