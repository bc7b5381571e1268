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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from mining_licenses import _wire
from mining_licenses import schema as s
from mining_licenses.client._query import Page


def same_record(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Return True when two records have exactly the same contents.

    Equal as JSON values: key order does not matter, types do (``1``, ``1.0``
    and ``True`` differ), as :func:`mining_licenses._wire.record_fingerprint`
    has it, without encoding either record.

    Examples
    --------
    >>> same_record({"a": 1, "b": None}, {"b": None, "a": 1})
    True
    >>> same_record({"a": 1}, {"a": 1.0}), same_record({"a": [1]}, {"a": [True]})
    (False, False)
    """
    return a is b or _same(a, b)


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return a.keys() == b.keys() and all(_same(value, b[key]) for key, value in a.items())
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float):
        return a == b or (a != a and b != b)  # NaN is NaN, as JSON writes it  # noqa: PLR0124
    return a == b


#: A license's key: ``wiup_code`` with ``license_number`` as text (what
#: :func:`mining_licenses._wire.license_key` joins, kept as a pair); a record
#: without a code is keyed by its contents, with an empty code.
_Key = tuple[str, str]


def _key(record: Mapping[str, Any]) -> _Key:
    """Return the key of the license ``record`` describes.

    Examples
    --------
    >>> _key({"wiup_code": "1", "license_number": None}), _key({"wiup_code": 1})
    (('1', 'None'), ('1', 'None'))
    """
    code = record.get(s.WIUP_CODE)
    if code is None or code == "":
        return ("", _wire.license_key(record))
    number = record.get(s.LICENSE_NUMBER)
    return (f"{code}", number if type(number) is str else f"{number}")


#: A record is referred to as ``page number << _SHIFT | index in the page``.
_SHIFT: Final = 32
_Queued = tuple[Sequence[dict[str, Any]], tuple[int, int], bool, int]


@dataclass
class RecordSet:
    """Records collected so far: exact duplicates dropped, licenses counted.

    Pages may be added in any order (as they arrive); :attr:`records` lists
    them by pass, then offset, then position in the page.

    Inside, each page added is kept once (``_pages``) and each record kept is
    a number (its page's and its place in it), found by license key in
    ``_refs`` (a number, or a list of them for a license seen in several
    versions): no tuple or list is made per record.
    """

    duplicates: int = 0
    _refs: dict[_Key, int | list[int]] = field(default_factory=dict)
    _pages: list[tuple[tuple[int, int], Sequence[dict[str, Any]]]] = field(default_factory=list)
    _queued: list[_Queued] = field(default_factory=list)
    _in_order: bool = True  # pages were numbered in (pass, offset) order
    _by_province: dict[str | None, set[_Key]] | None = None
    _passes: int = 0

    def copy(self) -> RecordSet:
        """Return an independent copy (the records themselves are shared, never mutated)."""
        self._settle()
        return RecordSet(
            duplicates=self.duplicates,
            _refs={k: list(v) if isinstance(v, list) else v for k, v in self._refs.items()},
            _pages=list(self._pages),
            _in_order=self._in_order,
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

    def _record(self, ref: int) -> dict[str, Any]:
        return self._pages[ref >> _SHIFT][1][ref & _MASK]

    def _versions(self, key: _Key) -> list[int]:
        got = self._refs.get(key)
        return [] if got is None else got if isinstance(got, list) else [got]

    def _settle(self) -> None:
        if not self._queued:
            return
        queued, self._queued = self._queued, []
        queued.sort(key=lambda item: item[1])  # by pass and offset, whatever the arrival order
        if self._pages and queued[0][1] < self._pages[-1][0]:
            self._in_order = False
        refs, pages = self._refs, self._pages
        code_field, number_field = s.WIUP_CODE, s.LICENSE_NUMBER
        for records, at, count_duplicates, repeats in queued:
            base = len(pages) << _SHIFT
            pages.append((at, records))
            for index, record in enumerate(records):
                code = record.get(code_field)
                if type(code) is str and code:  # as _key has it, without a call per record
                    number = record.get(number_field)
                    key = (code, number if type(number) is str else f"{number}")
                else:
                    key = _key(record)
                got = refs.get(key)
                if got is None:
                    refs[key] = base | index
                    continue
                versions = got if isinstance(got, list) else [got]
                if any(same_record(record, self._record(ref)) for ref in versions):
                    self.duplicates += count_duplicates and index >= repeats
                else:
                    refs[key] = [*versions, base | index]
        self._by_province = None

    def contains(self, record: Mapping[str, Any]) -> bool:
        """Return True when a record with exactly these contents was collected."""
        self._settle()
        versions = self._versions(_key(record))
        return any(same_record(record, self._record(ref)) for ref in versions)

    def keep_only(self, view: RecordSet) -> int:
        """Keep only records that ``view`` holds too; return how many were dropped."""
        self._settle()
        dropped = 0
        refs: dict[_Key, int | list[int]] = {}
        for key in self._refs:
            versions = self._versions(key)
            chosen = [ref for ref in versions if view.contains(self._record(ref))]
            dropped += len(versions) - len(chosen)
            if chosen:
                refs[key] = chosen if len(chosen) > 1 else chosen[0]
        self._refs, self._by_province = refs, None
        return dropped

    def _all_refs(self) -> list[int]:
        out: list[int] = []
        for got in self._refs.values():
            if isinstance(got, list):
                out += got
            else:
                out.append(got)
        return out

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records kept, by pass, offset and position in the page."""
        self._settle()
        refs = self._all_refs()
        if self._in_order:
            refs.sort()
        else:
            rank = {n: r for r, n in enumerate(sorted(range(len(self._pages)), key=self._at))}
            refs.sort(key=lambda ref: (rank[ref >> _SHIFT], ref & _MASK))
        pages = self._pages
        return [pages[ref >> _SHIFT][1][ref & _MASK] for ref in refs]

    def _at(self, page: int) -> tuple[int, int]:
        return self._pages[page][0]

    @property
    def distinct(self) -> int:
        """Distinct licenses among the records."""
        self._settle()
        return len(self._refs)

    def distinct_in(self, province: str) -> int:
        """Distinct licenses among records whose ``province`` is exactly ``province``."""
        self._settle()
        if self._by_province is None:
            index: dict[str | None, set[_Key]] = {}
            for key in self._refs:
                for ref in self._versions(key):
                    name = self._record(ref).get(s.PROVINCE)
                    index.setdefault(name if isinstance(name, str) else None, set()).add(key)
            self._by_province = index
        return len(self._by_province.get(province, ()))


_MASK: Final = (1 << _SHIFT) - 1
