"""The files the command line writes: checked before any work, published with their sidecars.

Every ``--csv``, ``--json``, ``--out`` and export path goes through here:
:func:`check_outputs` runs first in a command, so a file that exists (without
``--overwrite``), a folder given as a file, or a folder that cannot be
written is an error before any data is loaded or any credit spent; then
:func:`write_with_sidecar` publishes the result and its provenance together
(``_atomic.write_together``) through the package's one CSV writer.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import polars as pl

from mining_licenses import _csv as csv
from mining_licenses._atomic import check_writable, write_together
from mining_licenses.store import SnapshotMeta, sidecar_path
from mining_licenses.store._provenance import sidecar_bytes

#: Outputs written with a ``.provenance.json`` sidecar (the others carry it inside).
_SIDECAR_SUFFIXES = (".csv", ".json", ".geojson")


def check_outputs(args: argparse.Namespace, *names: str, sidecar: bool = True) -> None:
    """Check that the files named by the options ``names`` can be written; raise if not.

    ``-`` (stdout) and options not given are skipped; with ``sidecar``, a CSV
    or JSON file has its ``.provenance.json`` checked too.
    """
    overwrite = bool(getattr(args, "overwrite", False))
    for name in names:
        path = getattr(args, name, None)
        if path is None or str(path) == "-":
            continue
        check_writable(path, overwrite=overwrite)
        if sidecar and (name in ("csv", "json") or Path(path).suffix.lower() in _SIDECAR_SUFFIXES):
            check_writable(sidecar_path(path), overwrite=overwrite)


def write_with_sidecar(
    frame: pl.DataFrame,
    path: Path,
    meta: SnapshotMeta,
    *,
    as_of: dt.date | None = None,
    as_json: bool = False,
    overwrite: bool = False,
    csv_safe: bool = True,
) -> Path:
    """Write a CSV (or JSON) result and its provenance next to it, both or neither.

    ``as_of``: the day the answer is as of, written into the sidecar too.
    """
    info = SnapshotMeta.from_json({**meta.to_json(), "records": frame.height})

    def write(temp: Path) -> None:
        if as_json:
            frame.write_json(temp)
        else:
            csv.write_csv(frame, temp, safe=csv_safe)

    write_together(
        [(path, write), (sidecar_path(path), sidecar_bytes(path, info, as_of=as_of))],
        overwrite=overwrite,
    )
    return path


def write_text_with_sidecar(
    text: str, path: Path, meta: SnapshotMeta, *, overwrite: bool = False
) -> Path:
    """Write a text file (``sample --json``) and its provenance next to it, both or neither."""
    write_together(
        [(path, text.encode("utf-8")), (sidecar_path(path), sidecar_bytes(path, meta))],
        overwrite=overwrite,
    )
    return path
