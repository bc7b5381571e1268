"""`mining-licenses demo` end to end, through its installed entry point."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import polars as pl

from mining_licenses.store import list_snapshots, read_snapshot

ENTRY_POINT = Path(sys.executable).with_name("mining-licenses")


def test_demo_runs_end_to_end_and_leaves_nothing_running(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if k != "SECTORS_API_KEY"}
    result = subprocess.run(
        [str(ENTRY_POINT), "demo", "--out", str(out), "--latency", "0.005"],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "Pulled 4,200 of 4,200 licenses (verified complete)" in text
    # 4,200 records: 30, then 29 new ones a page (each repeats the record before it)
    assert "145 pages, 145 credits, 145 requests served" in text
    as_of = next(line for line in text.splitlines() if line.startswith("as of "))
    assert "source: API (replica) SYNTHETIC, saved as snapshot licenses_" in as_of
    assert "Totals" in text
    assert "Top companies" in text

    report = out / "report.html"
    assert str(report.resolve()) in text
    assert "SYNTHETIC" in report.read_text(encoding="utf-8").upper()

    listing = list_snapshots(out / "store")
    assert listing.height == 1
    row = listing.row(0, named=True)
    assert (row["source"], row["complete"], row["synthetic"], row["records"]) == (
        "replica",
        True,
        True,
        4200,
    )
    frame = read_snapshot(row["path"])
    assert isinstance(frame, pl.DataFrame)
    assert frame.height == 4200
    assert not list((out / "store" / "journal").rglob("*.json"))

    # The replica was on this port; it must be closed now.
    match = re.search(r"http://127\.0\.0\.1:(\d+)", text)
    assert match is not None
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", int(match.group(1)))) != 0
