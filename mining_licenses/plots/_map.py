"""The map of the registry: :func:`plot_map` (matplotlib) and :func:`explore` (folium).

Re-exported by :mod:`mining_licenses.plots`; import them from there. No
basemap is bundled or fetched: :func:`plot_map` draws Indonesia's extent with
a graticule and the gazetteer's province points, labelled where they fit, and
:func:`explore` works offline with ``tiles=None``.
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

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

_PLACEMENT_NOTE: Final = (
    "No coastline is bundled: + marks each province's representative point (gazetteer)."
)
_SEA: Final = "#f3f7fa"
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
    """Map of licenses coloured by commodity and sized by area, over Indonesia's extent.

    No coastline or province outlines are bundled, so the map is basemap-free:
    a light graticule, and a cross with its name at each province's
    representative point (from the gazetteer). Licenses the API gave a point
    for are filled circles; licenses placed at their regency's gazetteer point
    are hollow diamonds, since that point is only approximate. Unplaced
    licenses are counted in the note, not drawn.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame.
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The axes hold three point collections: province points, licenses with
        an API point, and licenses placed from the gazetteer (in that order).

    Examples
    --------
    >>> fig = plot_map(licenses)
    >>> len(fig.axes[0].collections)
    3
    """
    function = "plot_map"
    fig, ax = kit.canvas(ax, (13, 6.6), function)
    frame = inp.require_columns(
        kit.frame(df, function),
        (s.LONGITUDE, s.LATITUDE, s.GEOMETRY_SOURCE, s.COMMODITY, s.AREA_HA),
        function=function,
    )
    lon0, lat0, lon1, lat1 = s.INDONESIA_BOUNDS
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect("equal")
    ax.set_facecolor(_SEA)
    ax.set_xticks(np.arange(95, lon1, 5))
    ax.set_yticks(np.arange(-10, lat1, 5))
    ax.set_xticklabels([f"{v:.0f}°E" for v in ax.get_xticks()])
    ax.set_yticklabels(
        [f"{abs(v):.0f}°{'S' if v < 0 else 'N' if v > 0 else ''}" for v in ax.get_yticks()]
    )
    ax.tick_params(labelsize=8, color=_GRID, labelcolor="#666666")
    ax.grid(color=_GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    for spine in ax.spines.values():
        spine.set_color(_GRID)
    provinces = gazetteer.provinces()
    ax.scatter(
        provinces[s.LONGITUDE], provinces[s.LATITUDE], marker="+", s=22, c="#8a8a8a", linewidths=0.8
    )

    placed = frame.filter(pl.col(s.LONGITUDE).is_not_null() & pl.col(s.LATITUDE).is_not_null())
    areas = placed[s.AREA_HA].fill_null(0.0).clip(lower_bound=0.0)
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
    )
    ax.scatter(
        regency[s.LONGITUDE],
        regency[s.LATITUDE],
        s=regency["_size"],
        marker="D",
        facecolors="none",
        edgecolors=[kit.commodity_color(c) for c in regency[s.COMMODITY]],
        linewidths=0.8,
    )
    kit.titles(
        ax,
        "Mining licenses by commodity",
        f"{placed.height:,} of {frame.height:,} licenses placed · "
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
    )
    renderer = getattr(fig.canvas, "get_renderer", None)
    fig.draw_without_rendering()  # settle the layout before measuring label extents
    live = renderer() if renderer is not None else None
    avoid = [legend.get_window_extent(live) for legend in legends] if live is not None else []
    _place_labels(ax, live, provinces, avoid)
    return fig


def _map_legends(
    ax: Axes, placed: pl.DataFrame, api: int, regency: int, reference: float
) -> list[Any]:
    from matplotlib.lines import Line2D

    counts = placed.group_by(s.COMMODITY).len()
    commodities = kit.order(counts[s.COMMODITY].to_list(), counts["len"].to_list())
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


def explore(df: pl.DataFrame | gpd.GeoDataFrame, **kwargs: Any) -> Any:
    """Interactive folium map of the licenses, coloured by commodity and sized by area.

    A thin wrapper of :meth:`geopandas.GeoDataFrame.explore`: dates, timestamps
    and lists become text so the features serialise to GeoJSON, unplaced rows
    are left out, and licenses placed at a gazetteer point are drawn hollow.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame.
    **kwargs
        Passed to ``GeoDataFrame.explore`` and override the defaults here
        (``column``, ``cmap``, ``tooltip``, ...). The default ``tiles`` are
        fetched by the browser from OpenStreetMap; ``tiles=None`` draws no
        basemap and fetches no tiles. Either way the page folium writes loads
        Leaflet itself from a CDN, so viewing the map needs a browser that can
        reach it (or has it cached); for an offline picture use :func:`plot_map`.

    Returns
    -------
    folium.Map
        The map (display it in a notebook, or ``.save("map.html")``).

    Examples
    --------
    >>> frame = licenses.filter(pl.col("province") == "Riau")
    >>> m = explore(frame, tiles=None)
    >>> type(m).__name__
    'Map'
    """
    function = "explore"
    kit.require("folium", function)
    kit.require("mapclassify", function)
    import geopandas as gpd

    from mining_licenses.geo import to_geodataframe

    if isinstance(df, gpd.GeoDataFrame):
        gdf = _json_ready(df)
    else:
        gdf = to_geodataframe(_stringify(kit.frame(df, function)))
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    defaults: dict[str, Any] = {
        "marker_kwds": {"radius": 4},
        "style_kwds": {"fillOpacity": 0.75, "weight": 1, "style_function": _feature_style},
        "legend": True,
        "name": "licenses",
    }
    if s.COMMODITY in gdf.columns:
        present = sorted({str(v) for v in gdf[s.COMMODITY].dropna()})
        defaults |= {
            "column": s.COMMODITY,
            "categorical": True,
            "categories": present,
            "cmap": [kit.commodity_color(v) for v in present],
            "missing_kwds": {"color": kit.NULL_COLOR, "label": kit.NULL_LABEL},
        }
    shown = [c for c in _TOOLTIP if c in gdf.columns]
    if shown:
        defaults["tooltip"] = shown
    return gdf.explore(**(defaults | kwargs))


_TOOLTIP: Final = (
    s.COMPANY_NAME,
    s.COMMODITY,
    s.LICENSE_TYPE,
    s.ACTIVITY,
    s.PROVINCE,
    s.AREA_HA,
    s.EXPIRY_DATE,
    s.GEOMETRY_SOURCE,
)


def _feature_style(feature: dict[str, Any]) -> dict[str, Any]:
    """Hollow markers for gazetteer-placed licenses; radius grows with area."""
    props = feature.get("properties", {})
    area = props.get(s.AREA_HA)
    radius = 3.0 + 1.2 * math.log10(max(float(area), 1.0)) if isinstance(area, int | float) else 3.0
    style: dict[str, Any] = {"radius": radius}
    if props.get(s.GEOMETRY_SOURCE) == s.GEOMETRY_FROM_REGENCY:
        style |= {"fillOpacity": 0.0, "weight": 1.5}
    return style


def _stringify(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates and timestamps as ISO text, lists joined by ``; ``: what GeoJSON can hold."""
    return frame.with_columns(
        [
            pl.col(name).cast(pl.List(pl.String)).list.join("; ")
            for name, t in frame.schema.items()
            if isinstance(t, pl.List)
        ]
        + [pl.col(name).cast(pl.String) for name, t in frame.schema.items() if t.is_temporal()]
    )


def _json_ready(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    import pandas as pd

    frame = _stringify(pl.from_pandas(pd.DataFrame(gdf.drop(columns=gdf.geometry.name))))
    out = frame.to_pandas()
    out.index = gdf.index
    return type(gdf)(out, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
