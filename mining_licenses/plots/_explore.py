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
