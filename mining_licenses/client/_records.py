"""The records a sweep has collected: exact duplicates dropped, distinct licenses counted.

A license is identified by :func:`mining_licenses._wire.license_key`
(``wiup_code`` with ``license_number``); two records are the same record when
their contents are equal (:func:`same_record`: equal as values and as JSON, so
``1`` and ``1.0`` differ).

Pages are only queued while a sweep runs: a page's records are keyed,
compared and counted when something asks for the result (``distinct``,
``records``...), once, off the hot path of the sweep. Records are compared
by content only when they share a license key, so a sweep computes no
per-record fingerprint at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mining_licenses import _wire
from mining_licenses import schema as s
from mining_licenses.client._sweep import Page

_At = tuple[int, int, int]
_Kept = tuple[_At, dict[str, Any]]


def same_record(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Return True when two records have exactly the same contents.

    Examples
    --------
    >>> same_record({"a": 1, "b": None}, {"b": None, "a": 1})
    True
    >>> same_record({"a": 1}, {"a": 1.0})
    False
    """
    return a is b or (a == b and _wire.record_fingerprint(a) == _wire.record_fingerprint(b))


@dataclass
class RecordSet:
    """Records collected so far: exact duplicates dropped, licenses counted.

    Pages may be added in any order (as they arrive); :attr:`records` lists
    them by pass, then offset, then position in the page.
    """

    duplicates: int = 0
    _kept: dict[str, list[_Kept]] = field(default_factory=dict)
    _queued: list[tuple[Sequence[dict[str, Any]], tuple[int, int], bool, int]] = field(
        default_factory=list
    )
    _by_province: dict[str | None, set[str]] | None = None
    _passes: int = 0

    def copy(self) -> RecordSet:
        """Return an independent copy (the records themselves are shared, never mutated)."""
        self._settle()
        return RecordSet(
            duplicates=self.duplicates,
            _kept={key: list(versions) for key, versions in self._kept.items()},
            _passes=self._passes,
        )

    def new_pass(self) -> int:
        """Return the rank of a new pass (a query swept), for ordering its records."""
        self._passes += 1
        return self._passes

    def add(
        self,
        records: Sequence[dict[str, Any]],
        *,
        at: tuple[int, int] = (0, 0),
        count_duplicates: bool = True,
        repeats: int = 0,
    ) -> None:
        """Add records found at ``(pass, offset)`` (queued: counted when asked for).

        Exact duplicates are dropped; they are counted in ``duplicates`` when
        ``count_duplicates`` (the main sweep; a repair overlaps on purpose),
        except the first ``repeats`` records (asked for twice on purpose).
        """
        self._queued.append((records, at, count_duplicates, repeats))

    def add_pages(
        self, pages: Mapping[int, Page], *, rank: int = 0, count_duplicates: bool = True
    ) -> None:
        """Add the pages of one pass."""
        for offset, page in pages.items():
            self.add(page.records, at=(rank, offset), count_duplicates=count_duplicates)

    def _settle(self) -> None:
        if not self._queued:
            return
        queued, self._queued = self._queued, []
        queued.sort(key=lambda item: item[1])  # by pass and offset, whatever the arrival order
        kept = self._kept
        key_of = _wire.license_key
        for records, at, count_duplicates, repeats in queued:
            for index, record in enumerate(records):
                key = key_of(record)
                versions = kept.get(key)
                if versions is None:
                    kept[key] = [((*at, index), record)]
                elif any(same_record(record, other) for _, other in versions):
                    self.duplicates += count_duplicates and index >= repeats
                else:
                    versions.append(((*at, index), record))
        self._by_province = None

    def contains(self, record: Mapping[str, Any]) -> bool:
        """Return True when a record with exactly these contents was collected."""
        self._settle()
        versions = self._kept.get(_wire.license_key(record), ())
        return any(same_record(record, other) for _, other in versions)

    def keep_only(self, view: RecordSet) -> int:
        """Keep only records that ``view`` holds too; return how many were dropped."""
        self._settle()
        dropped = 0
        kept: dict[str, list[_Kept]] = {}
        for key, versions in self._kept.items():
            chosen = [(at, r) for at, r in versions if view.contains(r)]
            dropped += len(versions) - len(chosen)
            if chosen:
                kept[key] = chosen
        self._kept, self._by_province = kept, None
        return dropped

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records kept, by pass, offset and position in the page."""
        self._settle()
        everything = [kept for versions in self._kept.values() for kept in versions]
        everything.sort(key=lambda kept: kept[0])
        return [record for _, record in everything]

    @property
    def distinct(self) -> int:
        """Distinct licenses among the records."""
        self._settle()
        return len(self._kept)

    def distinct_in(self, province: str) -> int:
        """Distinct licenses among records whose ``province`` is exactly ``province``."""
        self._settle()
        if self._by_province is None:
            index: dict[str | None, set[str]] = {}
            for key, versions in self._kept.items():
                for _, record in versions:
                    name = record.get(s.PROVINCE)
                    index.setdefault(name if isinstance(name, str) else None, set()).add(key)
            self._by_province = index
        return len(self._by_province.get(province, ()))

    def extend(self, records: Iterable[dict[str, Any]], *, at: tuple[int, int]) -> None:
        """Add records found outside a page (a window of a tie group), not counted as duplicates."""
        self.add(list(records), at=at, count_duplicates=False)
