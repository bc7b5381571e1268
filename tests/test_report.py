"""The HTML report: sections and TOC, escaping, embedded images and CSV files, the banner.

The sample report is rendered once per session (``page``, ``report_file``);
the Chromium tests load that file at a phone's and a desktop's width through
the DevTools client of ``scripts/screenshots.py``.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
import io
import re
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from mining_licenses import analytics as an
from mining_licenses import schema as s
from mining_licenses._errors import OutputExistsError, SyntheticDataWarning
from mining_licenses.geo import to_geodataframe
from mining_licenses.loader import load_licenses
from mining_licenses.report import (
    SECTION_IDS,
    SYNTHETIC_BANNER_ID,
    _render,
    render_report,
    write_report,
)

REPO = Path(__file__).resolve().parents[1]
BANNER = f'id="{SYNTHETIC_BANNER_ID}"'
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
IMAGE = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
NARROW = re.compile(r'<source media="[^"]+" srcset="data:image/png;base64,([A-Za-z0-9+/=]+)"')
PICTURE = re.compile(r"<picture>(.*?)</picture>", re.S)
DOWNLOAD = re.compile(
    r'<a class="download" download="([^"]+)" href="data:text/csv;charset=utf-8;base64,([^"]+)">'
)
HOSTILE = "<script>alert(1)</script>"


def _load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


shots = _load_script("screenshots")
CHROMIUM = shots.chromium_path()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)"
)


@pytest.fixture(scope="session")
def sample() -> pl.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticDataWarning)
        frame = load_licenses(source="sample", as_="polars")
    assert isinstance(frame, pl.DataFrame)
    return frame


@pytest.fixture(scope="session")
def page(sample) -> str:
    return render_report(sample)


@pytest.fixture(scope="session")
def report_file(page, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small(sample) -> pl.DataFrame:
    """Eighty licenses of the sample, restamped so they no longer look like the sample."""
    stamp = dt.datetime(2026, 2, 3, 4, 5, tzinfo=dt.UTC)
    return sample.head(80).with_columns(pl.lit(stamp).alias(s.FETCHED_AT))


@pytest.fixture
def no_charts(monkeypatch):
    """Leave the charts out (as without the viz extra's matplotlib) where a test needs none."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)


class _Checker(HTMLParser):
    """Check that every element is closed in order; collect ids, links and the TOC."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.tags: list[str] = []
        self.toc: list[tuple[str, str]] = []
        self.headings: list[tuple[str, str]] = []
        self._section = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        values = dict(attrs)
        for name, value in attrs:
            if name == "id":
                self.ids.append(value or "")
            if name in ("src", "srcset", "href", "action", "poster", "data"):
                self.links.append((name, value or ""))
        if tag == "section":
            self._section = values.get("id") or ""
        if tag == "a" and "nav" in self.stack:
            self.toc.append((values.get("href") or "", ""))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_data(self, data):
        if self.stack[-2:] == ["nav", "a"]:
            self.toc[-1] = (self.toc[-1][0], self.toc[-1][1] + data)
        if self.stack[-2:] == ["section", "h2"]:
            self.headings.append((f"#{self._section}", data))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()


def check(page: str) -> _Checker:
    checker = _Checker()
    checker.feed(page)
    checker.close()
    return checker


def section(page: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', page, flags=re.S)
    assert match, section_id
    return match.group(1)


def downloads(page: str) -> dict[str, bytes]:
    return {name: base64.b64decode(data) for name, data in DOWNLOAD.findall(page)}


def test_page_is_well_formed_and_has_every_section(page):
    checker = check(page)
    assert checker.errors == []
    assert checker.stack == []
    assert page.startswith("<!DOCTYPE html>")
    assert [checker.tags.count(t) for t in ("html", "head", "body", "title")] == [1, 1, 1, 1]
    sections = [i for i in checker.ids if i in SECTION_IDS]
    assert sections == list(SECTION_IDS)
    assert len(set(checker.ids)) == len(checker.ids)  # ids are unique


def test_table_of_contents_matches_the_sections(page):
    checker = check(page)
    assert [href for href, _ in checker.toc] == [f"#{i}" for i in SECTION_IDS]
    assert checker.toc == checker.headings  # same ids, same titles, same order
    internal = [v for name, v in checker.links if name == "href" and v.startswith("#")]
    assert internal == [href for href, _ in checker.toc]  # no other in-page link


def test_charts_are_embedded_pngs_wide_and_narrow(page):
    pictures = PICTURE.findall(page)
    assert len(pictures) == 6  # the map, small islands, expiry, provinces, companies, ages
    for picture in pictures:
        (wide,), (narrow,) = IMAGE.findall(picture), NARROW.findall(picture)
        for data in (wide, narrow):
            assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
        assert wide != narrow
    # the map, full size, once more for a phone to open
    assert page.count('<details class="enlarge">') == 1
    assert len(IMAGE.findall(page)) == page.count("<img ") == 7
    assert all('alt="' in tag for tag in re.findall(r"<img [^>]*>", page))
    assert all("data-text-px=" in tag for tag in re.findall(r"<(?:img|source) [^>]*>", page))


def test_no_external_resources(page):
    checker = check(page)
    for name, value in checker.links:
        assert value.startswith(("#", "data:image/png;base64,", "data:text/csv;")), (name, value)
    assert "srcset" in {name for name, _ in checker.links}
    assert not re.search(r"""(?i)(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert not re.search(r"(?i)@import|url\(", page)
    assert "<script" not in page
    assert "<link" not in page


def test_headline_and_expiring_numbers_match_analytics(sample, page):
    soon = an.expiring_soon(sample, as_of="2026-11-01")
    headline = section(page, "headline")
    assert f"{sample.height:,}" in headline
    assert f'<div class="value">{soon.height:,}</div>' in headline
    expired = an.expiry_schedule(sample).filter(pl.col(an.PERIOD) == an.EXPIRED_BUCKET)
    assert f'<div class="value">{expired[an.LICENSES].item():,}</div>' in headline
    expiring = section(page, "expiring")
    assert expiring.count("<tr>") == soon.height + 1  # every row, plus the header row
    dates = re.findall(r'<td class="nowrap">(\d{4}-\d{2}-\d{2})</td>', expiring)
    assert dates == sorted(dates)
    assert len(dates) == soon.height
    assert '<td class="num">' in expiring  # numbers right-aligned
    assert re.search(r'<td class="num">\d{1,3}(,\d{3})+\.\d</td>', expiring)  # 1,234.5 ha


def test_every_section_shows_its_content(sample, page):
    assert "HHI" in section(page, "companies")
    top = an.area_by_company(sample, top=1)[s.COMPANY_NAME].item()
    assert top in section(page, "companies")
    assert "Median age" in section(page, "age")
    quality = section(page, "quality")
    for code in ("location_unresolved", "unknown_value:commodity_type", "api_point", "regency"):
        assert code in quality
    assert "Zircon" in quality  # the sample's unknown commodity, kept verbatim
    assert "Kemendagri" in section(page, "provenance")


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` as its CSV file should hold it: lists joined with the package's separator."""
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    return frame.with_columns(pl.col(n).list.join(s.LIST_SEPARATOR) for n in lists)


def test_csv_downloads_hold_the_whole_tables(sample, page):
    from mining_licenses import small_islands
    from mining_licenses.spatial import columns as c

    screen = small_islands(sample)
    expected = {
        "expiring.csv": an.expiring_soon(sample, within_days=s.EXPIRING_SOON_DAYS),
        "companies.csv": an.area_by_company(sample),
        "provinces.csv": an.area_by_province(sample),
        "small_islands.csv": screen.islands.filter(pl.col(c.SMALL_ISLAND)).drop(c.SMALL_ISLAND),
        "small_island_licenses.csv": screen.small().sort(c.ISLAND_KM2),
    }
    files = downloads(page)
    assert sorted(files) == sorted(expected)
    for name, frame in expected.items():
        flat = _flat(frame)
        back = pl.read_csv(io.BytesIO(files[name]), schema=flat.schema)
        assert_frame_equal(back, flat)
        assert f"(all {frame.height:,} rows, {frame.width} columns)" in page
    assert expected["expiring.csv"].height == 263  # the sample's, for the numbers below
    companies = pl.read_csv(io.BytesIO(files["companies.csv"]), infer_schema=False)
    lists = companies[an.COMMODITY_LIST].str.split(s.LIST_SEPARATOR).to_list()
    assert lists == expected["companies.csv"][an.COMMODITY_LIST].to_list()


def test_long_tables_say_how_many_rows_they_have(sample, page):
    companies = an.area_by_company(sample).height
    assert f"15 of {companies:,} rows shown." in section(page, "companies")
    assert "263 rows; scroll inside the box to see them all." in section(page, "expiring")
    assert section(page, "expiring").count('class="table-box scroll"') == 1


def test_synthetic_banner_for_the_sample_only(sample, small, page, no_charts):
    assert BANNER in page
    assert page.count(BANNER) == 1
    part = sample.head(80)  # still stamped as the sample
    assert BANNER in render_report(part)
    assert BANNER not in render_report(part, meta={"synthetic": False, "source": "api"})
    assert BANNER not in render_report(small)
    assert BANNER in render_report(small, meta={"synthetic": True})
    assert BANNER in render_report(small, meta={"source": "sample"})


def test_everything_is_escaped_and_credentials_never_shown(small, no_charts):
    hostile = f"{HOSTILE} & Sons 'Ltd'"
    frame = small.with_columns(
        pl.lit(hostile).alias(s.COMPANY_NAME), pl.lit('Riau <b>"').alias(s.PROVINCE)
    )
    meta = {
        "source": "api",
        "base_url": "https://api.sectors.app",
        "api_key": "sk-SECRET-123",
        "Authorization": "Bearer sk-SECRET-456",
        "filters": {"province": "Riau", "token": "sk-SECRET-789"},
        "fetched_at": dt.datetime(2026, 2, 3, 4, 5, tzinfo=dt.UTC),
        "total_count": 12345,
        "records": 12345,
        "pages": 412,
        "credits": 412,
        "complete": True,
        "synthetic": False,
        "package_version": "0.1.0",
        "note": "<i>hand-made</i>",
        "<img src=x onerror=alert(2)>": HOSTILE,
    }
    page = render_report(frame, meta=meta)
    assert check(page).errors == []
    assert "<script" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons &#39;Ltd&#39;" in page
    assert "Riau &lt;b&gt;&#34;" in page
    assert "&lt;i&gt;hand-made&lt;/i&gt;" in page
    assert "<dt>&lt;img src=x onerror=alert(2)&gt;</dt><dd>&lt;script&gt;" in page
    assert "SECRET" not in page
    assert b"SECRET" not in b"".join(downloads(page).values())
    provenance = section(page, "provenance")
    for shown in ("API base URL", "https://api.sectors.app", "province=Riau", "12,345", "412"):
        assert shown in provenance
    assert "2026-02-03 04:05:00 UTC" in provenance
    assert "<dt>Sweep verified complete</dt><dd>yes</dd>" in provenance
    assert "<dt>Synthetic data</dt><dd>no</dd>" in provenance
    # the data itself is kept verbatim in the CSV files, which are base64 inside the page
    assert HOSTILE in downloads(page)["companies.csv"].decode()


def test_templates_escape_by_default_and_refuse_unknown_names():
    import jinja2

    environment = _render._environment()
    assert environment.autoescape is True
    assert environment.undefined is jinja2.StrictUndefined
    template = environment.from_string("<p>{{ value }}</p>")
    assert template.render(value=HOSTILE) == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    with pytest.raises(jinja2.UndefinedError):
        template.render()


def test_snapshot_meta_is_accepted_as_it_is_stored(small, no_charts):
    from mining_licenses.store import bundled_sample_path, read_snapshot_meta

    meta = read_snapshot_meta(bundled_sample_path())
    page = render_report(small, meta=meta)
    assert BANNER in page  # the stored meta says synthetic
    provenance = section(page, "provenance")
    assert "<dt>Source</dt><dd>sample</dd>" in provenance
    assert "<dt>Credits spent</dt>" in provenance
    assert f"<dd>{meta.total_count:,}</dd>" in provenance


def test_write_report_replaces_atomically_and_takes_a_geodataframe(small, tmp_path, monkeypatch):
    target = tmp_path / "nested" / "report.html"
    out = write_report(to_geodataframe(small), target)
    assert out == target
    text = out.read_text(encoding="utf-8")
    assert all(f'id="{i}"' in text for i in SECTION_IDS)
    assert len(PICTURE.findall(text)) == 6
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # no charts needed from here
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        write_report(small.head(3), target)  # refused: never replaced unasked
    again = write_report(small.head(3), target, overwrite=True)  # replaces the file
    assert again == target
    assert "3 licenses" in target.read_text(encoding="utf-8")
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # no temporary left


def test_without_matplotlib_the_report_says_so(small, no_charts):
    page = render_report(small)
    assert IMAGE.findall(page) == []
    assert "<picture>" not in page
    assert page.count("Chart not drawn") == 6
    assert "pip install &#39;mining-licenses[viz]&#39;" in page
    assert all(f'id="{i}"' in page for i in SECTION_IDS)


def test_empty_frame_gives_a_complete_page(no_charts):
    page = render_report(s.empty_frame(), as_of="2026-01-01")
    assert check(page).errors == []
    assert all(f'id="{i}"' in page for i in SECTION_IDS)
    assert '<div class="value">0</div>' in section(page, "headline")
    assert BANNER not in page
    assert downloads(page) == {}  # no rows, nothing to download


# ------------------------------------------------------------------ in Chromium

MEASURE = """({
    scrollWidth: document.documentElement.scrollWidth,
    images: [...document.images].map(i => i.complete ? i.naturalWidth : 0),
})"""
#: Each chart as shown: which image the page picked, its displayed and natural width, and
#: the smallest text of that image in CSS pixels (its size in the image's own pixels,
#: recorded when drawn, times displayed width over natural width).
CHART_TEXT = """[...document.querySelectorAll("figure picture img")].map(img => {
    const source = [...img.parentElement.querySelectorAll("source")]
        .find(s => s.srcset === img.currentSrc);
    const shown = img.getBoundingClientRect().width;
    const px = parseFloat((source || img).dataset.textPx);
    return {narrow: !!source, shown, natural: img.naturalWidth, css: px * shown / img.naturalWidth};
})"""


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM is not None
    with shots.Browser(CHROMIUM) as chromium:
        yield chromium


@pytest.mark.chromium
@needs_chromium
@pytest.mark.parametrize("viewport", [shots.PHONE, shots.DESKTOP], ids=["390px", "1280px"])
def test_no_horizontal_overflow_and_every_image_loads(browser, report_file, viewport):
    from PIL import Image

    tab = browser.open(report_file, viewport)
    measured = tab.evaluate(MEASURE)
    assert measured["scrollWidth"] <= viewport.width
    assert len(measured["images"]) == 7  # six charts, and the full-size map behind a tap
    assert all(width > 0 for width in measured["images"])
    image = Image.open(io.BytesIO(tab.screenshot(viewport.height))).convert("RGB")
    assert image.size == (viewport.width, viewport.height)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None
    assert len(colours) > 100  # text and cards, not a blank page
    assert any(rgb == (0xFF, 0xF4, 0xD6) for _, rgb in colours)  # the synthetic banner drew


@pytest.mark.chromium
@needs_chromium
def test_printing_shows_every_row_of_every_table(browser, report_file, sample):
    paper = shots.Viewport(703, 1032)  # A4 less the 12 mm margins, at 96 dpi
    tab = browser.open(report_file, paper, media="print")
    assert tab.evaluate("document.documentElement.scrollWidth") <= paper.width  # nothing cut off
    boxes = tab.evaluate(
        """[...document.querySelectorAll(".table-box")].map(box => ({
            clipped: box.scrollHeight > box.clientHeight + 1,
            rows: box.querySelectorAll("tbody tr").length,
        }))"""
    )
    assert boxes
    assert not [box for box in boxes if box["clipped"]]
    soon = an.expiring_soon(sample, within_days=s.EXPIRING_SOON_DAYS)
    assert max(box["rows"] for box in boxes) == soon.height
    hidden = tab.evaluate('[...document.querySelectorAll("a.download")].map(a => !a.offsetParent)')
    assert hidden == [True] * 5  # a link is no use on paper


@pytest.mark.chromium
@needs_chromium
@pytest.mark.parametrize("width", [390, 360])
def test_chart_text_is_legible_on_a_phone(browser, report_file, width):
    """At 390 px every chart's smallest text renders at 9 CSS px or more (10.05 measured)."""
    tab = browser.open(report_file, shots.Viewport(width, 844, mobile=True))
    charts = tab.evaluate(CHART_TEXT)
    assert len(charts) == 6
    assert all(chart["narrow"] for chart in charts)  # the phone's drawing was picked
    assert all(chart["shown"] >= width - 40 for chart in charts)  # the column's width
    smallest = min(chart["css"] for chart in charts)
    assert smallest >= (9.0 if width == 390 else 8.5), charts
    enlarge = tab.evaluate('getComputedStyle(document.querySelector("details.enlarge")).display')
    assert enlarge == "block"


@pytest.mark.chromium
@needs_chromium
def test_a_desktop_gets_the_wide_charts_and_no_enlarge_link(browser, report_file):
    tab = browser.open(report_file, shots.DESKTOP)
    charts = tab.evaluate(CHART_TEXT)
    assert not any(chart["narrow"] for chart in charts)
    assert min(chart["css"] for chart in charts) >= 7.5
    hidden = tab.evaluate('getComputedStyle(document.querySelector("details.enlarge")).display')
    assert hidden == "none"


@pytest.mark.chromium
@needs_chromium
def test_the_quality_tables_leave_no_gap_beside_a_tall_one(browser, report_file):
    """The three quality tables flow into columns: none stands beside empty space."""
    tab = browser.open(report_file, shots.DESKTOP)
    boxes = tab.evaluate(
        """[...document.querySelectorAll("#quality .grid2 > div")].map(d => {
            const r = d.getBoundingClientRect(); return [r.left, r.top, r.bottom];
        })"""
    )
    assert len(boxes) == 3
    columns: dict[float, list[list[float]]] = {}
    for left, top, bottom in boxes:
        columns.setdefault(round(left), []).append([top, bottom])
    assert len(columns) == 2
    heights = [max(b for _, b in col) - min(t for t, _ in col) for col in columns.values()]
    assert min(heights) > 0.5 * max(heights)  # balanced: not a tall table beside a short one
