"""The charts: expiry schedule, area by province, top companies, license age."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import polars as pl

from mining_licenses import analytics as an
from mining_licenses import schema as s
from mining_licenses.analytics import _inputs as inp
from mining_licenses.plots import _style as kit
from mining_licenses.plots._style import commodity_color

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


_PERIOD_STEP: Final = {"year": "1y", "quarter": "3mo", "month": "1mo"}
_AREA_LABEL: Final = "Licensed area (thousand ha) · bar labels: thousand ha (share of all area)"


def _period_labels(starts: pl.Series, freq: str) -> list[str]:
    if freq == "year":
        return [f"{d.year}" for d in starts]
    if freq == "quarter":
        return [f"{d.year}-Q{(d.month - 1) // 3 + 1}" for d in starts]
    return [f"{d.year}-{d.month:02d}" for d in starts]


@kit.shown_in_jupyter
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
    >>> fig = plot_expiry_schedule(licenses, freq="year")
    >>> fig.axes[0].get_title(loc="left")
    'Licenses by year of expiry'
    """
    function = "plot_expiry_schedule"
    fig, ax = kit.canvas(ax, (11, 5.2), function)
    frame = kit.frame(df, function)
    day = inp.resolve_as_of(frame, as_of, function=function)
    title = f"{'Licenses' if measure == 'licenses' else 'Licensed area'} by {freq} of expiry"
    schedule = an.expiry_schedule(frame, freq=freq, as_of=day, by=s.COMMODITY)
    if not expired:
        schedule = schedule.filter(pl.col(an.PERIOD) != an.EXPIRED_BUCKET)
    if schedule.is_empty():
        return kit.empty(fig, ax, title)
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
    commodities = kit.order(totals[s.COMMODITY].to_list(), totals[value].to_list())
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
            label=kit.label(commodity),
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
    kit.thousands(ax, "y", decimals=0)
    kit.style(ax, grid="y")
    kit.titles(ax, title, f"{frame.height:,} licenses · as of {day.isoformat()}")
    kit.legend_right(ax, "Commodity", reverse=True)
    return fig


@kit.shown_in_jupyter
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
    title = "Licensed area by province"
    if provinces.is_empty():
        return kit.empty(fig, ax, title)
    rows: list[str | None] = provinces[s.PROVINCE].to_list()
    by_commodity = an.area_by_province(frame, by=s.COMMODITY)
    totals = kit.stacked_barh(ax, by_commodity, rows, s.PROVINCE, scale=1000.0)
    shares = provinces[an.AREA_SHARE].fill_null(0.0).to_list()
    kit.bar_end_labels(
        ax, totals, [f"{t:,.1f} ({p:.1%})" for t, p in zip(totals, shares, strict=True)]
    )
    ax.set_xlabel(_AREA_LABEL)
    kit.thousands(ax, "x")
    kit.style(ax, grid="x")
    ax.tick_params(axis="y", length=0, labelsize=9)
    shown = "all provinces" if top is None else f"top {provinces.height} provinces"
    kit.titles(ax, title, shown)
    kit.legend_right(ax, "Commodity")
    return fig


@kit.shown_in_jupyter
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
    >>> fig = plot_top_companies(licenses, top=5)
    >>> fig.axes[0].get_xlabel().split(" · ")[0]
    'Licensed area (thousand ha)'
    """
    function = "plot_top_companies"
    frame = kit.frame(df, function)
    ranked = an.area_by_company(frame, top=top)
    fig, ax = kit.canvas(ax, (10, 1.6 + 0.32 * max(ranked.height, 4)), function)
    title = f"Top {top} companies by licensed area"
    if ranked.is_empty():
        return kit.empty(fig, ax, title)
    keys: list[str | None] = ranked[s.COMPANY_KEY].to_list()
    key = pl.col(s.COMPANY_KEY)
    mine = frame.filter(
        key.is_in([k for k in keys if k is not None]) | (key.is_null() & (None in keys))
    )
    by_commodity = an.area_by_company(mine, by=s.COMMODITY)
    totals = kit.stacked_barh(ax, by_commodity, keys, s.COMPANY_KEY, scale=1000.0)
    names = [_short(kit.label(n), 42) for n in ranked[s.COMPANY_NAME].to_list()]
    counts = ranked[an.LICENSES].to_list()
    ax.set_yticks(range(len(keys)), [f"{n} ({c:,})" for n, c in zip(names, counts, strict=True)])
    shares = ranked[an.AREA_SHARE].fill_null(0.0).to_list()
    kit.bar_end_labels(
        ax, totals, [f"{t:,.1f} ({p:.1%})" for t, p in zip(totals, shares, strict=True)]
    )
    ax.set_xlabel(_AREA_LABEL)
    kit.thousands(ax, "x")
    kit.style(ax, grid="x")
    ax.tick_params(axis="y", length=0, labelsize=9)
    kit.titles(ax, title, "(licenses held)")
    kit.legend_right(ax, "Commodity")
    return fig


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
    >>> fig = plot_license_age(licenses)
    >>> fig.axes[0].get_xlabel()[:35]
    'Age on 2026-11-01 (years since the '
    """
    function = "plot_license_age"
    fig, ax = kit.canvas(ax, (10, 4.8), function)
    frame = kit.frame(df, function)
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
        return kit.empty(fig, ax, title)
    counts = ages.group_by(s.LICENSE_TYPE).len()
    types = kit.order(counts[s.LICENSE_TYPE].to_list(), counts["len"].to_list())
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
    kit.thousands(ax, "y")
    kit.style(ax, grid="y")
    kit.titles(ax, title, f"{ages.height:,} licenses · as of {day.isoformat()}")
    kit.legend_right(ax, "License type", reverse=True)
    return fig
