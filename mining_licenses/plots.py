"""Charts and maps of the registry (the ``viz`` extra: matplotlib, folium).

Every chart takes a canonical polars frame or its GeoDataFrame, draws what
:mod:`mining_licenses.analytics` computes, and returns a
:class:`matplotlib.figure.Figure`. Figures are made without pyplot, so they
never pile up in pyplot's registry: return one from a notebook cell to show
it, call ``fig.savefig(...)`` to keep it, or pass ``ax=`` from your own
``plt.subplots()`` to draw into a figure pyplot manages. Commodities have one
colour everywhere (:data:`COMMODITY_COLORS`), here and in :func:`explore`.

No basemap is bundled or fetched: :func:`plot_map` draws Indonesia's extent
with a graticule and the gazetteer's province points, and :func:`explore`
works offline with ``tiles=None``.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Iterable, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import polars as pl

from mining_licenses import _inputs as inp
from mining_licenses import analytics as an
from mining_licenses import gazetteer
from mining_licenses import schema as s
from mining_licenses._errors import MissingDependencyError

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

__all__ = [
    "COMMODITY_COLORS",
    "LICENSE_TYPE_COLORS",
    "commodity_color",
    "explore",
    "plot_area_by_province",
    "plot_expiry_schedule",
    "plot_license_age",
    "plot_map",
    "plot_top_companies",
]

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
_NULL_COLOR: Final = "#d9d9d9"
#: Label of a null category in legends and axes.
NULL_LABEL: Final = "(not given)"

_EXTRA: Final = "pip install 'mining-licenses[viz]'"
_PERIOD_STEP: Final = {"year": "1y", "quarter": "3mo", "month": "1mo"}
_PLACEMENT_NOTE: Final = (
    "No coastline is bundled: + marks each province's representative point (gazetteer)."
)
_AREA_LABEL: Final = "Licensed area (thousand ha) · bar labels: thousand ha (share of all area)"
_SEA: Final = "#f3f7fa"
_GRID: Final = "#d5dde5"


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
        return _NULL_COLOR
    return COMMODITY_COLORS.get(value) or _fallback_color(value)


def _fallback_color(value: str) -> str:
    return _FALLBACK_COLORS[zlib.crc32(value.encode()) % len(_FALLBACK_COLORS)]


def _license_type_color(value: str | None) -> str:
    if value is None:
        return _NULL_COLOR
    return LICENSE_TYPE_COLORS.get(value) or _fallback_color(value)


def _require(module: str, function: str) -> None:
    try:
        __import__(module)
    except ImportError as err:
        msg = (
            f"{function}() needs {module}, which is not installed; install the viz extra: {_EXTRA}"
        )
        raise MissingDependencyError(msg) from err


def _canvas(ax: Axes | None, figsize: tuple[float, float], function: str) -> tuple[Figure, Axes]:
    """Return the figure and axes to draw on: ``ax``'s, or a new pyplot-free figure."""
    _require("matplotlib", function)
    if ax is not None:
        fig = ax.get_figure(root=True)
        if fig is None:
            msg = f"{function}(ax=...) got axes that belong to no figure; pass axes of a figure."
            raise ValueError(msg)
        return fig, ax
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)  # a real canvas, so text can be measured before saving
    return fig, fig.add_subplot()


def _frame(df: pl.DataFrame | gpd.GeoDataFrame, function: str) -> pl.DataFrame:
    frame, _ = inp.to_polars_frame(df, function=function)
    return frame


def _thousands(ax: Axes, axis: Literal["x", "y"], decimals: int = 0) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.{decimals}f}"))
    if decimals == 0:
        target.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))


def _titles(ax: Axes, title: str, note: str = "") -> None:
    """Put a bold title on the left and a grey note on the right, as every chart has."""
    ax.set_title(title, loc="left", fontsize=13, fontweight="bold")
    if note:
        ax.set_title(note, loc="right", fontsize=9, color="#555555")


def _style(ax: Axes, *, grid: Literal["x", "y"]) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis=grid, color="#e3e3e3", linewidth=0.8)
    ax.set_axisbelow(True)


def _empty(fig: Figure, ax: Axes, title: str) -> Figure:
    _titles(ax, title)
    ax.text(0.5, 0.5, "No licenses to show", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def _label(value: str | None) -> str:
    return NULL_LABEL if value is None else value


def _order(values: Iterable[str | None], weights: Iterable[float]) -> list[str | None]:
    """Categories by descending weight, ties by name, null last."""
    pairs = sorted(zip(values, weights, strict=True), key=lambda p: (p[0] is None, -p[1], p[0]))
    return [value for value, _ in pairs]


def _stacked_barh(
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
    for commodity in _order(present, [float(wide[c].sum()) for c in present]):
        ax.barh(
            np.arange(len(rows)),
            wide[commodity],
            left=left,
            color=commodity_color(commodity),
            label=_label(commodity),
            height=0.72,
            edgecolor="white",
            linewidth=0.4,
        )
        left += wide[commodity]
    ax.set_yticks(np.arange(len(rows)), [_label(r) for r in rows])
    ax.set_ylim(len(rows) - 0.4, -0.6)  # largest on top
    return [float(v) for v in left]


def _bar_end_labels(ax: Axes, totals: Sequence[float], texts: Sequence[str]) -> None:
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


def _legend_right(ax: Axes, title: str, *, reverse: bool = False) -> None:
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


def _period_labels(starts: pl.Series, freq: str) -> list[str]:
    if freq == "year":
        return [f"{d.year}" for d in starts]
    if freq == "quarter":
        return [f"{d.year}-Q{(d.month - 1) // 3 + 1}" for d in starts]
    return [f"{d.year}-{d.month:02d}" for d in starts]


def plot_expiry_schedule(
    df: pl.DataFrame | gpd.GeoDataFrame,
    *,
    freq: Literal["year", "quarter", "month"] = "year",
    as_of: dt.date | str | None = None,
    measure: Literal["licenses", "area"] = "licenses",
    expired: bool = True,
    ax: Axes | None = None,
) -> Figure:
    """Bar chart of licenses by period of expiry, stacked by commodity.

    The first bar holds licenses already expired on ``as_of`` (hatched, on a
    grey band); a dashed line marks ``as_of``; periods without expiries are
    kept as gaps; a last hatched bar counts licenses with no usable expiry date.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame.
    freq
        ``"year"``, ``"quarter"`` or ``"month"``.
    as_of
        The reference day; by default the date of the frame's latest ``fetched_at``.
    measure
        ``"licenses"`` (count) or ``"area"`` (thousand hectares).
    expired
        Draw the bar of licenses already expired. Leave it out (``False``) to
        read a monthly schedule, where one bar of every expired license would
        dwarf the rest.
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        One bar container per commodity present, in the order of the legend.

    Examples
    --------
    >>> import warnings
    >>> from mining_licenses.loader import load_licenses
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     frame = load_licenses(source="sample", as_="polars")
    >>> fig = plot_expiry_schedule(frame, freq="year")
    >>> fig.axes[0].get_title(loc="left")
    'Licenses by year of expiry'
    """
    function = "plot_expiry_schedule"
    fig, ax = _canvas(ax, (11, 5.2), function)
    frame = _frame(df, function)
    day = inp.resolve_as_of(frame, as_of, function=function)
    title = f"{'Licenses' if measure == 'licenses' else 'Licensed area'} by {freq} of expiry"
    schedule = an.expiry_schedule(frame, freq=freq, as_of=day, by=s.COMMODITY)
    if not expired:
        schedule = schedule.filter(pl.col(an.PERIOD) != an.EXPIRED_BUCKET)
    if schedule.is_empty():
        return _empty(fig, ax, title)
    value = an.LICENSES if measure == "licenses" else s.AREA_HA
    scale = 1.0 if measure == "licenses" else 1000.0
    dated = schedule.filter(pl.col(an.PERIOD_START).is_not_null())
    starts = dated.select(  # every period from the first to the last, gaps included
        pl.date_range(
            pl.col(an.PERIOD_START).min(), pl.col(an.PERIOD_START).max(), _PERIOD_STEP[freq]
        )
    ).to_series()
    labels = _period_labels(starts, freq)
    has = set(schedule[an.PERIOD].to_list())
    with_expired, no_date = an.EXPIRED_BUCKET in has, an.NO_DATE_BUCKET in has
    slots = [an.EXPIRED_BUCKET] * with_expired + labels + [an.NO_DATE_BUCKET] * no_date
    index = {slot: i for i, slot in enumerate(slots)}
    totals = schedule.group_by(s.COMMODITY).agg(pl.col(value).sum())
    commodities = _order(totals[s.COMMODITY].to_list(), totals[value].to_list())
    x, bottom = np.arange(len(slots)), np.zeros(len(slots))
    for commodity in commodities:
        part = schedule.filter(pl.col(s.COMMODITY).eq_missing(commodity))
        heights = np.zeros(len(slots))
        heights[[index[p] for p in part[an.PERIOD]]] = part[value].fill_null(0).to_numpy() / scale
        bars = ax.bar(
            x,
            heights,
            bottom=bottom,
            width=0.8,
            color=commodity_color(commodity),
            label=_label(commodity),
            edgecolor="white",
            linewidth=0.3,
        )
        for slot in (an.EXPIRED_BUCKET, an.NO_DATE_BUCKET):
            if slot in index:
                bars.patches[index[slot]].set_hatch("////")
                bars.patches[index[slot]].set_alpha(0.55)
        bottom += heights
    if with_expired:
        ax.axvspan(-0.5, 0.5, color="#eeeeee", zorder=0)
    if no_date:
        ax.axvspan(len(slots) - 1.5, len(slots) - 0.5, color="#eeeeee", zorder=0)
    ax.axvline(0.5 if with_expired else -0.5, color="#b22222", linestyle="--", linewidth=1.2)
    ax.annotate(
        f"as of {day.isoformat()}",
        (0.5 if with_expired else -0.5, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(4, -2),
        textcoords="offset points",
        va="top",
        fontsize=8,
        color="#b22222",
    )
    tick_labels = [
        {an.EXPIRED_BUCKET: "expired", an.NO_DATE_BUCKET: "no date"}.get(t, t) for t in slots
    ]
    step = max(1, math.ceil(len(slots) / 30))
    shown = [i for i in x if i % step == 0 or slots[i] in (an.EXPIRED_BUCKET, an.NO_DATE_BUCKET)]
    ax.set_xticks(shown, [tick_labels[i] for i in shown], rotation=90 if freq != "year" else 0)
    if freq == "year" and len(slots) > 16:
        ax.tick_params(axis="x", labelrotation=90)
    if len(slots) <= 45:  # totals above bars while they still fit
        fmt = "{:,.0f}" if measure == "licenses" else "{:,.1f}"
        for xi, total in zip(x, bottom, strict=True):
            if total > 0:
                ax.annotate(
                    fmt.format(total),
                    (xi, total),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    fontsize=7,
                    color="#333333",
                )
    ax.set_xlim(-0.6, len(slots) - 0.4)
    ax.set_ylim(0, float(bottom.max()) * 1.1 or 1.0)
    ax.set_ylabel(
        "Licenses expiring" if measure == "licenses" else "Licensed area expiring (thousand ha)"
    )
    _thousands(ax, "y", decimals=0)
    _style(ax, grid="y")
    _titles(ax, title, f"{frame.height:,} licenses · as of {day.isoformat()}")
    _legend_right(ax, "Commodity", reverse=True)
    return fig


def plot_area_by_province(
    df: pl.DataFrame | gpd.GeoDataFrame, *, top: int | None = None, ax: Axes | None = None
) -> Figure:
    """Horizontal bars of licensed area per province, in thousand ha, stacked by commodity.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame.
    top
        Show only the ``top`` provinces by area; by default all of them.
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        One bar container per commodity present in the provinces shown.

    Examples
    --------
    >>> import warnings
    >>> from mining_licenses.loader import load_licenses
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     frame = load_licenses(source="sample", as_="polars")
    >>> fig = plot_area_by_province(frame, top=10)
    >>> len(fig.axes[0].get_yticklabels())
    10
    """
    function = "plot_area_by_province"
    frame = _frame(df, function)
    provinces = an.area_by_province(frame)
    if top is not None:
        provinces = provinces.head(
            inp.positive_int(top, name="top", function=function, allow_zero=False)
        )
    fig, ax = _canvas(ax, (10, 1.6 + 0.27 * max(provinces.height, 4)), function)
    title = "Licensed area by province"
    if provinces.is_empty():
        return _empty(fig, ax, title)
    rows: list[str | None] = provinces[s.PROVINCE].to_list()
    by_commodity = an.area_by_province(frame, by=s.COMMODITY)
    totals = _stacked_barh(ax, by_commodity, rows, s.PROVINCE, scale=1000.0)
    shares = provinces[an.AREA_SHARE].fill_null(0.0).to_list()
    _bar_end_labels(
        ax, totals, [f"{t:,.1f} ({p:.1%})" for t, p in zip(totals, shares, strict=True)]
    )
    ax.set_xlabel(_AREA_LABEL)
    _thousands(ax, "x")
    _style(ax, grid="x")
    ax.tick_params(axis="y", length=0, labelsize=9)
    shown = "all provinces" if top is None else f"top {provinces.height} provinces"
    _titles(ax, title, shown)
    _legend_right(ax, "Commodity")
    return fig


def plot_top_companies(
    df: pl.DataFrame | gpd.GeoDataFrame, *, top: int = 15, ax: Axes | None = None
) -> Figure:
    """Horizontal bars of the companies holding the most licensed area, stacked by commodity.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame.
    top
        How many companies to show (ties at the boundary are all shown).
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        One bar container per commodity held by the companies shown.

    Examples
    --------
    >>> import warnings
    >>> from mining_licenses.loader import load_licenses
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     frame = load_licenses(source="sample", as_="polars")
    >>> fig = plot_top_companies(frame, top=5)
    >>> fig.axes[0].get_xlabel().split(" · ")[0]
    'Licensed area (thousand ha)'
    """
    function = "plot_top_companies"
    frame = _frame(df, function)
    ranked = an.area_by_company(frame, top=top)
    fig, ax = _canvas(ax, (10, 1.6 + 0.32 * max(ranked.height, 4)), function)
    title = f"Top {top} companies by licensed area"
    if ranked.is_empty():
        return _empty(fig, ax, title)
    keys: list[str | None] = ranked[s.COMPANY_KEY].to_list()
    key = pl.col(s.COMPANY_KEY)
    mine = frame.filter(
        key.is_in([k for k in keys if k is not None]) | (key.is_null() & (None in keys))
    )
    by_commodity = an.area_by_company(mine, by=s.COMMODITY)
    totals = _stacked_barh(ax, by_commodity, keys, s.COMPANY_KEY, scale=1000.0)
    names = [_short(_label(n), 42) for n in ranked[s.COMPANY_NAME].to_list()]
    counts = ranked[an.LICENSES].to_list()
    ax.set_yticks(range(len(keys)), [f"{n} ({c:,})" for n, c in zip(names, counts, strict=True)])
    shares = ranked[an.AREA_SHARE].fill_null(0.0).to_list()
    _bar_end_labels(
        ax, totals, [f"{t:,.1f} ({p:.1%})" for t, p in zip(totals, shares, strict=True)]
    )
    ax.set_xlabel(_AREA_LABEL)
    _thousands(ax, "x")
    _style(ax, grid="x")
    ax.tick_params(axis="y", length=0, labelsize=9)
    _titles(ax, title, "(licenses held)")
    _legend_right(ax, "Commodity")
    return fig


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def plot_license_age(
    df: pl.DataFrame | gpd.GeoDataFrame,
    *,
    as_of: dt.date | str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Histogram of license age (years since the effective date), stacked by license type.

    Licenses whose dates are missing or flagged are left out (as in
    :func:`~mining_licenses.analytics.license_age_stats`) and counted in the
    note; a dashed line marks the median age.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame.
    as_of
        The day ages are measured to; by default the date of the latest ``fetched_at``.
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        One bar container per license type present (one-year bins).

    Examples
    --------
    >>> import warnings
    >>> from mining_licenses.loader import load_licenses
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     frame = load_licenses(source="sample", as_="polars")
    >>> fig = plot_license_age(frame)
    >>> fig.axes[0].get_xlabel()[:35]
    'Age on 2026-11-01 (years since the '
    """
    function = "plot_license_age"
    fig, ax = _canvas(ax, (10, 4.8), function)
    frame = _frame(df, function)
    day = inp.resolve_as_of(frame, as_of, function=function)
    title = "License age"
    stats = an.license_age_stats(frame, as_of=day)
    frame = inp.require_columns(
        frame, (s.LICENSE_TYPE, s.EFFECTIVE_DATE, s.EXPIRY_DATE, s.ISSUES), function=function
    )
    ages = frame.filter(inp.usable_dates()).select(
        s.LICENSE_TYPE, inp.years_between(pl.col(s.EFFECTIVE_DATE), pl.lit(day)).alias("age")
    )
    if ages.is_empty():
        return _empty(fig, ax, title)
    counts = ages.group_by(s.LICENSE_TYPE).len()
    types = _order(counts[s.LICENSE_TYPE].to_list(), counts["len"].to_list())
    low, high = math.floor(ages["age"].min()), math.ceil(ages["age"].max())  # type: ignore[arg-type]
    bins = list(range(low, max(high, low + 1) + 1))
    ax.hist(
        [ages.filter(pl.col(s.LICENSE_TYPE).eq_missing(t))["age"].to_numpy() for t in types],
        bins=bins,
        stacked=True,
        color=[_license_type_color(t) for t in types],
        label=[_label(t) for t in types],
        edgecolor="white",
        linewidth=0.4,
    )
    median = stats[an.AGE_MEDIAN].item()
    if median is not None:
        ax.axvline(median, color="#b22222", linestyle="--", linewidth=1.2)
        ax.annotate(
            f"median {median:.1f} years",
            (median, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4, -2),
            textcoords="offset points",
            va="top",
            fontsize=8,
            color="#b22222",
        )
    missing = stats[an.MISSING_DATES].item()
    ax.set_xlabel(
        f"Age on {day.isoformat()} (years since the effective date)"
        + (f"; {missing:,} licenses without usable dates left out" if missing else "")
    )
    ax.set_ylabel("Licenses (one-year bins)")
    _thousands(ax, "y")
    _style(ax, grid="y")
    _titles(ax, title, f"{ages.height:,} licenses · as of {day.isoformat()}")
    _legend_right(ax, "License type", reverse=True)
    return fig


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
    >>> import warnings
    >>> from mining_licenses.loader import load_licenses
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     frame = load_licenses(source="sample", as_="polars")
    >>> fig = plot_map(frame)
    >>> len(fig.axes[0].collections)
    3
    """
    function = "plot_map"
    fig, ax = _canvas(ax, (13, 6.6), function)
    frame = inp.require_columns(
        _frame(df, function),
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
        c=[commodity_color(c) for c in api[s.COMMODITY]],
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
        edgecolors=[commodity_color(c) for c in regency[s.COMMODITY]],
        linewidths=0.8,
    )
    _titles(
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
    commodities = _order(counts[s.COMMODITY].to_list(), counts["len"].to_list())
    colour_handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="none",
            markeredgecolor="white",
            markerfacecolor=commodity_color(c),
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
        [_label(c) for c in commodities],
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
    >>> import warnings
    >>> from mining_licenses.loader import load_licenses
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     frame = load_licenses(source="sample", as_="polars", province="Riau")
    >>> m = explore(frame, tiles=None)
    >>> type(m).__name__
    'Map'
    """
    function = "explore"
    _require("folium", function)
    _require("mapclassify", function)
    import geopandas as gpd

    from mining_licenses.geo import to_geodataframe

    if isinstance(df, gpd.GeoDataFrame):
        gdf = _json_ready(df)
    else:
        gdf = to_geodataframe(_stringify(_frame(df, function)))
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
            "cmap": [commodity_color(v) for v in present],
            "missing_kwds": {"color": _NULL_COLOR, "label": NULL_LABEL},
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
