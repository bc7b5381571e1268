"""The installed ``mining-licenses`` entry point, run as a user runs it (no API key)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ENTRY_POINT = Path(sys.executable).with_name("mining-licenses")


def run(*args: str, store: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command with ``args``; ``store`` as ``MINING_LICENSES_DATA``; no key set."""
    if not ENTRY_POINT.exists():
        pytest.fail(f"{ENTRY_POINT} is missing: install the package (pip install -e .)")
    env = {k: v for k, v in os.environ.items() if k != "SECTORS_API_KEY"}
    if store is not None:
        env["MINING_LICENSES_DATA"] = str(store)
    return subprocess.run(
        [str(ENTRY_POINT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
