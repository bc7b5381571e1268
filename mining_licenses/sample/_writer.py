"""The writer of the bundled sample snapshot (``data/sample/``, ``make sample``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl

from mining_licenses._atomic import write_atomic
from mining_licenses._errors import SnapshotError
from mining_licenses._redact import get_logger
from mining_licenses.normalize import normalize_records
from mining_licenses.sample._generate import SAMPLE_FETCHED_AT, generate_records
from mining_licenses.store._footer import META_KEY, read_metadata
from mining_licenses.store._geoparquet import to_parts, write_table
from mining_licenses.store._names import snapshot_files, snapshot_stem
from mining_licenses.store._provenance import SnapshotMeta, file_metadata, resolve_meta

logger = get_logger(__name__)


def _is_sample(path: Path) -> bool:
    try:
        metadata = read_metadata(path)
        return bool(json.loads(metadata[META_KEY]).get("source") == "sample")
    except (SnapshotError, KeyError, ValueError):
        return False


def sample_snapshot_frame() -> tuple[pl.DataFrame, SnapshotMeta]:
    """Return the frame and provenance the bundled sample snapshot is written from."""
    frame = normalize_records(generate_records(), fetched_at=SAMPLE_FETCHED_AT)
    meta = SnapshotMeta(
        source="sample",
        fetched_at=SAMPLE_FETCHED_AT,
        total_count=frame.height,
        complete=True,
        synthetic=True,
    )
    return frame, meta


def write_sample(folder: str | os.PathLike[str]) -> Path:
    """(Re)write the bundled sample snapshot into ``folder``; byte-identical on a rerun.

    Older sample snapshots in ``folder`` are removed; other files are left alone.

    Examples
    --------
    >>> import tempfile
    >>> write_sample(tempfile.mkdtemp()).name
    'licenses_20261101T060000Z.parquet'
    """
    frame, meta = sample_snapshot_frame()
    info = resolve_meta(meta, frame)
    parts, geo = to_parts(frame)
    target_folder = Path(folder)
    target = target_folder / f"{snapshot_stem(info.fetched_at)}.parquet"
    write_atomic(
        target, lambda temp: write_table(parts, temp, file_metadata(info, geo)), overwrite=True
    )
    for old in snapshot_files(target_folder):
        if old != target and _is_sample(old):
            old.unlink()
    logger.info("Wrote the sample snapshot %s (%d records)", target, frame.height)
    return target
