"""The expiry schedule chart: licenses (or area) by period of expiry, stacked by commodity."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import polars as pl

from mining_licenses import _terms
from mining_licenses import analytics as an
from mining_licenses import schema as s
from mining_licenses.plots import _bars as bars
from mining_licenses.plots import _style as kit
from mining_licenses.plots._layout import Layout, titles

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


_PERIOD_STEP: Final = {"year": "1y", "quarter": "3mo", "month": "1mo"}
#: The expired bar is cut when over _CUT_RATIO times the tallest other bar, to
#: _CUT_HEIGHT times that bar, so the schedule ahead keeps its scale.
_CUT_RATIO: Final = 1.5
_CUT_HEIGHT: Final = 1.25


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
    narrow: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Bar chart of licenses by period of expiry, stacked by commodity.

    The first bar holds licenses already expired on ``as_of`` (hatched, on a
    grey band); a dashed line marks ``as_of``; periods without expiries are
    kept as gaps; hatched bars at the end count the licenses whose expiry
    date lies outside 1950-2100 (``out of range``: a placeholder such as
    9999-12-31, which would otherwise stretch the axis over millennia) and
    those with no usable expiry date. Areas that are not a positive finite
    number under 1,000,000 ha add nothing to an area bar.
    When the expired bar is over 1.5 times the tallest other bar it is cut to
    1.25 times that bar, with a white zigzag and its true total as a bold
    label, so the years ahead keep their scale. Commodities too thin to see are
    drawn as one grey segment; the title names the commodity and the province
    when the frame holds only one.

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
    narrow
        Draw for a phone's width (4 in, legend under the chart, no text under
        8 pt; totals above the bars only where they fit).
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        One bar container per legend entry (commodity, or the minor ones
        together), in the order of the legend.

    Examples
    --------
    >>> fig = plot_expiry_schedule(licenses, freq="year")
    >>> fig.axes[0].get_title(loc="left")
    'Licenses by year of expiry'
    >>> coal = licenses.filter(pl.col("commodity_type") == "Coal")
    >>> plot_expiry_schedule(coal).axes[0].get_title(loc="left")
    'Coal licenses by year of expiry'
    """
    function = "plot_expiry_schedule"
    layout = Layout(narrow=narrow)
    size = layout.size((11, 5.2), 4.8)
    fig, ax, frame, day, where = kit.dated_canvas(df, ax, size, function, as_of)
    title = (
        f"{where.licenses()}{where.where} by {freq} of expiry"
        if measure == "licenses"
        else f"Licensed area{where.of}{where.where} by {freq} of expiry"
    )
    schedule = an.expiry_schedule(frame, freq=freq, as_of=day, by=s.COMMODITY)
    if not expired:
        schedule = schedule.filter(pl.col(an.PERIOD) != an.EXPIRED_BUCKET)
    if schedule.is_empty():
        return kit.empty(fig, ax, title)
    value = an.LICENSES if measure == "licenses" else s.AREA_HA
    slots, wide = _schedule_slots(schedule, freq, value, 1.0 if measure == "licenses" else 1000.0)
    special = {
        an.EXPIRED_BUCKET: "expired",
        an.OUT_OF_RANGE_BUCKET: "out of range",
        an.NO_DATE_BUCKET: "no date",
    }
    totals = np.sum(list(wide.values()), axis=0)
    drawn = _cut_expired(totals, cut=slots[0] == an.EXPIRED_BUCKET)
    x, bottom = np.arange(len(slots)), np.zeros(len(slots))
    for name, colour, heights in bars.segments({c: v * drawn for c, v in wide.items()}):
        stack = ax.bar(
            x,
            heights,
            bottom=bottom,
            width=0.8,
            color=colour,
            label=name,
            edgecolor="white",
            linewidth=0.3,
        )
        for i in (i for i, slot in enumerate(slots) if slot in special):
            stack.patches[i].set_hatch("////")
            stack.patches[i].set_alpha(0.55)
        bottom += heights
    for i in (i for i, slot in enumerate(slots) if slot in special):
        ax.axvspan(i - 0.5, i + 0.5, color="#eeeeee", zorder=0)
    kit.marker_line(  # narrow: the note under the title says the day; the line alone marks it
        ax,
        0.5 if slots[0] == an.EXPIRED_BUCKET else -0.5,
        "" if layout.narrow else f"as of {day}",
        size=layout.pt(8),
    )
    tick_labels = [special.get(t, t) for t in slots]
    step = max(1, math.ceil(len(slots) / (12 if layout.narrow else 30)))
    shown = [i for i in x if i % step == 0 or slots[i] in special]
    ax.set_xticks(shown, [tick_labels[i] for i in shown], rotation=90 if freq != "year" else 0)
    if freq == "year" and len(shown) > (8 if layout.narrow else 16):
        ax.tick_params(axis="x", labelrotation=90)
    ax.tick_params(labelsize=layout.pt(9))
    fmt = "{:,.0f}" if measure == "licenses" else "{:,.1f}"
    fits = 12 if layout.narrow else 45  # totals above bars while they fit
    for xi, total, top, scale in zip(x, totals, bottom, drawn, strict=True):
        cut = bool(scale < 1)
        if total > 0 and (cut or len(slots) <= fits):
            bars.value_label(
                ax,
                (float(xi), top),
                fmt.format(total),
                bold=cut,
                end=cut and layout.narrow,  # beside a narrow bar, over the short ones after it
                size=layout.pt(8) if cut else None,
            )
    if drawn[0] < 1:
        _break_mark(ax, 0, float(bottom[0]))
    ax.set_xlim(-0.6, len(slots) - 0.4)
    ax.set_ylim(0, float(bottom.max()) * 1.1 or 1.0)
    ax.set_ylabel(
        "Licenses expiring" if measure == "licenses" else "Licensed area expiring (thousand ha)",
        fontsize=layout.pt(10),
    )
    kit.thousands(ax, "y", decimals=0)
    kit.style(ax, grid="y")
    titles(ax, title, f"{_terms.count_licenses(frame.height)} · as of {day.isoformat()}", layout)
    bars.legend_for(ax, "Commodity", layout, reverse=True)
    return fig


def _schedule_slots(
    schedule: pl.DataFrame, freq: str, value: str, scale: float
) -> tuple[list[str], dict[str | None, np.ndarray]]:
    """Return the bars (expired, every period first to last with gaps, out of range, no date).

    The periods lie in ``schema.DATE_WINDOW`` (dates outside it are the
    ``out_of_range`` bar), so there are at most as many as the window holds.
    """
    dated = schedule.filter(pl.col(an.PERIOD_START).is_not_null())
    starts = pl.Series(an.PERIOD_START, [], pl.Date)  # every license expired: no period ahead
    if dated.height:
        starts = dated.select(
            pl.date_range(
                pl.col(an.PERIOD_START).min(), pl.col(an.PERIOD_START).max(), _PERIOD_STEP[freq]
            )
        ).to_series()
    has = set(schedule[an.PERIOD].to_list())
    slots = [an.EXPIRED_BUCKET] * (an.EXPIRED_BUCKET in has) + _period_labels(starts, freq)
    slots += [bucket for bucket in (an.OUT_OF_RANGE_BUCKET, an.NO_DATE_BUCKET) if bucket in has]
    index = {slot: i for i, slot in enumerate(slots)}
    wide: dict[str | None, np.ndarray] = {}
    for (commodity,), part in schedule.group_by(s.COMMODITY):  # one per commodity: a dozen
        heights = np.zeros(len(slots))
        heights[[index[p] for p in part[an.PERIOD]]] = part[value].fill_null(0).to_numpy() / scale
        wide[commodity] = heights
    return slots, wide


def _cut_expired(totals: np.ndarray, *, cut: bool) -> np.ndarray:
    """Return each bar's drawing scale: 1, except an expired bar that would flatten the rest.

    Cut when it is over :data:`_CUT_RATIO` times the tallest other bar, to
    :data:`_CUT_HEIGHT` times that bar; its label keeps the true total.
    """
    scale = np.ones(len(totals))
    rest = float(totals[1:].max()) if cut and len(totals) > 1 else 0.0
    if rest > 0 and totals[0] > _CUT_RATIO * rest:
        scale[0] = _CUT_HEIGHT * rest / totals[0]
    return scale


def _break_mark(ax: Axes, x: float, top: float) -> None:
    """Draw a white zigzag across a cut bar, below its top."""
    y, dy = top * 0.9, top * 0.025
    ax.plot(
        [x - 0.45, x - 0.15, x + 0.15, x + 0.45],
        [y - dy, y + dy, y - dy, y + dy],
        color="white",
        linewidth=3,
        solid_joinstyle="miter",
        zorder=3,
        gid="break",
    )
