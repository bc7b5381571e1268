"""The map of the registry: :func:`plot_map` (matplotlib) and :func:`explore` (folium).

Re-exported by :mod:`mining_licenses.plots`; import them from there.
:func:`plot_map` draws the bundled land layer (Natural Earth, see ``_land``),
a graticule and the gazetteer's province points, labelled where they fit;
nothing is fetched. :func:`explore` works offline with ``tiles=None``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import polars as pl

from mining_licenses import gazetteer
from mining_licenses import schema as s
from mining_licenses.analytics import _inputs as inp
from mining_licenses.plots import _style as kit
from mining_licenses.plots._bars import order
from mining_licenses.plots._land import LAND_CREDIT, draw_land

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

_PLACEMENT_NOTE: Final = f"+ province's representative point (gazetteer) · {LAND_CREDIT}"
_SEA: Final = "#e6eff5"
#: The smallest extent (lon, lat degrees) a map zoomed to its licenses shows.
_MIN_SPAN: Final = (10.0, 7.0)
_GRID: Final = "#d5dde5"


def _province_label(name: str) -> str:
    return name.replace("Kepulauan ", "Kep. ")


def _place_labels(
    ax: Axes, renderer: RendererBase | None, points: pl.DataFrame, avoid: list[Bbox]
) -> None:
    """Label province points, trying nearby spots and then farther ones with a leader line."""
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    near = [(4, 2, "left", "bottom"), (4, -2, "left", "top"), (-4, 2, "right", "bottom")]
    near += [(-4, -2, "right", "top"), (0, 5, "center", "bottom"), (0, -5, "center", "top")]
    far = [
        (dx * r, dy * r, "left" if dx > 0 else "right" if dx < 0 else "center", va)
        for r in (14, 24, 34)
        for dx, dy, va in ((1, 1, "bottom"), (1, -1, "top"), (-1, 1, "bottom"), (-1, -1, "top"))
    ]
    frame_box = ax.get_window_extent(renderer)
    placed = list(avoid)
    for name, x, y in points.select(s.PROVINCE, s.LONGITUDE, s.LATITUDE).iter_rows():
        for dx, dy, ha, va in near + far if renderer is not None else near[:1]:
            leader = {"arrowstyle": "-", "color": "#9a9a9a", "lw": 0.5} if abs(dx) > 5 else None
            text = ax.annotate(
                _province_label(name),
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=6.5,
                color="#4a4a4a",
                path_effects=halo,
                arrowprops=leader,
                annotation_clip=True,
            )
            text.set_in_layout(False)
            if renderer is None:
                break
            box = text.get_window_extent(renderer).expanded(1.04, 1.15)
            inside = frame_box.contains(box.x0, box.y0) and frame_box.contains(box.x1, box.y1)
            if inside and not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            text.remove()


@kit.shown_in_jupyter
def plot_map(df: pl.DataFrame | gpd.GeoDataFrame, *, ax: Axes | None = None) -> Figure:
    """Map of licenses coloured by commodity and sized by area, over Indonesia's land.

    Under the licenses: the bundled land layer (Natural Earth 1:10m, public
    domain, credited on the map; Indonesia a shade darker than its
    neighbours), a light graticule, and a cross with its name at each
    province's representative point (from the gazetteer). Licenses the API
    gave a point for are filled circles; licenses placed at their regency's
    gazetteer point are hollow diamonds, since that point is only approximate.
    Unplaced licenses are counted in the note, not drawn. The title names the
    commodity and the province when the frame holds only one.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame.
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The axes hold four collections, each with a ``gid``: ``"land"``,
        ``"provinces"`` (points), ``"api_points"`` (licenses with an API
        point) and ``"regency_points"`` (licenses placed from the gazetteer).

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
    fig, ax = kit.canvas(ax, (13, 6.6), function)
    frame = inp.require_columns(
        kit.frame(df, function),
        (s.LONGITUDE, s.LATITUDE, s.GEOMETRY_SOURCE, s.COMMODITY, s.AREA_HA),
        function=function,
    )
    placed = frame.filter(pl.col(s.LONGITUDE).is_not_null() & pl.col(s.LATITUDE).is_not_null())
    _frame_view(ax, _view(placed))
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
    placed = placed.with_columns(
        (6.0 + 160.0 * (areas / reference).clip(upper_bound=1.0)).alias("_size")
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
    kit.titles(
        ax,
        f"{where.licenses('Mining licenses')}{where.where}"
        + ("" if where.commodity else " by commodity"),
        f"{placed.height:,} licenses, all placed"
        if placed.height == frame.height
        else f"{placed.height:,} of {frame.height:,} licenses placed · "
        f"{frame.height - placed.height:,} without a location not shown",
    )
    legends = _map_legends(ax, placed, api.height, regency.height, reference)
    ax.annotate(
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
    renderer = getattr(fig.canvas, "get_renderer", None)
    fig.draw_without_rendering()  # settle the layout before measuring label extents
    live = renderer() if renderer is not None else None
    avoid = [legend.get_window_extent(live) for legend in legends] if live is not None else []
    _place_labels(ax, live, provinces, avoid)
    return fig


def _view(placed: pl.DataFrame) -> tuple[float, float, float, float]:
    """Return the extent to draw: Indonesia's, or the licenses' when they fill under half of it.

    The licenses' extent is padded by a degree, widened to at least
    ``_MIN_SPAN`` and to the full map's shape (so it fills the same frame),
    and kept inside Indonesia's extent: a province's licenses are seen with
    their coast around them.

    Examples
    --------
    >>> one = pl.DataFrame({"longitude": [117.0, 117.5], "latitude": [0.5, -0.2]})
    >>> _view(one)
    (108.01389, -3.35, 126.48611, 3.65)
    """
    full = s.INDONESIA_BOUNDS
    if placed.is_empty():
        return full
    lon, lat = placed[s.LONGITUDE], placed[s.LATITUDE]
    low = np.array([lon.min(), lat.min()], dtype=float) - 1.0  # a degree around the licenses
    high = np.array([lon.max(), lat.max()], dtype=float) + 1.0
    lo_limit, hi_limit = np.array(full[:2]), np.array(full[2:])
    whole = hi_limit - lo_limit
    size = np.maximum(high - low, _MIN_SPAN)
    size = np.maximum(size, [size[1] * whole[0] / whole[1], size[0] * whole[1] / whole[0]])
    if size[0] * size[1] > 0.5 * whole[0] * whole[1]:  # the shape of the full map, so it fills
        return full
    start = np.clip((low + high - size) / 2, lo_limit, hi_limit - size)
    x0, y0, x1, y1 = (round(float(v), 5) for v in (*start, *(start + size)))
    return (x0, y0, x1, y1)


def _frame_view(ax: Axes, view: tuple[float, float, float, float]) -> None:
    """Set the extent, the sea, and a graticule with a step that suits the extent."""
    lon0, lat0, lon1, lat1 = view
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect("equal")
    ax.set_facecolor(_SEA)
    step = 5 if lon1 - lon0 > 20 else 2 if lon1 - lon0 > 8 else 1
    ax.set_xticks(np.arange(math.ceil(lon0 / step) * step, lon1, step))
    ax.set_yticks(np.arange(math.ceil(lat0 / step) * step, lat1, step))
    ax.set_xticklabels([f"{v:.0f}°E" for v in ax.get_xticks()])
    ax.set_yticklabels(
        [f"{abs(v):.0f}°{'S' if v < 0 else 'N' if v > 0 else ''}" for v in ax.get_yticks()]
    )
    ax.tick_params(labelsize=8, color=_GRID, labelcolor="#666666")
    ax.grid(color=_GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    for spine in ax.spines.values():
        spine.set_color(_GRID)


def _map_legends(
    ax: Axes, placed: pl.DataFrame, api: int, regency: int, reference: float
) -> list[Any]:
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
    source_handles = [
        Line2D([], [], color="#555555", marker="o", linestyle="none", markersize=7),
        Line2D(
            [], [], color="#555555", marker="D", linestyle="none", markersize=6, fillstyle="none"
        ),
    ]
    source_labels = [
        f"point given by the API ({api:,})",
        f"placed at its regency's gazetteer point ({regency:,})",
    ]
    sizes = _nice_sizes(reference)
    size_handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="none",
            color="#bbbbbb",
            markersize=math.sqrt(6.0 + 160.0 * min(v / reference, 1.0)),
        )
        for v in sizes
    ]
    common = {"frameon": False, "fontsize": 8, "title_fontsize": 8.5, "alignment": "left"}
    first = ax.legend(
        colour_handles,
        [kit.label(c) for c in commodities],
        title="Commodity",
        loc="upper left",
        bbox_to_anchor=(0.0, -0.06),
        ncols=5,
        **common,
    )
    ax.add_artist(first)
    second = ax.legend(
        source_handles + size_handles,
        source_labels + [f"{v:,.0f} ha" for v in sizes],
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
