"""The palette and the drawing plumbing shared by the charts and the map.

Re-exported where public by :mod:`mining_licenses.plots` (the palette and
:func:`commodity_color`); the rest (a pyplot-free canvas that Jupyter shows,
titles that say what the frame was narrowed to, axis styles) is used by the
chart and map modules. Matplotlib is imported inside the functions that draw, never here at
import.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal, ParamSpec

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


def dated_canvas(
    df: pl.DataFrame | gpd.GeoDataFrame,
    ax: Axes | None,
    figsize: tuple[float, float],
    function: str,
    as_of: dt.date | str | None,
) -> tuple[Figure, Axes, pl.DataFrame, dt.date, Scope]:
    """Return what a chart measured on a day starts from: canvas, frame, the day, its scope."""
    fig, ax = canvas(ax, figsize, function)
    data = frame(df, function)
    return fig, ax, data, inp.resolve_as_of(data, as_of, function=function), scope(data)


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


def marker_line(ax: Axes, x: float, text: str, *, size: float = 8) -> None:
    """Mark ``x`` with a dashed red line and a note at its top (as of, median), if any."""
    ax.axvline(x, color="#b22222", linestyle="--", linewidth=1.2)
    if not text:
        return
    ax.annotate(
        text,
        (x, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(4, -2),
        textcoords="offset points",
        va="top",
        fontsize=size,
        color="#b22222",
    )


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


def province_label(name: str) -> str:
    """Return a province's name as a chart labels it: ``Kepulauan`` shortened to ``Kep.``."""
    return name.replace("Kepulauan ", "Kep. ")


@dataclass(frozen=True)
class Scope:
    """The one commodity and the one province a frame holds, if it holds one; for titles."""

    commodity: str | None = None
    province: str | None = None

    @property
    def of(self) -> str:
        """`` of Coal licenses`` when one commodity remains, else empty."""
        return f" of {self.commodity} licenses" if self.commodity else ""

    @property
    def where(self) -> str:
        """`` in Riau`` when one province remains, else empty."""
        return f" in {self.province}" if self.province else ""

    def licenses(self, plain: str = "Licenses") -> str:
        """``Coal licenses`` when one commodity remains, else ``plain``."""
        return f"{self.commodity} licenses" if self.commodity else plain


def scope(frame: pl.DataFrame) -> Scope:
    """Return what the frame was narrowed to: the commodity and the province all its rows share.

    Titles say it, so a chart of a filtered frame does not read as the whole registry.

    Examples
    --------
    >>> scope(pl.DataFrame({"commodity_type": ["Coal", "Coal"], "province": ["Riau", "Aceh"]}))
    Scope(commodity='Coal', province=None)
    """

    def single(column: str) -> str | None:
        if column not in frame.columns or frame.is_empty() or frame[column].null_count():
            return None
        values = frame[column].unique()
        return str(values.item()) if values.len() == 1 else None

    return Scope(single(s.COMMODITY), single(s.PROVINCE))
