"""The mining-licenses command, run through its installed entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ENTRY_POINT = Path(sys.executable).with_name("mining-licenses")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    if not ENTRY_POINT.exists():
        pytest.fail(f"{ENTRY_POINT} is missing: install the package (pip install -e .)")
    env = {k: v for k, v in os.environ.items() if k != "SECTORS_API_KEY"}
    return subprocess.run(
        [str(ENTRY_POINT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("mining-licenses ")


def test_summary_on_the_sample() -> None:
    result = run("summary", "--source", "sample", "--commodity-type", "coal")
    assert result.returncode == 0, result.stderr
    assert "SyntheticDataWarning" in result.stderr
    assert "licenses" in result.stdout
    assert "Coal" in result.stdout


def test_bad_filter_value_is_a_one_line_error() -> None:
    result = run("summary", "--source", "sample", "--province", "Atlantis")
    assert result.returncode == 2
    assert result.stderr.startswith("error: Filter province='Atlantis'")
    assert "Kalimantan Timur" in result.stderr
    assert "Traceback" not in result.stderr
