"""The records a sweep has collected: repeats dropped, copies upstream kept, rows counted.

A license is identified by :func:`mining_licenses._wire.license_key`
(``wiup_code`` with ``license_number``); two records are the same record when
their contents are equal (:func:`same_record`: equal as values and as JSON, so
``1`` and ``1.0`` differ).

What a sweep is checked against is ``total_count``, which counts the rows the
API holds. Rows are counted here as the pages show them: each distinct record
once (two records of one license with different contents are two rows, as the
API counts them), and a record one page lists ``n`` times counts ``n`` times
(one answer never lists one row twice, so those are copies upstream, kept;
a record repeated across pages, by the overlap or by ties ordered anew, is
one row). So a registry that serves a license twice is neither short nor a
reason to sweep again.

Pages are only queued while a sweep runs: a page's records are keyed,
compared and counted when something asks for the result (``rows``,
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
    """Records collected so far: repeats dropped, copies upstream kept, rows counted.

    Pages may be added in any order (as they arrive); :attr:`records` lists
    them by pass, then offset, then position in the page.

    Inside, each page added is kept once (``_pages``) and each record kept is
    a number (its page's and its place in it), found by license key in
    ``_refs`` (a number, or a list of them for a license seen in several
    versions): no tuple or list is made per record. ``_copies`` holds the
    records one page listed more than once, with the most times one page did.
    """

    duplicates: int = 0
    _refs: dict[_Key, int | list[int]] = field(default_factory=dict)
    _copies: dict[int, int] = field(default_factory=dict)  # a record one page listed n > 1 times
    _pages: list[tuple[tuple[int, int], Sequence[dict[str, Any]]]] = field(default_factory=list)
    _queued: list[_Queued] = field(default_factory=list)
    _in_order: bool = True  # pages were numbered in (pass, offset) order
    _by_province: dict[str | None, int] | None = None
    _passes: int = 0

    def copy(self) -> RecordSet:
        """Return an independent copy (the records themselves are shared, never mutated)."""
        self._settle()
        return RecordSet(
            duplicates=self.duplicates,
            _refs={k: list(v) if isinstance(v, list) else v for k, v in self._refs.items()},
            _copies=dict(self._copies),
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

        A record already collected is dropped, and counted in ``duplicates``
        when ``count_duplicates`` (the main sweep; a repair overlaps on purpose),
        except the first ``repeats`` records (asked for twice on purpose); a
        record listed more often in one page than in any before is a copy
        upstream, kept.
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
        refs, pages, copies = self._refs, self._pages, self._copies
        code_field, number_field = s.WIUP_CODE, s.LICENSE_NUMBER
        for records, at, count_duplicates, repeats in queued:
            number = len(pages)
            base = number << _SHIFT
            pages.append((at, records))
            here: dict[int, int] = {}  # how often this page listed a record met again
            for index, record in enumerate(records):
                code = record.get(code_field)
                if type(code) is str and code:  # as _key has it, without a call per record
                    license_number = record.get(number_field)
                    key = (
                        code,
                        license_number if type(license_number) is str else f"{license_number}",
                    )
                else:
                    key = _key(record)
                got = refs.get(key)
                if got is None:
                    refs[key] = base | index
                    continue
                versions = got if isinstance(got, list) else [got]
                match = next((r for r in versions if same_record(record, self._record(r))), None)
                if match is None:
                    refs[key] = [*versions, base | index]
                    continue
                shown = here.get(match, 1 if match >> _SHIFT == number else 0) + 1
                here[match] = shown
                if shown > copies.get(match, 1):
                    copies[match] = shown  # one answer listed it `shown` times: copies upstream
                else:
                    self.duplicates += count_duplicates and index >= repeats
        self._by_province = None

    def contains(self, record: Mapping[str, Any]) -> bool:
        """Return True when a record with exactly these contents was collected."""
        return self.copies_of(record) > 0

    def copies_of(self, record: Mapping[str, Any]) -> int:
        """Return how many rows with exactly these contents were collected (0: none)."""
        self._settle()
        for ref in self._versions(_key(record)):
            if same_record(record, self._record(ref)):
                return self._copies.get(ref, 1)
        return 0

    def outside(self, view: RecordSet) -> int:
        """Return the rows :meth:`keep_only` would drop: rows here that ``view`` does not hold."""
        self._settle()
        return sum(
            max(self._copies.get(ref, 1) - view.copies_of(self._record(ref)), 0)
            for ref in self._all_refs()
        )

    def same_rows(self, other: RecordSet) -> bool:
        """Return True when both hold exactly the same rows (records and their copies)."""
        return self.rows == other.rows and self.outside(other) == 0

    def keep_only(self, view: RecordSet) -> int:
        """Keep only records ``view`` holds too, as often as it does; return the rows dropped."""
        self._settle()
        before = self.rows
        refs: dict[_Key, int | list[int]] = {}
        copies: dict[int, int] = {}
        for key in self._refs:
            chosen = []
            for ref in self._versions(key):
                shown = view.copies_of(self._record(ref))
                if shown:
                    chosen.append(ref)
                    if shown > 1:
                        copies[ref] = shown
            if chosen:
                refs[key] = chosen if len(chosen) > 1 else chosen[0]
        self._refs, self._copies, self._by_province = refs, copies, None
        return max(before - self.rows, 0)

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
        """The records kept (copies upstream as often as they were listed), in page order."""
        self._settle()
        refs = self._all_refs()
        if self._in_order:
            refs.sort()
        else:
            rank = {n: r for r, n in enumerate(sorted(range(len(self._pages)), key=self._at))}
            refs.sort(key=lambda ref: (rank[ref >> _SHIFT], ref & _MASK))
        pages, copies = self._pages, self._copies
        if not copies:
            return [pages[ref >> _SHIFT][1][ref & _MASK] for ref in refs]
        return [
            pages[ref >> _SHIFT][1][ref & _MASK] for ref in refs for _ in range(copies.get(ref, 1))
        ]

    def _at(self, page: int) -> tuple[int, int]:
        return self._pages[page][0]

    @property
    def licenses(self) -> int:
        """Distinct licenses (license keys) among the records."""
        self._settle()
        return len(self._refs)

    @property
    def rows(self) -> int:
        """Rows the records stand for, as ``total_count`` counts them.

        Each distinct record once, a record one page listed ``n`` times ``n`` times.
        """
        self._settle()
        versions = sum(len(v) if isinstance(v, list) else 1 for v in self._refs.values())
        return versions + sum(n - 1 for n in self._copies.values())

    @property
    def upstream_duplicates(self) -> int:
        """Rows beyond the first of a license: served more than once by the API, kept."""
        return self.rows - self.licenses

    def rows_in(self, province: str) -> int:
        """Rows among records whose ``province`` is exactly ``province``."""
        self._settle()
        if self._by_province is None:
            index: dict[str | None, int] = {}
            for ref in self._all_refs():
                name = self._record(ref).get(s.PROVINCE)
                where = name if isinstance(name, str) else None
                index[where] = index.get(where, 0) + self._copies.get(ref, 1)
            self._by_province = index
        return self._by_province.get(province, 0)


_MASK: Final = (1 << _SHIFT) - 1
