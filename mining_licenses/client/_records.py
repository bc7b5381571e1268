"""The records a sweep has collected: exact duplicates dropped, distinct licenses counted.

A license is identified by :func:`mining_licenses._wire.license_key`
(``wiup_code`` with ``license_number``); two records are the same record when
their contents are equal (:func:`mining_licenses._wire.record_fingerprint`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mining_licenses import _wire
from mining_licenses import schema as s
from mining_licenses.client._sweep import Page


@dataclass
class RecordSet:
    """Records collected so far: exact duplicates dropped, licenses counted.

    Pages may be added in any order (as they arrive); :attr:`records` lists
    them by pass, then offset, then position in the page.
    """

    duplicates: int = 0
    _kept: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = field(default_factory=dict)
    _licenses: set[str] = field(default_factory=set)
    _by_province: dict[str | None, set[str]] = field(default_factory=dict)
    _passes: int = 0

    def copy(self) -> RecordSet:
        """Return an independent copy (the records themselves are shared, never mutated)."""
        return RecordSet(
            duplicates=self.duplicates,
            _kept=dict(self._kept),
            _licenses=set(self._licenses),
            _by_province={k: set(v) for k, v in self._by_province.items()},
            _passes=self._passes,
        )

    def new_pass(self) -> int:
        """Return the rank of a new pass (a query swept), for ordering its records."""
        self._passes += 1
        return self._passes

    def add(
        self,
        records: Iterable[dict[str, Any]],
        *,
        at: tuple[int, int] = (0, 0),
        count_duplicates: bool = True,
        repeats: int = 0,
    ) -> int:
        """Add records found at ``(pass, offset)``; return the new distinct licenses.

        Exact duplicates are dropped; they are counted in ``duplicates`` when
        ``count_duplicates`` (the main sweep; a repair overlaps on purpose),
        except the first ``repeats`` records (asked for twice on purpose).
        """
        before = len(self._licenses)
        for index, record in enumerate(records):
            fingerprint = _wire.record_fingerprint(record)
            if fingerprint in self._kept:
                self.duplicates += count_duplicates and index >= repeats
                continue
            self._kept[fingerprint] = ((*at, index), record)
            self._index(record)
        return len(self._licenses) - before

    def add_pages(
        self, pages: Mapping[int, Page], *, rank: int = 0, count_duplicates: bool = True
    ) -> int:
        """Add the pages of one pass; return the new distinct licenses."""
        return sum(
            self.add(page.records, at=(rank, offset), count_duplicates=count_duplicates)
            for offset, page in pages.items()
        )

    def _index(self, record: Mapping[str, Any]) -> None:
        key = _wire.license_key(record)
        self._licenses.add(key)
        province = record.get(s.PROVINCE)
        name = province if isinstance(province, str) else None
        self._by_province.setdefault(name, set()).add(key)

    def fingerprints(self) -> set[str]:
        """Return the fingerprints of the records kept."""
        return set(self._kept)

    def keep_only(self, fingerprints: set[str]) -> int:
        """Keep only records with one of ``fingerprints``; return how many were dropped."""
        before = len(self._kept)
        self._kept = {fp: kept for fp, kept in self._kept.items() if fp in fingerprints}
        self._licenses, self._by_province = set(), {}
        for _, record in self._kept.values():
            self._index(record)
        return before - len(self._kept)

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records kept, by pass, offset and position in the page."""
        return [record for _, record in sorted(self._kept.values(), key=lambda kept: kept[0])]

    @property
    def distinct(self) -> int:
        """Distinct licenses among the records."""
        return len(self._licenses)

    def distinct_in(self, province: str) -> int:
        """Distinct licenses among records whose ``province`` is exactly ``province``."""
        return len(self._by_province.get(province, ()))
