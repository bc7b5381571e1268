"""CSV outputs are safe where they land: formulas neutralised (OWASP), numbers untouched.

Why (issue 16, "Output injection", the CSV part): CSV exports, ``expiring
--csv``, ``diff --csv`` and the report's CSV downloads passed spreadsheet
formulas through (``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM(...)``). Every CSV
the package writes goes through ``_csv.csv_frame``.
"""

from __future__ import annotations

import base64
import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mining_licenses import schema as s
from mining_licenses._csv import FORMULA_PREFIXES, csv_frame, csv_text
from mining_licenses.cli._tables import csv_ready
from mining_licenses.report._parts import csv_download
from mining_licenses.store import bundled_sample_path, export, read_snapshot, write_snapshot

ENTRY_POINT = Path(sys.executable).with_name("mining-licenses")
HOSTILE = (
    '=HYPERLINK("http://x","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
)


def hostile_frame() -> pl.DataFrame:
    """Six licenses of the sample whose company names and codes are formulas; areas negative."""
    frame = read_snapshot(bundled_sample_path()).head(len(HOSTILE))
    return frame.with_columns(
        pl.Series(s.COMPANY_NAME, HOSTILE),
        pl.Series(s.LICENSE_NUMBER, [f"={i}+{i}" for i in range(len(HOSTILE))]),
        (-pl.col(s.AREA_HA)).alias(s.AREA_HA),
    )


def cells(text: str, column: str) -> list[str]:
    return [row[column] for row in csv.DictReader(io.StringIO(text))]


def assert_neutral(values: list[str]) -> None:
    for value in values:
        assert not value.startswith(FORMULA_PREFIXES), repr(value)


def test_every_formula_prefix_gets_a_quote_and_numbers_stay() -> None:
    frame = hostile_frame()
    text = csv_text(frame)
    names = cells(text, s.COMPANY_NAME)
    assert names == ["'" + value for value in HOSTILE]
    assert_neutral(cells(text, s.LICENSE_NUMBER))
    areas = [float(v) for v in cells(text, s.AREA_HA)]
    assert areas == frame[s.AREA_HA].to_list()  # negative numbers are numbers, untouched
    assert all(a < 0 for a in areas)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=8))
def test_no_text_cell_ever_starts_like_a_formula(values: list[str]) -> None:
    frame = pl.DataFrame({"text": values, "listed": [[v, "x"] for v in values]})
    flat = csv_frame(frame)
    for column in ("text", "listed"):
        assert_neutral(flat[column].to_list())
    kept = [v[1:] if v.startswith("'") and v[1:2] in FORMULA_PREFIXES else v for v in flat["text"]]
    assert kept == values  # only the quote was added
    assert csv_frame(frame, safe=False)["text"].to_list() == values  # the opt-out


def test_export_csv_is_neutralised_unless_asked_raw(tmp_path: Path) -> None:
    frame = hostile_frame()
    safe = export(frame, tmp_path / "safe.csv", meta={"source": "sample"})
    assert cells(safe.read_bytes().decode(), s.COMPANY_NAME) == ["'" + v for v in HOSTILE]
    raw = export(frame, tmp_path / "raw.csv", meta={"source": "sample"}, csv_safe=False)
    assert cells(raw.read_bytes().decode(), s.COMPANY_NAME) == list(HOSTILE)


def test_report_downloads_and_cli_tables_use_the_one_writer() -> None:
    frame = hostile_frame()
    download = csv_download(frame, "expiring.csv")
    text = base64.b64decode(download.href.split(",", 1)[1]).decode()
    assert cells(text, s.COMPANY_NAME) == ["'" + v for v in HOSTILE]
    assert csv_ready(frame)[s.COMPANY_NAME].to_list() == ["'" + v for v in HOSTILE]


def _cli(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MINING_LICENSES_DATA": str(store)}
    return subprocess.run(
        [str(ENTRY_POINT), *args], capture_output=True, text=True, env=env, timeout=240, check=False
    )


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two complete snapshots of the sample, the newer with hostile names (and a far expiry)."""
    store = tmp_path_factory.mktemp("hostile")
    sample = read_snapshot(bundled_sample_path())
    write_snapshot(sample, store=store, meta={"source": "api", "complete": True})
    names = pl.Series(s.COMPANY_NAME, [HOSTILE[i % len(HOSTILE)] for i in range(sample.height)])
    newer = sample.with_columns(
        names, pl.col(s.FETCHED_AT).dt.offset_by("1d"), (-pl.col(s.AREA_HA)).alias(s.AREA_HA)
    )
    write_snapshot(newer, store=store, meta={"source": "api", "complete": True})
    return store


def test_expiring_and_diff_csv_through_the_cli(hostile_store: Path, tmp_path: Path) -> None:
    soon, changes = tmp_path / "soon.csv", tmp_path / "changes.csv"
    done = _cli("expiring", "--source", "snapshot", "--csv", str(soon), store=hostile_store)
    assert done.returncode == 0, done.stderr
    names = cells(soon.read_bytes().decode(), s.COMPANY_NAME)
    assert names
    assert all(n.startswith("'") for n in names)
    assert_neutral(names)
    assert all(float(a) < 0 for a in cells(soon.read_bytes().decode(), s.AREA_HA))
    done = _cli("diff", "--csv", str(changes), store=hostile_store)
    assert done.returncode == 0, done.stderr
    new_values = cells(changes.read_bytes().decode(), "new")
    assert any(v.startswith("'=HYPERLINK") for v in new_values)
    assert_neutral(new_values)
    raw = tmp_path / "raw.csv"
    done = _cli("diff", "--csv", str(raw), "--raw-csv", store=hostile_store)
    assert done.returncode == 0, done.stderr
    assert '=HYPERLINK("http://x","click")' in cells(raw.read_bytes().decode(), "new")


def test_screen_results_use_the_one_writer(tmp_path: Path) -> None:
    from mining_licenses.store import SnapshotMeta, sidecar_path, write_result

    out = write_result(hostile_frame(), tmp_path / "rows.csv", meta=SnapshotMeta(), details={})
    assert cells(out.read_bytes().decode(), s.COMPANY_NAME) == ["'" + v for v in HOSTILE]
    assert sidecar_path(out).exists()
