"""The resume journal: each page of a sweep kept on disk the moment it arrives.

A journal is one folder named by a hash of what identifies a sweep (base URL,
endpoint, filters, ``order_by``, page size), never the API key. It holds
``sweep.json`` (that identity and when the journal was started) and one
``page-<offset>.json`` per page, each written to a temporary name and renamed
into place, so a killed process leaves whole pages or none. A rerun with the
same identity reads the pages back instead of paying for them again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from mining_licenses._atomic import write_atomic
from mining_licenses._errors import MiningLicensesError
from mining_licenses._wire import query_digest

logger = logging.getLogger(__name__)

_META: Final = "sweep.json"
_PAGE_PREFIX: Final = "page-"
_CREATED: Final = "created_at"
_IDENTITY: Final = "identity"


def _write(path: Path, data: bytes) -> None:
    # Whole pages or none survive a killed process; a power loss may lose the
    # newest pages, which then cost a credit again, so no fsync per page.
    write_atomic(path, data, overwrite=True, durable=False)


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

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    def load(
        self, check: Callable[[bytes, int], dict[str, Any]] | None = None
    ) -> dict[int, dict[str, Any]]:
        """Return the journaled page bodies by offset (empty when none or stale).

        ``check(raw, offset)`` parses and checks a page as a live one is; a page
        it refuses is deleted (it will be bought again), never replayed forever.
        """
        meta_path = self.path / _META
        if not meta_path.is_file():
            return {}
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            stale = meta[_IDENTITY] != self.identity or _age_seconds(meta) > self.max_age
        except (OSError, ValueError, KeyError, TypeError):
            stale = True
        if stale:
            logger.info("discarding stale or unreadable journal %s", self.path)
            self.discard()
            return {}
        pages: dict[int, dict[str, Any]] = {}
        for item in self.path.glob(f"{_PAGE_PREFIX}*.json"):
            try:
                offset = int(item.stem.removeprefix(_PAGE_PREFIX))
                raw = item.read_bytes()
                pages[offset] = check(raw, offset) if check else json.loads(raw)
            except (OSError, ValueError, RecursionError, MiningLicensesError) as err:
                logger.warning("dropping unusable journal page %s: %s", item.name, err)
                item.unlink(missing_ok=True)
        self._started = True
        logger.debug("journal %s holds %d pages", self.path, len(pages))
        return pages

    def save(self, offset: int, raw: bytes) -> None:
        """Write one page's response body (JSON bytes, as received) atomically."""
        with self._lock:
            if not self._started:
                self.path.mkdir(parents=True, exist_ok=True)
                meta = {_IDENTITY: self.identity, _CREATED: dt.datetime.now(dt.UTC).isoformat()}
                _write(self.path / _META, json.dumps(meta).encode())
                self._started = True
        _write(self.path / f"{_PAGE_PREFIX}{offset:09d}.json", raw)

    def discard(self) -> None:
        """Delete the journal folder and everything in it."""
        with self._lock:
            shutil.rmtree(self.path, ignore_errors=True)
            self._started = False


def prune_journals(root: Path, *, max_age: float) -> int:
    """Delete journals under ``root`` older than ``max_age`` seconds; return how many.

    Examples
    --------
    >>> prune_journals(Path("/nonexistent"), max_age=60)
    0
    """
    if not root.is_dir():
        return 0
    removed = 0
    for folder in root.iterdir():
        meta_path = folder / _META
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            old = _age_seconds(meta) > max_age
        except (OSError, ValueError, KeyError, TypeError):
            # a folder killed before its first page has no sweep.json; leave young ones
            old = folder.is_dir() and not any(folder.glob(f"{_PAGE_PREFIX}*.json"))
        if old and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
