"""The resume journal: each page of a sweep kept on disk the moment it arrives.

A journal is one folder named by a hash of what identifies a sweep (base URL,
endpoint, filters, ``order_by``, page size), never the API key. It holds
``sweep.json`` (that identity and when the journal was started, written
atomically once) and ``pages.log``, one append-only file of frames, one frame
a page: a header line ``PAGE <offset> <length> <crc32 in hex>``, the body as
received, and a newline.

Each frame goes to the kernel in one ``write`` on a file opened for appending,
so a killed process loses at most the pages still in flight: a frame is in the
file whole once its ``write`` returned, and the page cache outlives the
process. A process killed in the middle of a ``write`` leaves a torn last
frame; its length and checksum give it away, and reading stops there (the
torn tail is cut off before anything is appended again), so half a page is
never replayed. The file is fsynced once per batch of pages (not per page):
a power loss may lose the newest pages, which then cost a credit again.

A rerun with the same identity reads the pages back instead of paying for
them again; a page that cannot be used (damaged, or refused by the same
checks as a live page) is dropped from the file, never replayed forever.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import threading
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from mining_licenses._atomic import check_writable_folder, write_atomic
from mining_licenses._errors import ConfigurationError, MiningLicensesError
from mining_licenses._oserrors import unreadable
from mining_licenses._redact import get_logger
from mining_licenses._wire import query_digest

logger = get_logger(__name__)

_META: Final = "sweep.json"
#: The append-only file of page frames inside a journal folder.
LOG_NAME: Final = "pages.log"
_CREATED: Final = "created_at"
_IDENTITY: Final = "identity"
_HEADER: Final = re.compile(rb"PAGE (\d{1,12}) (\d{1,10}) ([0-9a-f]{8})\n")
_MAX_HEADER: Final = 48
_CRC_PIECE: Final = 4096


def _append(fd: int, parts: list[bytes]) -> None:
    """Write one whole frame in one system call (a loop only if the kernel takes part of it)."""
    if hasattr(os, "writev"):  # not on Windows
        written = os.writev(fd, parts)
        if written == sum(map(len, parts)):
            return
        left = b"".join(parts)[written:]
    else:
        left = b"".join(parts)
    while left:
        left = left[os.write(fd, left) :]


def _crc32(data: bytes) -> int:
    """Return the CRC-32 of ``data``, in pieces small enough that the GIL is kept.

    zlib (and binascii) let the GIL go for buffers above 5 KiB: with several
    threads, a switch of threads per page.
    """
    view, crc = memoryview(data), 0
    for start in range(0, len(view), _CRC_PIECE):
        crc = zlib.crc32(view[start : start + _CRC_PIECE], crc)
    return crc


def _header(offset: int, raw: bytes) -> bytes:
    return b"PAGE %d %d %08x\n" % (offset, len(raw), _crc32(raw))


def frame(offset: int, raw: bytes) -> bytes:
    r"""Return the journal frame of the page at ``offset`` whose body is ``raw``.

    Examples
    --------
    >>> frame(30, b"{}")
    b'PAGE 30 2 a3a6bf43\n{}\n'
    """
    return _header(offset, raw) + raw + b"\n"


def read_frames(data: bytes) -> tuple[list[tuple[int, bytes | None]], int]:
    """Return the frames in ``data`` as ``(offset, body)`` and where the whole ones end.

    A frame whose header and length are whole but whose checksum is wrong has
    ``None`` as its body (it is dropped); a frame cut short, or a header that
    cannot be read, ends the reading: what follows is a torn tail.

    Examples
    --------
    >>> read_frames(frame(0, b"{}") + frame(30, b"[]")[:-3])
    ([(0, b'{}')], 21)
    """
    frames: list[tuple[int, bytes | None]] = []
    at = 0
    while at < len(data):
        header = _HEADER.match(data, at, min(at + _MAX_HEADER, len(data)))
        if header is None:
            break
        start = header.end()
        end = start + int(header[2])
        if end + 1 > len(data) or data[end : end + 1] != b"\n":
            break
        body = data[start:end]
        whole = _crc32(body) == int(header[3], 16)
        frames.append((int(header[1]), body if whole else None))
        at = end + 1
    return frames, at


def journal_pages(folder: Path) -> dict[int, bytes | None]:
    """Return the pages journaled in ``folder`` by offset (``None``: a damaged frame).

    For tests and inspection; :meth:`Journal.load` is what a sweep reads.

    Examples
    --------
    >>> journal_pages(Path("/nonexistent"))
    {}
    """
    try:
        data = (folder / LOG_NAME).read_bytes()
    except OSError:
        return {}
    return dict(read_frames(data)[0])


def _age_seconds(meta: Mapping[str, Any]) -> float:
    created = dt.datetime.fromisoformat(str(meta[_CREATED]))
    return (dt.datetime.now(dt.UTC) - created).total_seconds()


class Journal:
    """The on-disk pages of one sweep identity.

    Parameters
    ----------
    root
        The folder holding every journal.
    identity
        What makes two sweeps the same (JSON-able; must not hold secrets).
    max_age
        Seconds after which a journal is stale and started afresh.
    """

    def __init__(self, root: Path, identity: Mapping[str, Any], *, max_age: float) -> None:
        self.identity = dict(identity)
        self.path = root / query_digest(self.identity)
        self.max_age = max_age
        self._lock = threading.Lock()
        self._started = False
        self._fd: int | None = None
        self._unsynced = False

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    def _read(self, file: Path) -> bytes | None:
        """Return a file of the journal, None when there is none; the system's refusal raised."""
        try:
            return file.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:  # a folder in its place, no permission, a failing disk
            fix = (
                f"Fix it, or delete the journal folder {self.path} (its pages are then "
                "bought again)."
            )
            raise unreadable(
                err.errno, file, what="the journal", error=ConfigurationError, fix=fix
            ) from err

    def load(
        self, check: Callable[[bytes, int], dict[str, Any]] | None = None
    ) -> dict[int, dict[str, Any]]:
        """Return the journaled page bodies by offset (empty when none or stale).

        ``check(raw, offset)`` parses and checks a page as a live one is; a page
        it refuses, or whose frame is damaged, is dropped from the file (it will
        be bought again), never replayed forever. A torn last frame is cut off.
        """
        meta_path = self.path / _META
        raw = self._read(meta_path)
        if raw is None:
            return {}
        try:
            meta = json.loads(raw)
            stale = meta[_IDENTITY] != self.identity or _age_seconds(meta) > self.max_age
        except (ValueError, KeyError, TypeError):
            stale = True
        if stale:
            logger.info("discarding stale or unreadable journal %s", self.path)
            self.discard()
            return {}
        log = self.path / LOG_NAME
        data = self._read(log) or b""
        frames, whole = read_frames(data)
        pages: dict[int, dict[str, Any]] = {}
        kept: dict[int, bytes] = {}
        dropped = 0
        for offset, raw in frames:
            try:
                if raw is None:
                    msg = "its checksum does not match (the file was damaged)"
                    raise ValueError(msg)
                pages[offset] = check(raw, offset) if check else json.loads(raw)
                kept[offset] = raw  # a page journaled twice: the later copy wins
            except (ValueError, RecursionError, MiningLicensesError) as err:
                logger.warning("dropping unusable journal page at offset %d: %s", offset, err)
                dropped += 1
        if whole < len(data):
            logger.warning(
                "journal %s ends in a torn page (%d bytes, a process killed while writing): "
                "cut off, the page will be bought again",
                self.path, len(data) - whole,
            )  # fmt: skip
        if dropped or whole < len(data):
            # the file keeps only what can be replayed, before anything is appended to it
            write_atomic(log, b"".join(frame(o, r) for o, r in kept.items()), overwrite=True,
                         durable=False)  # fmt: skip
        self._started = True
        logger.debug("journal %s holds %d pages", self.path, len(pages))
        return pages

    def save(self, offset: int, raw: bytes) -> None:
        """Append one page's response body (JSON bytes, as received) as one whole frame."""
        data = [_header(offset, raw), raw, b"\n"]
        with self._lock:
            if self._fd is None:
                if not self._started:
                    self.path.mkdir(parents=True, exist_ok=True)
                    meta = {
                        _IDENTITY: self.identity,
                        _CREATED: dt.datetime.now(dt.UTC).isoformat(),
                    }
                    write_atomic(
                        self.path / _META, json.dumps(meta).encode(), overwrite=True, durable=False
                    )
                    self._started = True
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
                self._fd = os.open(self.path / LOG_NAME, flags, 0o666)
            _append(self._fd, data)
            self._unsynced = True

    def sync(self) -> None:
        """Flush the pages appended since the last flush to disk (once per batch, not per page)."""
        with self._lock:
            if self._fd is not None and self._unsynced:
                os.fsync(self._fd)
                self._unsynced = False

    def close(self) -> None:
        """Sync and close the file (a later :meth:`save` opens it again)."""
        self.sync()
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def discard(self) -> None:
        """Delete the journal folder and everything in it."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self._unsynced = False
            shutil.rmtree(self.path, ignore_errors=True)
            self._started = False


def check_journal_root(root: Path) -> None:
    """Make sure journals can be written under ``root`` (created if missing), before a request.

    A sweep journals each page the moment it arrives: a folder that cannot
    take it would be found only after a credit was spent
    (:func:`~mining_licenses._atomic.check_writable_folder`).

    Raises
    ------
    ConfigurationError
        Naming the folder, why, and what to do; nothing was sent.

    Examples
    --------
    >>> check_journal_root(Path("/proc/mining-licenses-journal"))
    Traceback (most recent call last):
    ...
    mining_licenses._errors.ConfigurationError: The journal folder \
/proc/mining-licenses-journal cannot be created (No such file or directory). Pass journal_dir=... \
(or point MINING_LICENSES_DATA at a writable folder), or resume=False to sweep without a \
journal. Nothing was sent; no credit was spent.
    """
    fix = (
        "Pass journal_dir=... (or point MINING_LICENSES_DATA at a writable folder), or "
        "resume=False to sweep without a journal. Nothing was sent; no credit was spent."
    )
    check_writable_folder(root, what="The journal folder", fix=fix)


def _last_written(folder: Path) -> float:
    """Return when anything in a journal folder was last written (epoch seconds)."""
    times = [folder.stat().st_mtime]
    for name in (_META, LOG_NAME):
        try:
            times.append((folder / name).stat().st_mtime)
        except OSError:
            continue
    return max(times)


def prune_journals(root: Path, *, max_age: float) -> int:
    """Delete journals under ``root`` older than ``max_age`` seconds; return how many.

    A journal's age is its ``sweep.json``'s ``created_at``. A folder without
    a readable ``sweep.json`` (a sweep killed before its first page was kept,
    or one starting right now in another process) is aged by when anything in
    it was last written: a young one is left alone. Files under ``root``
    are never touched.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "0123abcd").mkdir()  # a sweep that has not kept its first page yet
    >>> prune_journals(root, max_age=60), sorted(p.name for p in root.iterdir())
    (0, ['0123abcd'])
    """
    if not root.is_dir():
        return 0
    removed = 0
    now = dt.datetime.now(dt.UTC).timestamp()
    for folder in root.iterdir():
        if not folder.is_dir() or folder.is_symlink():
            continue
        try:
            meta = json.loads((folder / _META).read_text(encoding="utf-8"))
            old = _age_seconds(meta) > max_age
        except (OSError, ValueError, KeyError, TypeError):
            try:
                old = now - _last_written(folder) > max_age
            except OSError:  # removed meanwhile
                continue
        if old:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
