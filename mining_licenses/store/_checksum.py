"""Snapshots that verify themselves: a SHA-256 of the whole file, kept in its footer.

Every GeoParquet file the package writes (snapshots, ``.parquet`` exports, the
bundled sample) carries one more footer entry, ``mining_licenses_checksum``:
``sha256:<data>:<footer>``, two SHA-256 digests in hex.

- ``<data>`` covers every byte before the footer: the data pages,
  dictionaries and page headers of every column.
- ``<footer>`` covers the footer (schema, row groups, statistics, the
  ``geo`` and provenance entries) and the 8 bytes after it, with this
  entry's own value read as a placeholder of zeros.

The file is written with the placeholder, then :func:`seal` computes both
digests and writes them over it in place (same length: nothing moves). On
read, :func:`check_footer` (cheap: the footer is a few kilobytes; the
listing does it) and :func:`check_data` (one pass over the file, before
polars decodes it: a damaged page can make a decoder allocate without bound
or abort) make any changed byte a :class:`SnapshotError` naming the
file, never different data. Parquet's own page CRCs would cover the data
pages only, not the footer or the page headers, and polars does not check
them. Files written before this entry existed have none: they read as
before, unverified, and say so (:class:`UnverifiedSnapshotWarning`, the
``checksum`` column of ``list_snapshots``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeVar

from mining_licenses._errors import SnapshotError
from mining_licenses._oserrors import reading
from mining_licenses.store._footer import Footer, entries_in, read_footer, read_metadata, varint

T = TypeVar("T")

#: Footer key of the checksum entry.
CHECKSUM_KEY: Final = b"mining_licenses_checksum"
_ALGORITHM: Final = "sha256"
_PLACEHOLDER: Final = f"{_ALGORITHM}:{'0' * 64}:{'0' * 64}".encode()
# The entry in Thrift's compact encoding, up to its value: key, then the value's length.
_ENTRY: Final = b"\x18" + varint(len(CHECKSUM_KEY)) + CHECKSUM_KEY + b"\x18"
_VALUE_START: Final = _ENTRY + varint(len(_PLACEHOLDER))
_VALUE: Final = re.compile(rb"sha256:([0-9a-f]{64}):([0-9a-f]{64})")
_CHUNK: Final = 1 << 20
#: Files verified whole by :func:`verify_once`, by path: (size, mtime, inode) when verified.
_verified: dict[str, tuple[int, int, int]] = {}
_VERIFIED_KEPT: Final = 20_000


@dataclasses.dataclass(frozen=True)
class Seal:
    """What a sealed snapshot's footer promises about the bytes before it."""

    data_digest: str
    data_length: int


def placeholder() -> dict[bytes, bytes]:
    """Return the footer entry a file is written with, before :func:`seal` fills it in."""
    return {CHECKSUM_KEY: _PLACEHOLDER}


def _damaged(path: Path, what: str) -> SnapshotError:
    msg = (
        f"Snapshot {path} is damaged: {what} (bytes changed on disk or in a copy). Its data "
        "cannot be trusted: restore the file from a backup, or delete it and pull again."
    )
    return SnapshotError(msg)


def _footer_digest(footer: Footer, value_at: int) -> str:
    blank = footer.raw[:value_at] + _PLACEHOLDER + footer.raw[value_at + len(_PLACEHOLDER) :]
    return hashlib.sha256(blank + footer.tail).hexdigest()


def data_digest(path: Path, length: int) -> str:
    """Return the SHA-256 (hex) of the first ``length`` bytes of ``path``."""
    digest = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as file:
        left = length
        while left > 0:
            got = file.readinto(view[: min(_CHUNK, left)])
            if not got:
                break
            digest.update(view[:got])  # the GIL is let go while hashing
            left -= got
    return digest.hexdigest()


def seal(path: Path) -> None:
    """Fill in the checksum entry of a file written with :func:`placeholder`'s entry."""
    footer = read_footer(path)
    at = -1 if footer is None else footer.raw.rfind(_VALUE_START + _PLACEHOLDER)
    if footer is None or at < 0:
        msg = f"{path} has no checksum placeholder to fill in"
        raise ValueError(msg)
    at += len(_VALUE_START)
    value = f"{_ALGORITHM}:{data_digest(path, footer.start)}:{_footer_digest(footer, at)}"
    with path.open("r+b") as file:
        file.seek(footer.start + at)
        file.write(value.encode())


def check_footer(path: Path, footer: Footer) -> Seal | None:
    """Check the footer against its checksum; return what the data must hash to.

    None when the file carries no checksum (written by an older version).

    Raises
    ------
    SnapshotError
        If the footer does not match its checksum, or the entry is malformed.
    """
    at = footer.raw.rfind(_ENTRY)
    if at < 0:
        return None
    if not footer.raw.startswith(_VALUE_START, at):
        raise _damaged(path, "its checksum entry is malformed")
    at += len(_VALUE_START)
    found = _VALUE.fullmatch(footer.raw[at : at + len(_PLACEHOLDER)])
    if found is None:
        raise _damaged(path, "its checksum entry is malformed")
    if _footer_digest(footer, at) != found[2].decode():
        raise _damaged(
            path, "its footer (schema, statistics, provenance) differs from its checksum"
        )
    return Seal(found[1].decode(), footer.start)


def check_data(path: Path, seal: Seal) -> None:
    """Raise SnapshotError unless the bytes before the footer hash to what the footer says."""
    with reading(path, what="the snapshot", error=SnapshotError, fix="List the store again."):
        digest = data_digest(path, seal.data_length)
    if digest != seal.data_digest:
        raise _damaged(path, "its data pages do not match its checksum")


def checked_metadata(path: Path) -> tuple[dict[bytes, bytes], Seal | None]:
    """Return a file's footer entries, the footer checked, and its :class:`Seal` (or None).

    Raises
    ------
    SnapshotError
        If the file is missing, unreadable, not Parquet, or its footer does
        not match its checksum.
    """
    footer = read_footer(path) if path.is_file() else None
    sealed = None if footer is None else check_footer(path, footer)
    entries = None if footer is None else entries_in(footer.raw)
    return (entries if entries is not None else read_metadata(path)), sealed


def verified(path: Path, seal: Seal | None, read: Callable[[], T]) -> T:
    """Return ``read()`` once the file's data is checked against ``seal`` (None: unchecked).

    The check comes first, not alongside: a damaged page can make the Parquet
    decoder ask for any amount of memory, or abort the process, before it
    notices anything wrong.
    """
    if seal is not None:
        check_data(path, seal)
    return read()


def verify_once(path: Path) -> bool:
    """Check a whole file against its checksum, once per process while it is unchanged.

    What :func:`~mining_licenses.store.history` does before a snapshot is
    scanned: a file whose size, modification time and inode are those it had
    when it was verified is not hashed again (snapshot files are never
    rewritten). Returns whether the file carries a checksum.

    Raises
    ------
    SnapshotError
        If the file is unreadable or any byte differs from what its checksum says.
    """
    with reading(path, what="the snapshot", error=SnapshotError, fix="List the store again."):
        st = path.stat()
    key = (st.st_size, st.st_mtime_ns, st.st_ino)
    if _verified.get(str(path)) == key:
        return True
    _, sealed = checked_metadata(path)
    if sealed is None:
        return False
    check_data(path, sealed)
    if len(_verified) >= _VERIFIED_KEPT:
        _verified.pop(next(iter(_verified)))
    _verified[str(path)] = key
    return True
