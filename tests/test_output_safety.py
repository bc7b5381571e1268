"""Invariant 5 (HTML and the terminal): values are safe where they land.

Hostile field values (an ``<img onerror>`` and a ``<script>`` in company
names, license numbers and cities; ANSI escapes, BEL, backspace, CR, C1
controls and a bidi override) go through the folium map, the HTML report and
every command that prints. The map and the report show them as text; the
terminal sees visible stand-ins, never the control characters themselves.
(CSV outputs are neutralised by the store's writer, tested with it.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mining_licenses import schema as s
from mining_licenses.cli._terminal import visible, visible_cells
from mining_licenses.store import bundled_sample_path, read_snapshot, write_snapshot

ENTRY_POINT = Path(sys.executable).with_name("mining-licenses")
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
#: Every kind of character a terminal obeys rather than shows.
TERMINAL = "\x1b[2J\x1b]0;owned\x07PT Evil\x08\x08\rRED\x9b31m\u202egninraw\x00"
#: What must never reach a terminal: C0 controls but line feed and tab, DEL, C1, bidi controls.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)


@pytest.fixture(scope="module")
def hostile() -> pl.DataFrame:
    """The sample's first 200 licenses, their text fields replaced by attacks."""
    frame = read_snapshot(bundled_sample_path()).head(120)
    i = pl.int_range(pl.len())
    return frame.with_columns(
        pl.when(i % 2 == 0).then(pl.lit(IMG)).otherwise(pl.lit(TERMINAL)).alias(s.COMPANY_NAME),
        pl.lit(IMG + TERMINAL).alias(s.LICENSE_NUMBER),
        pl.lit(SCRIPT).alias(s.CITY),
        pl.when(i % 3 == 0).then(pl.lit(SCRIPT)).otherwise(pl.col(s.COMMODITY)).alias(s.COMMODITY),
    )


@pytest.fixture(scope="module")
def store(hostile: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store (its folder name itself hostile) with two snapshots that differ in company names."""
    folder = tmp_path_factory.mktemp("safety") / "store\x1b[31m\u202e"
    meta = {"source": "api", "complete": True}
    older = hostile.with_columns(pl.lit("PT Plain").alias(s.COMPANY_NAME))
    write_snapshot(older, store=folder, meta=meta)
    later = hostile.with_columns(pl.col(s.FETCHED_AT).dt.offset_by("1d"))
    write_snapshot(later, store=folder, meta=meta)
    return folder


# ----------------------------------------------------------------- the map


def _map_properties(page: str) -> list[dict[str, object]]:
    """The properties of every feature folium put in the page's GeoJSON."""
    found = []
    for match in re.finditer(r'"features": (\[.*?\]), "type": "FeatureCollection"', page):
        found += [f["properties"] for f in json.loads(match.group(1))]
    return found


def test_map_tooltips_and_popups_show_field_values_as_text(hostile: pl.DataFrame) -> None:
    """Issue 16: the folium tooltip rendered field values as live HTML."""
    pytest.importorskip("folium")
    from mining_licenses.geo import to_geodataframe
    from mining_licenses.plots import explore

    for frame in (hostile, to_geodataframe(hostile)):
        page = explore(frame, tiles=None, popup=True).get_root().render()
        properties = _map_properties(page)
        assert len(properties) > 60
        texts = [str(v) for p in properties for v in p.values() if isinstance(v, str)]
        assert not [t for t in texts if "<" in t or ">" in t], "unescaped HTML in a feature"
        names = {p[s.COMPANY_NAME] for p in properties}
        assert "&lt;img src=x onerror=alert(1)&gt;" in names  # shown as the text it is
        # the tooltip and popup templates insert values as HTML: only escaped ones reach them
        assert ".bindTooltip(" in page
        assert ".bindPopup(" in page
        assert IMG not in page
        assert "<script>alert" not in page


def test_report_shows_hostile_values_as_text(hostile: pl.DataFrame) -> None:
    from mining_licenses.report import render_report

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        page = render_report(hostile.head(30), as_of="2026-11-01")
    assert IMG not in page
    assert "<script>alert" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page


# ------------------------------------------------------------ the terminal


def _run(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SECTORS_API_KEY"}
    env["MINING_LICENSES_DATA"] = str(store)
    return subprocess.run(
        [str(ENTRY_POINT), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["summary", "--source", "snapshot", "--top", "3"],
        ["expiring", "--source", "snapshot", "--limit", "5", "--within-days", "3650"],
        ["diff", "--limit", "5"],
        ["snapshots"],
        ["report", "--snapshot", "gone\x1b[2J\x07\u202e.parquet"],  # an error naming the file
        ["summary", "--source", "snapshot", "--province", "Riau\x1b[31m"],  # a refused filter
    ],
    ids=["summary", "expiring", "diff", "snapshots", "error", "filter"],
)
def test_what_the_cli_prints_holds_no_control_character(argv: list[str], store: Path) -> None:
    """Issue 16: ANSI escape and BEL bytes in fields reached the terminal through the CLI."""
    result = _run(*argv, store=store)
    assert "Traceback" not in result.stderr
    for stream in (result.stdout, result.stderr):
        bad = sorted({f"U+{ord(c):04X}" for c in FORBIDDEN.findall(stream)})
        assert not bad, f"{argv[0]} printed {bad}"
    if argv[0] in ("summary", "expiring", "diff") and result.returncode == 0:
        assert "\u241b[2J" in result.stdout  # ESC shown as ␛, the rest as text
    if argv[-1] == "snapshots":
        assert "store\u241b[31m\ufffd" in result.stdout  # the folder's name, made visible
    if argv[0] == "report":
        assert result.returncode == 2
        assert "gone\u241b[2J\u2407\ufffd.parquet" in result.stderr


_ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=200, deadline=None, database=None)
@given(text=_ANY_TEXT)
def test_visible_leaves_nothing_a_terminal_obeys_and_keeps_the_rest(text: str) -> None:
    shown = visible(text)
    assert not FORBIDDEN.search(shown)
    assert len(shown) == len(text)  # one stand-in per character: columns stay aligned
    for before, after in zip(text, shown, strict=True):
        assert before == after or FORBIDDEN.match(before)
    cell = visible_cells(pl.DataFrame({"a": [text], "b": [[text]]}))
    assert "\n" not in cell["a"].item()
    assert not FORBIDDEN.search(cell["a"].item() + cell["b"].item()[0])
