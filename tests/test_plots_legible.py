"""Charts that read on a phone and say what they show: narrow layouts, as-of notes, wording,
maps that zoom to the data and number the licenses stacked on one point."""

from __future__ import annotations

import re

import polars as pl
import pytest

from mining_licenses import plots
from mining_licenses import schema as s
from tests.test_plots import CHARTS, sample

__all__ = ["sample"]  # the fixture, shared with test_plots


@pytest.fixture(scope="module")
def kaltim(sample: pl.DataFrame) -> pl.DataFrame:
    return sample.filter(pl.col(s.PROVINCE) == "Kalimantan Timur")


def _notes(fig) -> str:
    ax = fig.axes[0]
    return " ".join([ax.get_title(loc="right"), *(t.get_text() for t in ax.texts)])


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.__name__)
def test_narrow_charts_are_four_inches_with_no_text_under_eight_points(chart, kaltim) -> None:
    fig = chart(kaltim, narrow=True)
    assert fig.get_figwidth() == plots.NARROW_WIDTH
    sizes = plots.text_sizes(fig)
    assert sizes
    assert min(sizes) >= plots.MIN_NARROW_PT
    assert fig.legends  # under the chart, not beside it
    renderer = fig.canvas.get_renderer()
    for legend in fig.legends:  # inside the figure: nothing cut off
        box = legend.get_window_extent(renderer)
        assert box.x0 >= -1
        assert box.x1 <= fig.bbox.x1 + 1
    assert "as of 2026-11-01" in _notes(fig)


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.__name__)
def test_every_chart_says_as_of_when(chart, sample) -> None:
    assert "as of 2026-11-01" in _notes(chart(sample.head(300)))
    assert "as of 2026-12-03" in _notes(chart(sample.head(300), as_of="2026-12-03"))


def test_area_shares_say_of_what(sample) -> None:
    nickel = sample.filter(pl.col(s.COMMODITY) == "Nickel")
    label = plots.plot_area_by_province(nickel).axes[0].get_xlabel()
    assert "(share of all Nickel area)" in label
    assert "share of all area" not in label
    label = plots.plot_top_companies(nickel.filter(pl.col(s.PROVINCE) == "Sulawesi Tengah"))
    assert "share of all Nickel area in Sulawesi Tengah" in label.axes[0].get_xlabel()
    assert (
        "(share of all licensed area)" in plots.plot_area_by_province(sample).axes[0].get_xlabel()
    )


def test_company_names_keep_their_legal_form_upright(sample) -> None:
    names = [t.get_text() for t in plots.plot_top_companies(sample).axes[0].get_yticklabels()]
    assert any(n.startswith("PT Barito Khatulistiwa Sakti") for n in names)
    assert not [n for n in names if n.startswith(("Pt ", "pt ", "P.T."))]


def test_a_category_too_small_to_see_says_so(sample) -> None:
    ax = plots.plot_license_age(sample).axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "IUP OPK (too small to see)" in texts  # one license among thousands


def test_the_map_zooms_to_the_data_with_a_margin(kaltim) -> None:
    for narrow in (False, True):
        ax = plots.plot_map(kaltim, narrow=narrow).axes[0]
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        lon, lat = kaltim[s.LONGITUDE].drop_nulls(), kaltim[s.LATITUDE].drop_nulls()
        assert x0 <= lon.min() - 0.3
        assert x1 >= lon.max() + 0.3
        assert y0 <= lat.min() - 0.3
        assert y1 >= lat.max() + 0.3
        assert x1 - x0 < 6.0  # 107 to 125 E before, for points at 115 to 118 E
    one = kaltim.head(1)
    ax = plots.plot_map(one).axes[0]
    assert ax.get_xlim()[1] - ax.get_xlim()[0] < 3.0  # one license: a close view, not the country


def test_stacked_licenses_are_numbered_with_their_count(kaltim) -> None:
    fig = plots.plot_map(kaltim)
    ax = fig.axes[0]
    numbers = [t for t in ax.texts if t.get_gid() == "stack_count"]
    assert numbers
    counts = kaltim.group_by(s.LONGITUDE, s.LATITUDE).len()
    for text in numbers:
        lon, lat = text.xy
        at = counts.filter((pl.col(s.LONGITUDE) == lon) & (pl.col(s.LATITUDE) == lat))
        assert int(text.get_text().replace(",", "")) == at["len"].item() > 1
    biggest = counts["len"].max()
    assert str(biggest) in [t.get_text() for t in numbers]  # the largest stack is numbered
    legend = " ".join(t.get_text() for lg in ax.get_children() if hasattr(lg, "get_texts")
                      for t in lg.get_texts())  # fmt: skip
    assert "licenses sharing one point" in legend


def test_map_labels_avoid_each_other_the_legends_and_the_credit(sample) -> None:
    fig = plots.plot_map(sample)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_gid() in ("stack_count", "province_label")]
    assert len([t for t in labels if t.get_gid() == "province_label"]) == len(s.PROVINCES)
    boxes = [t.get_window_extent(renderer) for t in labels]
    credit = next(t for t in ax.texts if "Natural Earth" in t.get_text())
    keep_clear = [credit.get_window_extent(renderer)]
    keep_clear += [lg.get_window_extent(renderer) for lg in ax.get_children()
                   if type(lg).__name__ == "Legend"]  # fmt: skip
    for i, box in enumerate(boxes):
        assert not any(box.overlaps(other) for other in boxes[:i]), labels[i].get_text()
        assert not any(box.overlaps(other) for other in keep_clear), labels[i].get_text()


def test_the_interactive_map_numbers_stacks_and_fits_the_data_with_a_margin(kaltim) -> None:
    m = plots.explore(kaltim, tiles=None)
    html = m.get_root().render()
    counts = kaltim.group_by(s.LONGITUDE, s.LATITUDE).len().filter(pl.col("len") > 1)
    assert html.count("licenses on this point") == counts.height
    layer = next(
        c for c in m._children.values() if getattr(c, "layer_name", "") == "licenses on one point"
    )
    markers = [c for c in layer._children.values() if hasattr(c, "icon")]
    numbers = sorted(int(m.icon.options["html"].split(">")[1].split("<")[0]) for m in markers)
    assert numbers == sorted(counts["len"].to_list())
    assert "licenses_at_point" in html  # in every tooltip
    last_fit = html.rsplit("fitBounds(", 1)[1].split(")")[0]
    lat0, lon0, lat1, lon1 = (float(v) for v in re.findall(r"-?\d+\.?\d*", last_fit)[:4])
    assert lon0 <= kaltim[s.LONGITUDE].min() - 0.3
    assert lat0 <= kaltim[s.LATITUDE].min() - 0.3
    assert lon1 >= kaltim[s.LONGITUDE].max() + 0.3
    assert lat1 >= kaltim[s.LATITUDE].max() + 0.3
