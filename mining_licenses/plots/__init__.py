"""Charts and maps of the registry (the ``viz`` extra: matplotlib, folium).

Every chart takes a canonical polars frame or its GeoDataFrame, draws what
:mod:`mining_licenses.analytics` computes, and returns a
:class:`matplotlib.figure.Figure`. In Jupyter every figure a cell draws is
shown once, whether or not it is the cell's value; in a script call
``fig.savefig(...)``; or pass ``ax=`` from your own ``plt.subplots()`` to
draw into a figure pyplot manages. Figures are made without pyplot, so they
never pile up in pyplot's registry (``_display`` says how and why).
Commodities have one colour everywhere (:data:`COMMODITY_COLORS`), here and
in :func:`explore`.

Nothing is fetched: :func:`plot_map` draws a bundled land layer (Natural
Earth 1:10m, public domain), a graticule and the gazetteer's province
points; :func:`explore` works offline with ``tiles=None``.

Every chart has two layouts: wide (the default) and ``narrow=True``, drawn
4 inches wide for a phone held upright, with legends under the chart and no
text under 8 points (:func:`text_sizes` lists a figure's font sizes). The
HTML report embeds both and the page shows the one that fits the screen.
Every chart's note says the day its data is as of.

Inside: ``_expiry`` (the expiry schedule), ``_charts`` (area and age
charts), ``_map`` (:func:`plot_map`) and ``_changes`` (:func:`plot_changes`,
the map of what changed) over ``_land`` (the bundled land
layer), ``_islands`` (:func:`plot_small_islands`, inset maps from a
small-islands screen), ``_labels`` (stack numbers and names placed clear of
each other), ``_explore`` (:func:`explore`), ``_bars`` (stacked bars and
their legends), ``_layout`` (wide and narrow), ``_style`` (the palette,
titles, the pyplot-free canvas) and ``_display`` (how figures reach the
screen in Jupyter).
"""

from mining_licenses.plots._changes import plot_changes
from mining_licenses.plots._charts import (
    plot_area_by_province,
    plot_license_age,
    plot_top_companies,
)
from mining_licenses.plots._expiry import plot_expiry_schedule
from mining_licenses.plots._explore import explore
from mining_licenses.plots._islands import plot_small_islands
from mining_licenses.plots._layout import MIN_NARROW_PT, NARROW_WIDTH, text_sizes
from mining_licenses.plots._map import plot_map
from mining_licenses.plots._style import COMMODITY_COLORS, LICENSE_TYPE_COLORS, commodity_color

__all__ = [
    "COMMODITY_COLORS",
    "LICENSE_TYPE_COLORS",
    "MIN_NARROW_PT",
    "NARROW_WIDTH",
    "commodity_color",
    "explore",
    "plot_area_by_province",
    "plot_changes",
    "plot_expiry_schedule",
    "plot_license_age",
    "plot_map",
    "plot_small_islands",
    "plot_top_companies",
    "text_sizes",
]
