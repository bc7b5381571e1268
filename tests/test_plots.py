"""Charts and maps: artists drawn on the sample, no leaked figures, the missing-extra error."""

from __future__ import annotations

import datetime as dt
import sys
import warnings

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pytest
from matplotlib.container import BarContainer

from mining_licenses import analytics as an
from mining_licenses import gazetteer, plots
from mining_licenses import schema as s
from mining_licenses._errors import MissingDependencyError, SyntheticDataWarning
from mining_licenses.geo import to_geodataframe
from mining_licenses.loader import load_licenses

CHARTS = (
    plots.plot_expiry_schedule,
    plots.plot_area_by_province,
    plots.plot_top_companies,
    plots.plot_license_age,
    plots.plot_map,
)


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticDataWarning)
        frame = load_licenses(source="sample", as_="polars")
    assert isinstance(frame, pl.DataFrame)
    return frame


def bars(fig):
    return [c for c in fig.axes[0].containers if isinstance(c, BarContainer)]


def legend_texts(ax):
    return [t.get_text() for legend in _legends(ax) for t in legend.get_texts()]


def _legends(ax):
    from matplotlib.legend import Legend

    return [a for a in ax.get_children() if isinstance(a, Legend)]


def test_palette_covers_every_known_commodity_with_distinct_colours():
    assert set(plots.COMMODITY_COLORS) == set(s.COMMODITIES)
    assert len(set(plots.COMMODITY_COLORS.values())) == len(s.COMMODITIES)
    assert plots.commodity_color("Zircon") == plots.commodity_color("Zircon")
    assert plots.commodity_color("Zircon") not in plots.COMMODITY_COLORS.values()
    assert plots.commodity_color(None) == plots.commodity_color(None)


def test_expiry_schedule_stacks_one_bar_set_per_commodity(sample):
    fig = plots.plot_expiry_schedule(sample)
    ax = fig.axes[0]
    containers = bars(fig)
    assert len(containers) == sample[s.COMMODITY].n_unique()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "expired"
    assert labels[-1] == "no date"  # the sample has an invalid expiry date
    # the stacked bars add up to every license, and the expired bar to the expired ones
    heights = np.sum([[p.get_height() for p in c.patches] for c in containers], axis=0)
    assert heights.sum() == sample.height
    schedule = an.expiry_schedule(sample)
    expired = schedule.filter(pl.col(an.PERIOD) == an.EXPIRED_BUCKET)[an.LICENSES].item()
    assert heights[0] == expired
    assert all(c.patches[0].get_hatch() == "////" for c in containers)
    assert all(not c.patches[1].get_hatch() for c in containers)
    # the legend is plain swatches (no hatch), commodity names, a line marks as_of
    assert set(legend_texts(ax)) == set(sample[s.COMMODITY].unique().to_list())
    assert any("as of 2026-11-01" in t.get_text() for t in ax.texts)
    assert ax.get_title(loc="left") == "Licenses by year of expiry"


def test_expiry_schedule_fills_gaps_and_takes_other_frequencies(sample):
    fig = plots.plot_expiry_schedule(sample, freq="quarter", measure="area", as_of="2030-01-01")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Licensed area expiring (thousand ha)"
    slots = len(bars(fig)[0].patches)
    schedule = an.expiry_schedule(sample, freq="quarter", as_of="2030-01-01")
    dated = schedule.filter(pl.col(an.PERIOD_START).is_not_null())
    first, last = dated[an.PERIOD_START].min(), dated[an.PERIOD_START].max()
    quarters = (last.year - first.year) * 4 + (last.month - first.month) // 3 + 1
    assert slots == quarters + 2  # plus expired and no_date
    total = np.sum([[p.get_height() for p in c.patches] for c in bars(fig)])
    assert total == pytest.approx(sample[s.AREA_HA].sum() / 1000)


def test_expiry_schedule_can_leave_out_the_expired_bar(sample):
    fig = plots.plot_expiry_schedule(sample, freq="month", expired=False)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[0] == "2026-11"
    total = np.sum([[p.get_height() for p in c.patches] for c in bars(fig)])
    schedule = an.expiry_schedule(sample, freq="month")
    assert total == schedule.filter(pl.col(an.PERIOD) != an.EXPIRED_BUCKET)[an.LICENSES].sum()


def test_area_by_province_bars_and_labels(sample):
    fig = plots.plot_area_by_province(sample)
    ax = fig.axes[0]
    assert len(bars(fig)) == sample[s.COMMODITY].n_unique()
    provinces = an.area_by_province(sample)
    assert [t.get_text() for t in ax.get_yticklabels()] == provinces[s.PROVINCE].to_list()
    widths = np.sum([[p.get_width() for p in c.patches] for c in bars(fig)], axis=0)
    np.testing.assert_allclose(widths, provinces[s.AREA_HA].to_numpy() / 1000)
    assert ax.get_xlabel().startswith("Licensed area (thousand ha)")
    top = plots.plot_area_by_province(sample, top=5)
    assert len(top.axes[0].get_yticklabels()) == 5
    first = top.axes[0].texts[0].get_text()  # "1,234.5 (12.3%)": thousands separators
    assert "," in first
    assert first.endswith("%)")


def test_top_companies_bars(sample):
    fig = plots.plot_top_companies(sample, top=10)
    ax = fig.axes[0]
    ranked = an.area_by_company(sample, top=10)
    assert len(ax.get_yticklabels()) == ranked.height
    keys = ranked[s.COMPANY_KEY].to_list()
    held = sample.filter(pl.col(s.COMPANY_KEY).is_in(keys))[s.COMMODITY].n_unique()
    assert len(bars(fig)) == held
    widths = np.sum([[p.get_width() for p in c.patches] for c in bars(fig)], axis=0)
    np.testing.assert_allclose(widths, ranked[s.AREA_HA].to_numpy() / 1000)
    first_label = ax.get_yticklabels()[0].get_text()
    assert first_label.endswith(f"({ranked[an.LICENSES][0]:,})")


def test_license_age_histogram_counts_usable_rows(sample):
    fig = plots.plot_license_age(sample)
    containers = bars(fig)
    assert len(containers) == sample[s.LICENSE_TYPE].n_unique()
    stats = an.license_age_stats(sample)
    total = sum(p.get_height() for c in containers for p in c.patches)
    assert total == stats[an.LICENSES].item() - stats[an.MISSING_DATES].item()
    assert any(t.get_text().startswith("median ") for t in fig.axes[0].texts)


def test_map_draws_api_and_gazetteer_points_apart(sample):
    fig = plots.plot_map(sample)
    ax = fig.axes[0]
    provinces, api, regency = ax.collections
    assert len(provinces.get_offsets()) == gazetteer.provinces().height
    placed = sample.filter(pl.col(s.LONGITUDE).is_not_null())
    source = pl.col(s.GEOMETRY_SOURCE)
    assert len(api.get_offsets()) == placed.filter(source == s.GEOMETRY_FROM_API).height
    assert len(regency.get_offsets()) == placed.filter(source == s.GEOMETRY_FROM_REGENCY).height
    assert len(api.get_offsets()) + len(regency.get_offsets()) == placed.height
    assert api.get_facecolors()[:, 3].min() > 0  # filled
    assert regency.get_facecolors().size == 0 or regency.get_facecolors()[:, 3].max() == 0  # hollow
    texts = legend_texts(ax)
    assert any("gazetteer" in t for t in texts)
    assert any("API" in t for t in texts)
    assert any(t.endswith(" ha") for t in texts)
    assert set(sample[s.COMMODITY].unique().to_list()) <= set(texts)
    lon0, lat0, lon1, lat1 = s.INDONESIA_BOUNDS
    assert ax.get_xlim() == (lon0, lon1)
    assert ax.get_ylim() == (lat0, lat1)
    # every province is labelled, and no two labels overlap
    labels = [t for t in ax.texts if t.get_text().replace("Kep. ", "Kepulauan ") in s.PROVINCES]
    assert len(labels) == len(s.PROVINCES)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in labels]
    overlaps = [(i, j) for i, a in enumerate(boxes) for j in range(i) if a.overlaps(boxes[j])]
    assert overlaps == []


def test_geodataframe_in_gives_the_same_chart(sample):
    gdf = to_geodataframe(sample)
    fig = plots.plot_map(gdf)
    assert [len(c.get_offsets()) for c in fig.axes[0].collections] == [
        len(c.get_offsets()) for c in plots.plot_map(sample).axes[0].collections
    ]
    assert len(bars(plots.plot_expiry_schedule(gdf))) == sample[s.COMMODITY].n_unique()


def test_draws_into_given_axes_and_leaks_no_figures(sample):
    before = plt.get_fignums()
    for chart in CHARTS:
        fig = chart(sample)
        assert fig.axes
    assert plt.get_fignums() == before
    fig, axes = plt.subplots(1, 2)
    try:
        assert plots.plot_license_age(sample, ax=axes[1]) is fig
        assert plots.plot_top_companies(sample, top=3, ax=axes[0]) is fig
        assert len(fig.axes) == 2
    finally:
        plt.close(fig)
    assert plt.get_fignums() == before


def test_empty_frame_gives_a_figure_that_says_so():
    empty = s.empty_frame()
    for chart in CHARTS[:-1]:
        fig = (
            chart(empty, as_of=dt.date(2026, 1, 1))
            if chart is plots.plot_license_age
            else (chart(empty))
        )
        assert any(t.get_text() == "No licenses to show" for t in fig.axes[0].texts)
    fig = plots.plot_map(empty)
    assert [len(c.get_offsets()) for c in fig.axes[0].collections[1:]] == [0, 0]


def test_missing_matplotlib_names_the_extra(sample, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for chart in CHARTS:
        with pytest.raises(MissingDependencyError, match=r"mining-licenses\[viz\]"):
            chart(sample)


def test_missing_folium_names_the_extra(sample, monkeypatch):
    monkeypatch.setitem(sys.modules, "folium", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'mining-licenses\[viz\]'"):
        plots.explore(sample)


def test_explore_serialises_dates_and_lists_and_works_without_tiles(sample):
    riau = sample.filter(pl.col(s.PROVINCE) == "Riau")
    m = plots.explore(riau, tiles=None)
    html = m.get_root().render()
    assert "tile.openstreetmap" not in html
    placed = riau.filter(pl.col(s.LONGITUDE).is_not_null()).height
    assert html.count('"type": "Feature"') == placed
    expiry = riau[s.EXPIRY_DATE].drop_nulls()[0].isoformat()
    assert f'"{s.EXPIRY_DATE}": "{expiry}"' in html
    for colour in {plots.commodity_color(c) for c in riau[s.COMMODITY].unique()}:
        assert colour in html
    gdf_map = plots.explore(to_geodataframe(riau), tiles=None)
    assert gdf_map.get_root().render().count('"type": "Feature"') == placed
