"""The palette and the drawing plumbing shared by the charts and the map.

Re-exported where public by :mod:`mining_licenses.plots` (the palette and
:func:`commodity_color`); the rest (a pyplot-free canvas that Jupyter shows,
titles, axis styles, stacked bars, legends) is used by the chart and map
modules. Matplotlib is imported inside the functions that draw, never here at
import.
"""

from __future__ import annotations

import functools
import sys
import zlib
from collections.abc import Callable, Iterable, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, ParamSpec

import numpy as np
import polars as pl

from mining_licenses import schema as s
from mining_licenses._errors import MissingDependencyError
from mining_licenses.analytics import _inputs as inp

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: One colour per known commodity, used by every chart and map of the package.
COMMODITY_COLORS: Final = MappingProxyType(
    {
        "Coal": "#3a3a3a",
        "Nickel": "#1b9e77",
        "Gold": "#e6ab02",
        "Copper": "#d95f02",
        "Tin": "#5b9bd5",
        "Bauxite": "#c23b22",
        "Iron": "#7b3f00",
        "Limestone": "#b8b26a",
        "Granite": "#e7298a",
        "Clay": "#c49c94",
        "Sand": "#f2d98c",
        "Sand, Stone, Gravel": "#7570b3",
        "Non-Metallic Mineral": "#66a61e",
        "Others": "#9e9e9e",
    }
)
#: One colour per known license type (age chart, explore tooltips).
LICENSE_TYPE_COLORS: Final = MappingProxyType(
    {
        "IUP": "#4c72b0",
        "IUPK": "#dd8452",
        "IPR": "#55a868",
        "KK": "#c44e52",
        "PKP2B": "#8172b3",
        "SIPB": "#937860",
    }
)
# Values outside the known sets get a muted colour chosen by a stable hash of
# the value, so an unknown commodity has the same colour in every chart.
_FALLBACK_COLORS: Final = ("#17becf", "#ff9da7", "#393b79", "#9edae5", "#843c39", "#637939")
NULL_COLOR: Final = "#d9d9d9"
#: Label of a null category in legends and axes.
NULL_LABEL: Final = "(not given)"

_EXTRA: Final = "pip install 'mining-licenses[viz]'"
_PACKAGE: Final = "mining_licenses"
_P = ParamSpec("_P")


def commodity_color(value: str | None) -> str:
    """Return the colour of a commodity (hex); unknown values get a stable muted colour.

    Examples
    --------
    >>> commodity_color("Coal")
    '#3a3a3a'
    >>> commodity_color("Unobtainium") == commodity_color("Unobtainium")
    True
    """
    if value is None:
        return NULL_COLOR
    return COMMODITY_COLORS.get(value) or _fallback_color(value)


def _fallback_color(value: str) -> str:
    return _FALLBACK_COLORS[zlib.crc32(value.encode()) % len(_FALLBACK_COLORS)]


def license_type_color(value: str | None) -> str:
    if value is None:
        return NULL_COLOR
    return LICENSE_TYPE_COLORS.get(value) or _fallback_color(value)


def require(module: str, function: str) -> None:
    try:
        __import__(module)
    except ImportError as err:
        msg = (
            f"{function}() needs {module}, which is not installed; install the viz extra: {_EXTRA}"
        )
        raise MissingDependencyError(msg) from err


def canvas(ax: Axes | None, figsize: tuple[float, float], function: str) -> tuple[Figure, Axes]:
    """Return the figure and axes to draw on: ``ax``'s, or a new pyplot-free figure."""
    require("matplotlib", function)
    if ax is not None:
        fig = ax.get_figure(root=True)
        if fig is None:
            msg = f"{function}(ax=...) got axes that belong to no figure; pass axes of a figure."
            raise ValueError(msg)
        return fig, ax
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from mining_licenses.plots._display import NotebookFigure

    fig = NotebookFigure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)  # a real canvas, so text can be measured before saving
    return fig, fig.add_subplot()


def shown_in_jupyter(draw: Callable[_P, Figure]) -> Callable[_P, Figure]:
    """Make a public plot function's figure show in Jupyter even when not the cell's value.

    Only calls from outside the package count: the report draws the same
    charts to embed them, and those must not pop up in the user's cell.
    See :mod:`mining_licenses.plots._display` for the mechanism and why.
    """

    @functools.wraps(draw)
    def drawn(*args: _P.args, **kwargs: _P.kwargs) -> Figure:
        fig = draw(*args, **kwargs)
        if "IPython" in sys.modules:  # never true in a plain script: no cost there
            caller = str(sys._getframe(1).f_globals.get("__name__", ""))
            if caller != _PACKAGE and not caller.startswith(f"{_PACKAGE}."):
                from mining_licenses.plots import _display

                _display.queue(fig)
        return fig

    return drawn


def frame(df: pl.DataFrame | gpd.GeoDataFrame, function: str) -> pl.DataFrame:
    return inp.to_polars_frame(df, function=function)[0]


def thousands(ax: Axes, axis: Literal["x", "y"], decimals: int = 0) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.{decimals}f}"))
    if decimals == 0:
        target.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))


def titles(ax: Axes, title: str, note: str = "") -> None:
    """Put a bold title on the left and a grey note on the right, as every chart has."""
    ax.set_title(title, loc="left", fontsize=13, fontweight="bold")
    if note:
        ax.set_title(note, loc="right", fontsize=9, color="#555555")


def style(ax: Axes, *, grid: Literal["x", "y"]) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis=grid, color="#e3e3e3", linewidth=0.8)
    ax.set_axisbelow(True)


def empty(fig: Figure, ax: Axes, title: str) -> Figure:
    titles(ax, title)
    ax.text(0.5, 0.5, "No licenses to show", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def label(value: str | None) -> str:
    return NULL_LABEL if value is None else value


def order(values: Iterable[str | None], weights: Iterable[float]) -> list[str | None]:
    """Categories by descending weight, ties by name, null last."""
    pairs = sorted(zip(values, weights, strict=True), key=lambda p: (p[0] is None, -p[1], p[0]))
    return [value for value, _ in pairs]


def stacked_barh(
    ax: Axes, table: pl.DataFrame, rows: list[str | None], key: str, *, scale: float
) -> list[float]:
    """Draw horizontal bars of ``table`` (``key``, commodity, area) stacked by commodity."""
    wide = {name: np.zeros(len(rows)) for name in (None, *COMMODITY_COLORS)}
    index = {row: i for i, row in enumerate(rows)}
    for row, commodity, area in table.select(key, s.COMMODITY, s.AREA_HA).iter_rows():
        if row in index:  # a few dozen rows at most: one per province/company and commodity
            wide.setdefault(commodity, np.zeros(len(rows)))[index[row]] += (area or 0.0) / scale
    present = [c for c, v in wide.items() if v.any()]
    left = np.zeros(len(rows))
    for commodity in order(present, [float(wide[c].sum()) for c in present]):
        ax.barh(
            np.arange(len(rows)),
            wide[commodity],
            left=left,
            color=commodity_color(commodity),
            label=label(commodity),
            height=0.72,
            edgecolor="white",
            linewidth=0.4,
        )
        left += wide[commodity]
    ax.set_yticks(np.arange(len(rows)), [label(r) for r in rows])
    ax.set_ylim(len(rows) - 0.4, -0.6)  # largest on top
    return [float(v) for v in left]


def bar_end_labels(ax: Axes, totals: Sequence[float], texts: Sequence[str]) -> None:
    for y, (total, text) in enumerate(zip(totals, texts, strict=True)):
        ax.annotate(
            text,
            (total, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color="#333333",
        )
    ax.set_xlim(0, max(totals, default=1.0) * 1.16 or 1.0)


def _swatch(handle: Any) -> Any:
    patches = getattr(handle, "patches", None)  # bar() gives containers, hist() patches
    patch = patches[0] if patches else handle
    return patch.get_facecolor()[:3]


def legend_right(ax: Axes, title: str, *, reverse: bool = False) -> None:
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    # plain swatches: a container's first bar may be hatched (the expired bar)
    handles = [Patch(facecolor=_swatch(h)) for h in handles]
    if reverse:  # a vertical stack reads top down, like the legend
        handles, labels = handles[::-1], labels[::-1]
    ax.legend(
        handles,
        labels,
        title=title,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        fontsize=8,
        title_fontsize=9,
    )
