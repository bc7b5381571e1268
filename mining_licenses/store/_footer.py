"""Reading a snapshot's footer without pyarrow: its metadata entries and column types.

The read path of the store (``read_snapshot``, ``list_snapshots``,
``load_licenses``) imports only polars: a snapshot's two metadata entries are
found in the footer's bytes, its columns' types come from polars' schema
reader. pyarrow is imported only to explain a file that does not read cleanly.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import polars as pl

from mining_licenses import _terms
from mining_licenses import schema as s
from mining_licenses._errors import SnapshotError
from mining_licenses._oserrors import not_a_file, read_error

GEO_KEY: Final = b"geo"
#: File-metadata key of the package's provenance block (JSON).
META_KEY: Final = b"mining_licenses"


def encode_json(value: Mapping[str, Any]) -> bytes:
    """Compact, key-sorted JSON: the same value always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
        value >>= 7
        if not value:
            return bytes(out)


# A footer key-value entry in Thrift's compact encoding: 0x18 (field 1, binary), the
# key's length and bytes, 0x18 (field 2, binary), the value's length and bytes, 0x00.
_ENTRIES: Final = {key: b"\x18" + varint(len(key)) + key + b"\x18" for key in (META_KEY, GEO_KEY)}
_MAGIC: Final = b"PAR1"
_WHAT: Final = "the snapshot"


@dataclasses.dataclass(frozen=True)
class Footer:
    """The footer of a Parquet file: its bytes, where it starts, and the 8 bytes after it."""

    raw: bytes
    start: int  # the file's offset of the footer: the length of everything before it
    tail: bytes  # the footer's length and ``PAR1``


def read_footer(path: Path) -> Footer | None:
    """Return the footer of a Parquet file, or None when the file does not end like one."""
    try:
        with path.open("rb") as file:
            file.seek(0, os.SEEK_END)
            if file.tell() < 12:
                return None
            file.seek(-8, os.SEEK_END)
            tail = file.read(8)
            size = int.from_bytes(tail[:4], "little")
            if tail[4:] != _MAGIC or size + 8 > file.tell():
                return None
            start = file.seek(-8 - size, os.SEEK_END)
            return Footer(file.read(size), start, tail)
    except OSError:
        return None


def entries_in(footer: bytes) -> dict[bytes, bytes] | None:
    """Return the provenance and ``geo`` entries found in a footer's bytes, or None."""
    entries = {}
    for key, prefix in _ENTRIES.items():
        at = footer.rfind(prefix)  # the entries follow the row groups: the last match
        if at < 0:
            return None
        length, shift, at = 0, 0, at + len(prefix)
        while at < len(footer) and shift < 35:
            length |= (footer[at] & 0x7F) << shift
            shift, at = shift + 7, at + 1
            if not footer[at - 1] & 0x80:
                break
        end = at + length
        if end >= len(footer) or footer[end] != 0:  # the entry's stop byte
            return None
        entries[key] = footer[at:end]
    return entries


def footer_entries(path: Path) -> dict[bytes, bytes] | None:
    """Return the provenance and ``geo`` entries of a snapshot's footer, or None.

    A Parquet file ends with its footer, the footer's length and ``PAR1``.
    Reading those bytes and finding the two entries in them takes a tenth of
    the time of parsing the whole footer (row groups, statistics) with
    pyarrow, which matters for a store of a thousand snapshots. Anything
    unexpected returns None, and the caller reads the footer with pyarrow.
    """
    footer = read_footer(path)
    return None if footer is None else entries_in(footer.raw)


def read_metadata(path: Path) -> dict[bytes, bytes]:
    """Return the key-value metadata of a snapshot's footer (the ``geo`` and provenance entries).

    Raises
    ------
    SnapshotError
        If the file is missing, unreadable, truncated or not Parquet.
    """
    listing = _terms.pick("list_snapshots()", "mining-licenses snapshots")
    fix = f"List the store with {listing}."
    if not path.is_file():
        raise not_a_file(path, what=_WHAT, error=SnapshotError, fix=fix)
    entries = footer_entries(path)
    if entries is not None:
        return entries
    import pyarrow as pa  # the slow, thorough reader: it says what is wrong
    import pyarrow.parquet as pq

    try:
        footer = pq.read_metadata(path)
    except (OSError, pa.ArrowException) as err:
        mapped = read_error(err, path, what=_WHAT, error=SnapshotError, fix=fix)
        if mapped is not None:  # the system refused (vanished, a folder, no permission)
            raise mapped from err
        msg = (
            f"Snapshot {path} is not a readable Parquet file ({err}). It may be truncated "
            "(an interrupted copy) or not Parquet at all: delete it or restore it."
        )
        raise SnapshotError(msg) from err
    return dict(footer.metadata or {})


def check_geo(path: Path, metadata: Mapping[bytes, bytes]) -> dict[str, Any]:
    """Return the ``geo`` metadata of ``path`` after checking what the reader relies on."""
    raw = metadata.get(GEO_KEY)
    if raw is None:
        msg = (
            f"Snapshot {path} is Parquet but not GeoParquet (no 'geo' metadata); "
            "snapshots are written by write_snapshot()."
        )
        raise SnapshotError(msg)
    try:
        geo = json.loads(raw)
        column = geo["columns"][geo["primary_column"]]
        encoding = column["encoding"]
    except (ValueError, KeyError, TypeError) as err:
        msg = f"Snapshot {path} has malformed 'geo' metadata ({err!r})."
        raise SnapshotError(msg) from err
    if geo["primary_column"] != s.GEOMETRY or encoding != "WKB":
        msg = (
            f"Snapshot {path} stores its geometry as {geo['primary_column']!r} in "
            f"{encoding!r}; expected {s.GEOMETRY!r} in WKB."
        )
        raise SnapshotError(msg)
    return dict(geo)


def check_columns(path: Path, columns: list[str]) -> None:
    """Raise SnapshotError unless ``columns`` exist in the file with castable types."""
    try:
        schema = pl.read_parquet_schema(path)
    except (pl.exceptions.PolarsError, OSError) as err:
        msg = f"Snapshot {path} has an unreadable schema ({type(err).__name__}: {err})."
        raise SnapshotError(msg) from err
    missing = [c for c in columns if c not in schema]
    if missing:
        msg = (
            f"Snapshot {path} lacks the column(s) {', '.join(missing)}: it was not written "
            "by this package's write_snapshot() or comes from an incompatible schema."
        )
        raise SnapshotError(msg)
    wrong = [
        f"{c} is {schema[c]}, expected {s.COLUMNS[c]}"
        for c in columns
        if not _same_kind(schema[c], s.COLUMNS[c])
    ]
    if wrong:
        msg = f"Snapshot {path} has columns of the wrong type: {'; '.join(wrong)}."
        raise SnapshotError(msg)


def _same_kind(actual: pl.DataType, expected: pl.DataType) -> bool:
    """Tell whether ``actual`` reads as ``expected`` (a UTC time stored with another unit too)."""
    if isinstance(expected, pl.Datetime):
        return isinstance(actual, pl.Datetime) and actual.time_zone == expected.time_zone
    return bool(actual == expected)
