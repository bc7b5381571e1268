"""What a sweep asks and what it gets: a :class:`Query`, its :class:`Page` s, a :class:`Trace`.

A :class:`Trace` keeps what a query's pages said besides their records (a
smaller page size than asked for, empty pages past the data, short pages,
pages that repeat another offset's records).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Final

from mining_licenses import _wire
from mining_licenses import schema as s
from mining_licenses._filters import FilterValue
from mining_licenses._redact import get_logger

logger = get_logger(__name__)

#: Pages of one sweep that repeat the records of another offset before the sweep stops:
#: a server that ignores ``offset`` answers every page with the first one.
MAX_REPEATED_PAGES: Final = 2


@dataclass(frozen=True)
class Query:
    """One sweep's identity: validated filters, ``order_by`` and page size.

    ``overlap`` records of each page are asked for again at the start of the
    next one (a check that nothing moved between the two requests).
    """

    filters: tuple[tuple[str, FilterValue], ...]
    order_by: str
    limit: int
    overlap: int = 0
    #: ``"pages"`` for a sweep's grid of pages; ``"windows"`` for the pages a repair
    #: reads around tie groups (journaled apart: their offsets are off the grid).
    kind: str = "pages"

    def params(self, offset: int) -> dict[str, str]:
        """Return the query parameters of the page at ``offset``."""
        params = _wire.encode_filters(dict(self.filters))
        params[_wire.ORDER_BY] = self.order_by
        params[_wire.LIMIT] = str(self.limit)
        params[_wire.OFFSET] = str(offset)
        return params

    def step(self, size: int | None = None) -> int:
        """Return the distance between page offsets for pages of ``size`` records."""
        size = size or self.limit
        return size - min(self.overlap, size - 1)

    def pages_for(self, total: int, size: int | None = None) -> int:
        """Return the pages a sweep of ``total`` records takes (an empty result is one)."""
        size = size or self.limit
        if total <= size:
            return 1
        return 1 + math.ceil((total - size) / self.step(size))

    def offsets(self, total: int, size: int | None = None) -> range:
        """Return every page offset of a sweep of ``total`` records (a range: nothing listed)."""
        step = self.step(size)
        return range(0, self.pages_for(total, size) * step, step)

    def with_(self, *, order_by: str | None = None, **filters: FilterValue) -> Query:
        """Return a copy with another ``order_by`` and/or more filters."""
        merged = dict(self.filters) | filters
        ordered = tuple((k, merged[k]) for k in s.FILTERS if k in merged)
        return Query(ordered, order_by or self.order_by, self.limit, self.overlap, self.kind)

    def windows(self) -> Query:
        """Return the query whose pages are read around this one's tie groups."""
        return Query(self.filters, self.order_by, self.limit, 0, "windows")


@dataclass(frozen=True)
class Page:
    """One page of results as the API sent it.

    Attributes
    ----------
    offset, limit
        Where the page starts and its size as requested.
    records
        The page's ``results``: plain dicts, exactly as received.
    total_count
        The ``pagination.total_count`` this page reported.
    from_journal
        True when it was read back from the resume journal (no credit spent).
    synthetic
        The server marked the page's records as made up (the replica does).
    """

    offset: int
    limit: int
    records: list[dict[str, Any]] = field(repr=False)
    total_count: int
    from_journal: bool = False
    synthetic: bool = False


@dataclass
class Trace:
    """What one query's pages said besides their records.

    Attributes
    ----------
    size
        Records a page holds: the limit asked for, or the number the API sends
        instead (learned from the first page read twice; the sweep re-plans
        with it).
    candidate, uneven
        A page size the first page suggested, until a second reading of it
        confirms it or not; the two counts when they differed.
    empty
        Offsets of empty pages although their ``total_count`` said records
        were there: pages past the end of the data.
    short
        Offsets of pages, not the last, with fewer records than ``size``.
    repeated
        ``(offset, other)``: the page at ``offset`` held exactly the records of
        the page at ``other`` (a server that ignores ``offset``, or serves a
        page from elsewhere); ``shared`` holds those of every query of the
        call, and :data:`MAX_REPEATED_PAGES` of them stop every sweep of it.
    ended
        The sweep stopped before its planned last page (too many empty pages).
    """

    size: int
    empty: list[int] = field(default_factory=list)
    short: list[int] = field(default_factory=list)
    repeated: list[tuple[int, int]] = field(default_factory=list)
    ended: bool = False
    candidate: int | None = None
    uneven: tuple[int, int] | None = None
    shared: list[tuple[int, int]] = field(default_factory=list, repr=False)
    _shown: dict[tuple[int, object], Page] = field(default_factory=dict, repr=False)

    @property
    def ignores_offset(self) -> bool:
        """:data:`MAX_REPEATED_PAGES` pages of the call (``shared``) repeated other offsets'."""
        return len(self.shared) >= MAX_REPEATED_PAGES

    @property
    def stopped(self) -> bool:
        """No further page of this query is worth buying (empty past the data, or repeats)."""
        return self.ended or self.ignores_offset

    def first(self, query: Query, page: Page, *, max_empty: int) -> None:
        """Note the first page; a page size other than asked for becomes a :attr:`candidate`.

        One answer is not trusted to re-plan a sweep (a page cut short once would
        make every page after it smaller, and the sweep dearer): the sweep reads
        the first page again and :meth:`confirm` decides.
        """
        got = len(page.records)
        if 0 < got < min(query.limit, page.total_count) or query.limit < got < page.total_count:
            self.candidate = got
        self.add(page, max_empty=max_empty)

    def confirm(self, query: Query, page: Page) -> bool:
        """Re-plan at the :attr:`candidate` size only when a second reading of page 0 agrees.

        Returns True when it does.
        """
        got, candidate = len(page.records), self.candidate
        self.candidate = None
        if got == candidate:
            logger.warning(
                "the API sent %d records when asked for %d (total_count %d), twice: "
                "re-planning the sweep at %d a page (%s credits)",
                got, query.limit, page.total_count, got, "more" if got < query.limit else "fewer",
            )  # fmt: skip
            self.size = got
            return True
        self.uneven = (candidate or 0, got)
        logger.warning(
            "the first page held %d records, a second reading of it %d: not a page size "
            "the API keeps to; the sweep stays at %d a page",
            candidate, got, self.size,
        )  # fmt: skip
        return False

    def add(self, page: Page, *, max_empty: int) -> None:
        """Note what ``page`` says about the sweep (empty past the data, short, a repeat)."""
        got = len(page.records)
        if got:
            self._repeats(page)
        if not got and page.total_count > page.offset:
            self.empty.append(page.offset)
            if len(self.empty) >= max_empty and not self.ended:
                self.ended = True
                logger.warning(
                    "%d pages came back empty although total_count=%d says records are there "
                    "(offsets %s): the total is overstated; stopping the sweep",
                    len(self.empty), page.total_count, ", ".join(map(str, sorted(self.empty))),
                )  # fmt: skip
        elif 0 < got < min(self.size, page.total_count - page.offset):
            self.short.append(page.offset)

    def _repeats(self, page: Page) -> None:
        """Note ``page`` when it holds exactly the records of a page at another offset.

        In any order (a server that also orders ties anew each time): one
        signature a page, the set of its records' keys (about 3 µs for 30), and
        a comparison of contents only when two signatures agree.
        """
        records = page.records
        keys = [(r.get(s.WIUP_CODE), r.get(s.LICENSE_NUMBER)) for r in records]
        try:
            signature: object = frozenset(keys)
        except TypeError:  # a key that is not hashable (a list as wiup_code): its text
            signature = frozenset(map(repr, keys))
        other = self._shown.setdefault((len(records), signature), page)
        if other.offset == page.offset or sorted(
            map(_wire.record_fingerprint, other.records)
        ) != sorted(map(_wire.record_fingerprint, records)):
            return
        self.repeated.append((page.offset, other.offset))
        self.shared.append((page.offset, other.offset))
        if len(self.shared) == MAX_REPEATED_PAGES:
            shown = ", ".join(f"{o:,} (as {p:,})" for o, p in self.shared)
            logger.warning(
                "%d pages held exactly the records of another offset (%s): the API ignores "
                "offset or repeats pages; stopping the sweep",
                len(self.shared), shown,
            )  # fmt: skip
