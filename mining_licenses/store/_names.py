"""Snapshot file names: ``licenses_<UTC time>[-N].parquet``, and listing them in order."""

from __future__ import annotations

import datetime as dt
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
    if not folder.is_dir():
        return []
    named = [(m, p) for p in folder.iterdir() if (m := _NAME.match(p.name)) and p.is_file()]
    named.sort(key=lambda mp: (mp[0].group(1), int(mp[0].group(2) or 1)))
    return [p for _, p in named]
