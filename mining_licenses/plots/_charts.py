"""The area and age charts: area by province, top companies, license age."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from mining_licenses import _terms, companies
from mining_licenses import analytics as an
from mining_licenses import schema as s
from mining_licenses.analytics import _inputs as inp
from mining_licenses.plots import _bars as bars
from mining_licenses.plots import _style as kit
from mining_licenses.plots._layout import Layout, titles, wrap

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _area_label(where: kit.Scope, layout: Layout) -> str:
    """Return the x label of an area chart: the share is of the area the frame holds."""
    of = f"all {where.commodity} area" if where.commodity else "all licensed area"
    share = f"share of {of}{where.where}"
    if layout.narrow:
        return f"Thousand ha (bar labels: {share})"
    return f"Licensed area (thousand ha) · bar labels: thousand ha ({share})"


@kit.shown_in_jupyter
def plot_area_by_province(
    df: pl.DataFrame | gpd.GeoDataFrame,
    *,
    top: int | None = None,
    as_of: dt.date | str | None = None,
    narrow: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Horizontal bars of licensed area per province, in thousand ha, stacked by commodity.

    Commodities too thin to see in every bar are drawn as one grey segment,
    so the legend lists only what shows; the title names the commodity and the
    province when the frame holds only one; the note says as of when.

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame.
    top
        Show only the ``top`` provinces by area; by default all of them.
    as_of
        The day the note says the data is as of; by default the date of the
        frame's latest ``fetched_at``.
    narrow
        Draw for a phone's width (4 in, legend under the chart, no text under
        8 pt); see :mod:`mining_licenses.plots`.
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
    layout = Layout(narrow=narrow)
    frame = kit.frame(df, function)
    day = inp.resolve_as_of(frame, as_of, function=function)
    provinces = an.area_by_province(frame)
    if top is not None:
        provinces = provinces.head(
            inp.positive_int(top, name="top", function=function, allow_zero=False)
        )
    rows_in = max(provinces.height, 4)
    size = layout.size((10, 1.6 + 0.27 * rows_in), 2.4 + 0.34 * rows_in)
    fig, ax = kit.canvas(ax, size, function)
    where = kit.scope(frame)
    title = f"Licensed area{where.of}{where.where} by province"
    if provinces.is_empty():
        return kit.empty(fig, ax, title)
    rows: list[str | None] = provinces[s.PROVINCE].to_list()
    by_commodity = an.area_by_province(frame, by=s.COMMODITY)
    height = 0.45 if layout.narrow else 0.72
    totals = bars.stacked_barh(ax, by_commodity, rows, s.PROVINCE, scale=1000.0, height=height)
    names = [kit.label(r) for r in rows]
    bars.row_names(ax, names, above=layout.narrow, size=layout.pt(9))
    shown = "all provinces" if top is None else f"top {provinces.height} provinces"
    note = f"{shown} · as of {day.isoformat()}"
    _finish_area_bars(ax, totals, provinces[an.AREA_SHARE], title, note, where, layout)
    return fig


@kit.shown_in_jupyter
def plot_top_companies(
    df: pl.DataFrame | gpd.GeoDataFrame,
    *,
    top: int = 15,
    as_of: dt.date | str | None = None,
    narrow: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Horizontal bars of the companies holding the most licensed area, stacked by commodity.

    Stacks, legend and title follow :func:`plot_area_by_province`; the title
    says "All n" when fewer than ``top`` companies hold licenses. Names are
    the company's most frequent spelling, its legal form written the standard
    way (``PT``, ``Tbk``: :func:`~mining_licenses.companies.display_name`).

    Parameters
    ----------
    df
        A canonical frame or its GeoDataFrame.
    top
        How many companies to show (ties at the boundary are all shown).
    as_of
        The day the note says the data is as of; by default the date of the
        frame's latest ``fetched_at``.
    narrow
        Draw for a phone's width (see :func:`plot_area_by_province`).
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
    layout = Layout(narrow=narrow)
    frame = kit.frame(df, function)
    day = inp.resolve_as_of(frame, as_of, function=function)
    ranked = an.area_by_company(frame, top=top)
    rows_in = max(ranked.height, 4)
    size = layout.size((10, 1.6 + 0.32 * rows_in), 2.4 + 0.34 * rows_in)
    fig, ax = kit.canvas(ax, size, function)
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
    height = 0.45 if layout.narrow else 0.72
    totals = bars.stacked_barh(ax, by_commodity, keys, s.COMPANY_KEY, scale=1000.0, height=height)
    shown_names = ranked.select(companies.display_name_expr(pl.col(s.COMPANY_NAME)))
    names = [layout.short(kit.label(n), 42, 48) for n in shown_names.to_series().to_list()]
    counts = ranked[an.LICENSES].to_list()
    labels = [f"{n} ({c:,})" for n, c in zip(names, counts, strict=True)]
    bars.row_names(ax, labels, above=layout.narrow, size=layout.pt(9))
    note = f"(licenses held) · as of {day.isoformat()}"
    _finish_area_bars(ax, totals, ranked[an.AREA_SHARE], title, note, where, layout)
    return fig


def _finish_area_bars(
    ax: Axes,
    totals: list[float],
    shares: pl.Series,
    title: str,
    note: str,
    where: kit.Scope,
    layout: Layout,
) -> None:
    """Label bar ends with area and share, style the axis, title and legend an area chart."""
    labels = [f"{t:,.1f} ({p:.1%})" for t, p in zip(totals, shares.fill_null(0.0), strict=True)]
    bars.bar_end_labels(ax, totals, labels)
    if layout.narrow:  # room for the end labels on a narrow chart
        ax.set_xlim(0, max(totals, default=1.0) * 1.45 or 1.0)
    label = _area_label(where, layout)
    ax.set_xlabel(wrap(label, 48) if layout.narrow else label, fontsize=layout.pt(10))
    kit.thousands(ax, "x")
    if layout.narrow:  # few ticks: a number of thousands needs room
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(nbins=3, integer=True, steps=[1, 2, 2.5, 5, 10]))
    kit.style(ax, grid="x")
    ax.tick_params(axis="y", length=0, labelsize=layout.pt(9))
    ax.tick_params(axis="x", labelsize=layout.pt(9))
    titles(ax, title, note, layout)
    bars.legend_for(ax, "Commodity", layout)


@kit.shown_in_jupyter
def plot_license_age(
    df: pl.DataFrame | gpd.GeoDataFrame,
    *,
    as_of: dt.date | str | None = None,
    narrow: bool = False,
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
    narrow
        Draw for a phone's width (see :func:`plot_area_by_province`).
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        One bar container per legend entry (one-year bins): each license type
        big enough to see; one too small to see is named as such, several are
        drawn together as minor types.

    Examples
    --------
    >>> fig = plot_license_age(licenses)
    >>> fig.axes[0].get_xlabel()[:35]
    'Age on 2026-11-01 (years since the '
    """
    function = "plot_license_age"
    layout = Layout(narrow=narrow)
    size = layout.size((10, 4.8), 4.6)
    fig, ax, frame, day, where = kit.dated_canvas(df, ax, size, function, as_of)
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
    low, high = math.floor(ages["age"].min()), math.ceil(ages["age"].max())  # type: ignore[arg-type]
    edges = np.arange(low, max(high, low + 1) + 1)
    wide = {
        kind: np.histogram(part["age"].to_numpy(), bins=edges)[0].astype(float)
        for (kind,), part in ages.group_by(s.LICENSE_TYPE)
    }
    bottom = np.zeros(len(edges) - 1)
    for name, colour, heights in bars.segments(
        wide, colour=kit.license_type_color, what="license types"
    ):
        ax.bar(
            edges[:-1],
            heights,
            width=1.0,
            bottom=bottom,
            align="edge",
            color=colour,
            label=name,
            edgecolor="white",
            linewidth=0.4,
        )
        bottom += heights
    median = stats[an.AGE_MEDIAN].item()
    if median is not None:
        kit.marker_line(ax, median, f"median {median:.1f} years", size=layout.pt(8))
    missing = stats[an.MISSING_DATES].item() + stats[an.DATES_OUT_OF_RANGE].item()
    left_out = f"{missing:,} licenses without usable dates left out" if missing else ""
    if layout.narrow:
        ax.set_xlabel(wrap(f"Years since the effective date{'; ' + left_out if left_out else ''}"))
    else:
        ax.set_xlabel(
            f"Age on {day.isoformat()} (years since the effective date)"
            + (f"; {left_out}" if left_out else "")
        )
    ax.set_ylabel("Licenses (one-year bins)")
    ax.xaxis.label.set_fontsize(layout.pt(10))
    ax.yaxis.label.set_fontsize(layout.pt(10))
    ax.tick_params(labelsize=layout.pt(9))
    kit.thousands(ax, "y")
    kit.style(ax, grid="y")
    titles(ax, title, f"{_terms.count_licenses(ages.height)} · as of {day.isoformat()}", layout)
    bars.legend_for(ax, "License type", layout, reverse=True)
    return fig
