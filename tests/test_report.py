"""The HTML report: every section, embedded images, no network, escaping, synthetic banner."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import shutil
import subprocess
import sys
import warnings
from html.parser import HTMLParser

import polars as pl
import pytest

from mining_licenses import analytics as an
from mining_licenses import schema as s
from mining_licenses._errors import SyntheticDataWarning
from mining_licenses.geo import to_geodataframe
from mining_licenses.loader import load_licenses
from mining_licenses.report import SECTION_IDS, SYNTHETIC_BANNER_ID, render_report, write_report

BANNER = f'id="{SYNTHETIC_BANNER_ID}"'
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
IMAGE = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticDataWarning)
        frame = load_licenses(source="sample", as_="polars")
    assert isinstance(frame, pl.DataFrame)
    return frame


@pytest.fixture(scope="module")
def page(sample) -> str:
    return render_report(sample)


@pytest.fixture(scope="module")
def small(sample) -> pl.DataFrame:
    """Eighty licenses of the sample, restamped so they no longer look like the sample."""
    stamp = dt.datetime(2026, 2, 3, 4, 5, tzinfo=dt.UTC)
    return sample.head(80).with_columns(pl.lit(stamp).alias(s.FETCHED_AT))


class _Checker(HTMLParser):
    """Check that every element is closed in order; collect ids, src and href values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id":
                self.ids.append(value or "")
            if name in ("src", "href", "action", "poster", "data"):
                self.links.append((name, value or ""))
        if tag not in VOID:
            self.stack.append(tag)

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


def test_page_is_well_formed_and_has_every_section(page):
    checker = check(page)
    assert checker.errors == []
    assert checker.stack == []
    assert page.startswith("<!DOCTYPE html>")
    assert [checker.tags.count(t) for t in ("html", "head", "body", "title")] == [1, 1, 1, 1]
    sections = [i for i in checker.ids if i in SECTION_IDS]
    assert sections == list(SECTION_IDS)
    assert len(set(checker.ids)) == len(checker.ids)  # ids are unique
    internal = [v for name, v in checker.links if name == "href"]
    assert internal == [f"#{i}" for i in SECTION_IDS]  # the table of contents, and no other link


def test_charts_are_embedded_pngs(page):
    images = IMAGE.findall(page)
    assert len(images) >= 5
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.count("<img ") == len(images)
    assert all('alt="' in tag for tag in re.findall(r"<img [^>]*>", page))


def test_no_external_resources(page):
    checker = check(page)
    for name, value in checker.links:
        assert value.startswith(("#", "data:")), (name, value[:60])
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
    assert expiring.count("<tr>") == soon.height + 1  # plus the header row
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


def test_synthetic_banner_for_the_sample_only(sample, small, page):
    assert BANNER in page
    assert page.count(BANNER) == 1
    part = sample.head(80)  # still stamped as the sample
    assert BANNER in render_report(part)
    assert BANNER not in render_report(part, meta={"synthetic": False, "source": "api"})
    assert BANNER not in render_report(small)
    assert BANNER in render_report(small, meta={"synthetic": True})
    assert BANNER in render_report(small, meta={"source": "sample"})


def test_everything_is_escaped_and_credentials_never_shown(small):
    hostile = "<script>alert('x')</script> & Sons"
    frame = small.with_columns(
        pl.lit(hostile).alias(s.COMPANY_NAME), pl.lit("Riau <b>").alias(s.PROVINCE)
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
    }
    page = render_report(frame, meta=meta)
    assert check(page).errors == []
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Sons" in page
    assert "Riau &lt;b&gt;" in page
    assert "&lt;i&gt;hand-made&lt;/i&gt;" in page
    assert "SECRET" not in page
    provenance = section(page, "provenance")
    for shown in ("API base URL", "https://api.sectors.app", "province=Riau", "12,345", "412"):
        assert shown in provenance
    assert "2026-02-03 04:05:00 UTC" in provenance
    assert "<dt>Sweep verified complete</dt><dd>yes</dd>" in provenance
    assert "<dt>Synthetic data</dt><dd>no</dd>" in provenance


def test_snapshot_meta_is_accepted_as_it_is_stored(small):
    from mining_licenses.store import bundled_sample_path, read_snapshot_meta

    meta = read_snapshot_meta(bundled_sample_path())
    page = render_report(small, meta=meta)
    assert BANNER in page  # the stored meta says synthetic
    provenance = section(page, "provenance")
    assert "<dt>Source</dt><dd>sample</dd>" in provenance
    assert "<dt>Credits spent</dt>" in provenance
    assert f"<dd>{meta.total_count:,}</dd>" in provenance


def test_write_report_and_geodataframe_input(small, tmp_path):
    out = write_report(to_geodataframe(small), tmp_path / "nested" / "report.html")
    assert out == tmp_path / "nested" / "report.html"
    text = out.read_text(encoding="utf-8")
    assert all(f'id="{i}"' in text for i in SECTION_IDS)
    assert len(IMAGE.findall(text)) >= 5


def test_without_matplotlib_the_report_says_so(small, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    page = render_report(small)
    assert IMAGE.findall(page) == []
    assert page.count("Chart not drawn") == 5
    assert "pip install &#x27;mining-licenses[viz]&#x27;" in page
    assert all(f'id="{i}"' in page for i in SECTION_IDS)


def test_empty_frame_gives_a_complete_page():
    page = render_report(s.empty_frame(), as_of="2026-01-01")
    assert check(page).errors == []
    assert all(f'id="{i}"' in page for i in SECTION_IDS)
    assert '<div class="value">0</div>' in section(page, "headline")
    assert BANNER not in page


def _chromium() -> str | None:
    return next((p for n in ("chromium", "chromium-browser") if (p := shutil.which(n))), None)


@pytest.mark.chromium
@pytest.mark.skipif(
    _chromium() is None, reason="Chromium is not installed (Debian: apt-get install chromium)"
)
def test_report_renders_in_headless_chromium(page, tmp_path):
    browser = _chromium()
    assert browser is not None
    from PIL import Image

    html_file = tmp_path / "report.html"
    html_file.write_text(page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        html_file.as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    image = Image.open(io.BytesIO(shot.read_bytes())).convert("RGB")
    assert image.size == (1280, 2000)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None
    assert len(colours) > 500  # text, charts and cards, not a blank page
    white = max(count for count, rgb in colours if rgb == (255, 255, 255))
    assert white < 0.9 * image.width * image.height
    assert any(rgb == (0xFF, 0xF4, 0xD6) for _, rgb in colours)  # the synthetic banner drew
