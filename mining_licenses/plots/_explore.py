"""The interactive map, :func:`explore` (folium, through ``GeoDataFrame.explore``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from mining_licenses import schema as s
from mining_licenses.plots import _style as kit

if TYPE_CHECKING:
    import geopandas as gpd


def explore(df: pl.DataFrame | gpd.GeoDataFrame, **kwargs: Any) -> Any:
    """Interactive folium map of the licenses, coloured by commodity and sized by area.

    A thin wrapper of :meth:`geopandas.GeoDataFrame.explore`: dates, timestamps
    and lists become text so the features serialise to GeoJSON, unplaced rows
    are left out, and licenses placed at a gazetteer point are drawn hollow.
    Where several licenses share one point, a number beside it says how many
    (and each one's tooltip, ``licenses_at_point``), in a layer of its own
    ("licenses on one point"); the view fits the licenses with a margin.

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
    import pandas as pd

    from mining_licenses.geo import to_geodataframe

    if isinstance(df, gpd.GeoDataFrame):
        gdf = _json_ready(df)
    else:
        gdf = to_geodataframe(_stringify(kit.frame(df, function)))
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    x, y = gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()
    keys = pd.Series(list(zip(x, y, strict=True)), index=gdf.index, dtype=object)
    gdf = gdf.assign(**{AT_POINT: keys.map(keys.value_counts()).astype("int64")})
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
    shown = [c for c in (*_TOOLTIP, AT_POINT) if c in gdf.columns]
    if shown:
        defaults["tooltip"] = shown
    m = gdf.explore(**(defaults | kwargs))
    if len(gdf) and not {"m", "location", "zoom_start"} & set(kwargs):
        x0, y0, x1, y1 = gdf.total_bounds
        margin = max(0.1 * max(x1 - x0, y1 - y0), 0.3)  # as plot_map's margin
        m.fit_bounds([[y0 - margin, x0 - margin], [y1 + margin, x1 + margin]])
    _number_stacks(m, gdf)
    return m


#: Column added to the tooltip: how many licenses share the license's point.
AT_POINT: Final = "licenses_at_point"


def _number_stacks(m: Any, gdf: gpd.GeoDataFrame) -> None:
    """Add a layer numbering each point several licenses share."""
    import folium

    stacked = gdf[gdf[AT_POINT] > 1]
    if stacked.empty:
        return
    layer = folium.FeatureGroup(name="licenses on one point", show=True)
    shared = stacked.assign(_x=stacked.geometry.x, _y=stacked.geometry.y)
    for lon, lat, count in shared[["_x", "_y", AT_POINT]].drop_duplicates().itertuples(index=False):
        folium.Marker(  # one marker per shared point: a few hundred at most
            [lat, lon],
            icon=folium.DivIcon(html=_STACK_HTML.format(count=count), icon_size=(0, 0)),
            tooltip=f"{count:,} licenses on this point",
        ).add_to(layer)
    layer.add_to(m)


_STACK_HTML: Final = (
    '<div style="font: bold 11px sans-serif; color: #1f1f1f; white-space: nowrap; '
    'text-shadow: 0 0 2px #fff, 0 0 3px #fff; transform: translate(6px, -16px)">{count}</div>'
)


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
    counted = isinstance(area, int | float) and math.isfinite(area) and 0 < area <= s.MAX_AREA_HA
    radius = 3.0 + 1.2 * math.log10(max(float(area), 1.0)) if counted else 3.0
    style: dict[str, Any] = {"radius": radius}
    if props.get(s.GEOMETRY_SOURCE) == s.GEOMETRY_FROM_REGENCY:
        style |= {"fillOpacity": 0.0, "weight": 1.5}
    return style


#: HTML's special characters and their entities (``html.escape`` with ``quote=True``).
_HTML: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}


def escaped(expr: pl.Expr) -> pl.Expr:
    """Return the text of ``expr`` with HTML's special characters as entities.

    Folium writes a feature's values into its tooltip, popup and legend as
    HTML, so a company named ``<img src=x onerror=...>`` would run as code in
    the reader's browser: every text value is escaped before it reaches the
    map, and shows as the characters it holds. One pass (``replace_many``), so
    ``&`` is never escaped twice.

    Examples
    --------
    >>> pl.select(escaped(pl.lit("<b>A & B</b>"))).item()
    '&lt;b&gt;A &amp; B&lt;/b&gt;'
    """
    return expr.str.replace_many(list(_HTML), list(_HTML.values()))


def _stringify(frame: pl.DataFrame) -> pl.DataFrame:
    """Text HTML-escaped, dates and timestamps as ISO text, lists joined by ``; ``.

    What GeoJSON can hold and folium can show without running it as HTML.
    """
    lists = [
        escaped(pl.col(name).cast(pl.List(pl.String)).list.join("; "))
        for name, t in frame.schema.items()
        if isinstance(t, pl.List)
    ]
    texts = [escaped(pl.col(name)) for name, t in frame.schema.items() if t == pl.String]
    times = [pl.col(name).cast(pl.String) for name, t in frame.schema.items() if t.is_temporal()]
    return frame.with_columns(lists + texts + times)


def _json_ready(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    import pandas as pd

    frame = _stringify(pl.from_pandas(pd.DataFrame(gdf.drop(columns=gdf.geometry.name))))
    out = frame.to_pandas()
    out.index = gdf.index
    return type(gdf)(out, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
