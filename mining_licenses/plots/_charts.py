"""The area and age charts: area by province, top companies, license age."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Final

import polars as pl

from mining_licenses import analytics as an
from mining_licenses import schema as s
from mining_licenses.analytics import _inputs as inp
from mining_licenses.plots import _bars as bars
from mining_licenses.plots import _style as kit

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


_AREA_LABEL: Final = "Licensed area (thousand ha) · bar labels: thousand ha (share of all area)"


@kit.shown_in_jupyter
def plot_area_by_province(
    df: pl.DataFrame | gpd.GeoDataFrame, *, top: int | None = None, ax: Axes | None = None
) -> Figure:
    """Horizontal bars of licensed area per province, in thousand ha, stacked by commodity.

    Commodities too thin to see in every bar are drawn as one grey segment,
    so the legend lists only what shows; the title names the commodity and the
    province when the frame holds only one.

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
        One bar container per legend entry: each commodity seen in the
        provinces shown, then the minor ones together.

    Examples
    --------
    >>> fig = plot_area_by_province(licenses, top=10)
    >>> len(fig.axes[0].get_yticklabels())
    10
    """
    function = "plot_area_by_province"
    frame = kit.frame(df, function)
    provinces = an.area_by_province(frame)
    if top is not None:
        provinces = provinces.head(
            inp.positive_int(top, name="top", function=function, allow_zero=False)
        )
    fig, ax = kit.canvas(ax, (10, 1.6 + 0.27 * max(provinces.height, 4)), function)
    where = kit.scope(frame)
    title = f"Licensed area{where.of}{where.where} by province"
    if provinces.is_empty():
        return kit.empty(fig, ax, title)
    rows: list[str | None] = provinces[s.PROVINCE].to_list()
    by_commodity = an.area_by_province(frame, by=s.COMMODITY)
    totals = bars.stacked_barh(ax, by_commodity, rows, s.PROVINCE, scale=1000.0)
    shown = "all provinces" if top is None else f"top {provinces.height} provinces"
    _finish_area_bars(ax, totals, provinces[an.AREA_SHARE], title, shown)
    return fig


@kit.shown_in_jupyter
def plot_top_companies(
    df: pl.DataFrame | gpd.GeoDataFrame, *, top: int = 15, ax: Axes | None = None
) -> Figure:
    """Horizontal bars of the companies holding the most licensed area, stacked by commodity.

    Stacks, legend and title follow :func:`plot_area_by_province`; the title
    says "All n" when fewer than ``top`` companies hold licenses.

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
        Bars as in :func:`plot_area_by_province`, one row per company, its
        license count beside its name.

    Examples
    --------
    >>> fig = plot_top_companies(licenses, top=5)
    >>> fig.axes[0].get_xlabel().split(" · ")[0]
    'Licensed area (thousand ha)'
    """
    function = "plot_top_companies"
    frame = kit.frame(df, function)
    ranked = an.area_by_company(frame, top=top)
    fig, ax = kit.canvas(ax, (10, 1.6 + 0.32 * max(ranked.height, 4)), function)
    where = kit.scope(frame)
    shown = f"Top {top}" if ranked.height >= top else f"All {ranked.height}"
    title = f"{shown} companies by licensed area{where.of}{where.where}"
    if ranked.is_empty():
        return kit.empty(fig, ax, title)
    keys: list[str | None] = ranked[s.COMPANY_KEY].to_list()
    key = pl.col(s.COMPANY_KEY)
    mine = frame.filter(
        key.is_in([k for k in keys if k is not None]) | (key.is_null() & (None in keys))
    )
    by_commodity = an.area_by_company(mine, by=s.COMMODITY)
    totals = bars.stacked_barh(ax, by_commodity, keys, s.COMPANY_KEY, scale=1000.0)
    names = [_short(kit.label(n), 42) for n in ranked[s.COMPANY_NAME].to_list()]
    counts = ranked[an.LICENSES].to_list()
    ax.set_yticks(range(len(keys)), [f"{n} ({c:,})" for n, c in zip(names, counts, strict=True)])
    _finish_area_bars(ax, totals, ranked[an.AREA_SHARE], title, "(licenses held)")
    return fig


def _finish_area_bars(
    ax: Axes, totals: list[float], shares: pl.Series, title: str, note: str
) -> None:
    """Label bar ends with area and share, style the axis, title and legend an area chart."""
    labels = [f"{t:,.1f} ({p:.1%})" for t, p in zip(totals, shares.fill_null(0.0), strict=True)]
    bars.bar_end_labels(ax, totals, labels)
    ax.set_xlabel(_AREA_LABEL)
    kit.thousands(ax, "x")
    kit.style(ax, grid="x")
    ax.tick_params(axis="y", length=0, labelsize=9)
    kit.titles(ax, title, note)
    bars.legend_right(ax, "Commodity")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


@kit.shown_in_jupyter
def plot_license_age(
    df: pl.DataFrame | gpd.GeoDataFrame,
    *,
    as_of: dt.date | str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Histogram of license age (years since the effective date), stacked by license type.

    Licenses whose dates are missing or flagged are left out (as in
    :func:`~mining_licenses.analytics.license_age_stats`) and counted in the
    note; a dashed line marks the median age. The title names the commodity
    and the province when the frame holds only one.

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
    >>> fig = plot_license_age(licenses)
    >>> fig.axes[0].get_xlabel()[:35]
    'Age on 2026-11-01 (years since the '
    """
    function = "plot_license_age"
    fig, ax, frame, day, where = kit.dated_canvas(df, ax, (10, 4.8), function, as_of)
    title = (
        f"Age of {where.licenses('licenses')}{where.where}"
        if where.of or where.where
        else "License age"
    )
    stats = an.license_age_stats(frame, as_of=day)
    frame = inp.require_columns(
        frame, (s.LICENSE_TYPE, s.EFFECTIVE_DATE, s.EXPIRY_DATE, s.ISSUES), function=function
    )
    ages = frame.filter(inp.usable_dates()).select(
        s.LICENSE_TYPE, inp.years_between(pl.col(s.EFFECTIVE_DATE), pl.lit(day)).alias("age")
    )
    if ages.is_empty():
        return kit.empty(fig, ax, title)
    counts = ages.group_by(s.LICENSE_TYPE).len()
    types = bars.order(counts[s.LICENSE_TYPE].to_list(), counts["len"].to_list())
    low, high = math.floor(ages["age"].min()), math.ceil(ages["age"].max())  # type: ignore[arg-type]
    bins = list(range(low, max(high, low + 1) + 1))
    ax.hist(
        [ages.filter(pl.col(s.LICENSE_TYPE).eq_missing(t))["age"].to_numpy() for t in types],
        bins=bins,
        stacked=True,
        color=[kit.license_type_color(t) for t in types],
        label=[kit.label(t) for t in types],
        edgecolor="white",
        linewidth=0.4,
    )
    median = stats[an.AGE_MEDIAN].item()
    if median is not None:
        kit.marker_line(ax, median, f"median {median:.1f} years")
    missing = stats[an.MISSING_DATES].item() + stats[an.DATES_OUT_OF_RANGE].item()
    ax.set_xlabel(
        f"Age on {day.isoformat()} (years since the effective date)"
        + (f"; {missing:,} licenses without usable dates left out" if missing else "")
    )
    ax.set_ylabel("Licenses (one-year bins)")
    kit.thousands(ax, "y")
    kit.style(ax, grid="y")
    kit.titles(ax, title, f"{ages.height:,} licenses · as of {day.isoformat()}")
    bars.legend_right(ax, "License type", reverse=True)
    return fig
