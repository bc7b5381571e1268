"""Snapshot file names: ``licenses_<UTC time>[-N].parquet``, and listing them in order."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Final

# ------------------------------------------------------------ file names
PREFIX: Final = "licenses_"
_NAME: Final = re.compile(r"^licenses_(\d{8}T\d{6}Z)(?:-(\d+))?\.parquet$")


def snapshot_stem(fetched_at: dt.datetime | None) -> str:
    """Return the file stem of a snapshot fetched at ``fetched_at`` (UTC)."""
    when = fetched_at or dt.datetime.now(dt.UTC)
    return f"{PREFIX}{when:%Y%m%dT%H%M%SZ}"


def snapshot_files(folder: Path) -> list[Path]:
    """Return the snapshot files of ``folder``, oldest name first (temporary files never match)."""
    return [Path(p) for p in snapshot_paths(folder)]


def snapshot_paths(folder: Path) -> list[str]:
    """Return what :func:`snapshot_files` does, as strings (for listing many fast)."""
    if not folder.is_dir():
        return []
    with os.scandir(folder) as entries:  # the entry's type from the folder: no stat a file
        named = [(m, e.path) for e in entries if (m := _NAME.match(e.name)) and e.is_file()]
    named.sort(key=lambda mn: (mn[0].group(1), int(mn[0].group(2) or 1)))
    return [path for _, path in named]
