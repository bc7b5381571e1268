"""Sort keys and ties: the order a sweep runs in, and the tie groups at page boundaries.

Offset paging over a sort key with ties loses and repeats records when the
server orders ties anew for each request. A sweep without ``order_by``
therefore runs in the order whose first page shows the fewest ties (areas are
nearly unique); the tie groups that still straddle page boundaries are found
here (:func:`boundaries`) and read again by the repair.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from mining_licenses import _wire
from mining_licenses import schema as s
from mining_licenses._redact import get_logger
from mining_licenses.client._query import Page, Query
from mining_licenses.client._records import _key, same_record
from mining_licenses.client._sweep import Run, sweep

logger = get_logger(__name__)

_NONE: Final = object()
#: The orders a sweep without ``order_by`` runs in, tried in turn: the area first, as
#: areas are nearly unique (few ties at page boundaries), then the dates.
SWEEP_ORDERS: Final = (f"-{s.AREA_HA}", f"-{s.EFFECTIVE_DATE}", f"-{s.EXPIRY_DATE}")
#: A first page whose neighbouring records tie on the sort key more often than this
#: share makes a sweep without ``order_by`` try the next of :data:`SWEEP_ORDERS`.
MAX_TIED_SHARE: Final = 1 / 3


def sort_value(record: Mapping[str, Any], field_name: str) -> object:
    """Return what the API sorts ``record`` by under ``field_name`` (``None``: no value).

    Areas are compared as numbers (``100`` and ``100.0`` tie), other fields as
    sent; a value the API cannot sort by (an area that is not a number) is
    treated like a missing one, which the API sorts with the nulls.

    Examples
    --------
    >>> sort_value({"licensed_area_ha": 100}, "licensed_area_ha")
    100.0
    >>> sort_value({"licensed_area_ha": "n/a"}, "licensed_area_ha") is None
    True
    """
    value = record.get(field_name)
    if field_name == s.AREA_HA:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None
        try:
            return float(value)
        except ValueError:
            return None
    return value if isinstance(value, str | int | float) else None


def tied_pairs(records: list[dict[str, Any]], order_by: str) -> int:
    """Return how many neighbouring records of a page tie on ``order_by``'s field.

    Examples
    --------
    >>> tied_pairs([{"licensed_area_ha": 1}, {"licensed_area_ha": 1.0}], "licensed_area_ha")
    1
    """
    name = _wire.split_order_by(order_by)[0]
    values = [sort_value(r, name) for r in records]
    return sum(a == b for a, b in itertools.pairwise(values))


@dataclass(frozen=True)
class TieGroup:
    """Records tied on the sort key across a page boundary, at positions ``first..last``.

    ``boundary`` is the offset of the later page; ``matched`` says the record
    both pages share was the same one (when it was not, the API ordered the
    ties anew between the two requests).
    """

    boundary: int
    first: int
    last: int
    matched: bool

    @property
    def window(self) -> int:
        """The offset of one page that holds the whole group and a record either side."""
        return max(self.first - 1, 0)

    def fits(self, size: int) -> bool:
        """Return True when one page of ``size`` records holds the group and its neighbours."""
        return self.last + 1 - self.window < size


@dataclass(frozen=True)
class Boundaries:
    """What neighbouring pages of one sweep said about each other.

    ``moved`` holds the offsets of pages whose shared records do not even
    share the sort key with the page before: records moved between the two
    requests (inserted or removed before them), or whose shared record is the
    same license with other contents (it changed between the two requests).
    ``ties`` holds the tie groups
    that straddle a boundary (records on both sides of the shared ones): under
    an API that orders ties anew on each request, records of such a group can
    be missed (a window page holding the whole group repairs that). A shared
    record that differs from the page before while tied with it on the sort
    key is tie noise, not movement.
    """

    moved: list[int]
    ties: list[TieGroup]


def boundaries(pages: Mapping[int, Page], query: Query, size: int) -> Boundaries:
    """Compare each page's first records with the ones the page before repeats.

    With ``query.overlap`` records asked for twice, two neighbouring pages
    fetched while the data did not move agree on them (up to the order of
    ties); a disagreement on the sort key means records moved between the
    two requests.
    """
    overlap = min(query.overlap, size - 1)
    if not overlap:
        return Boundaries([], [])
    step = query.step(size)
    name = _wire.split_order_by(query.order_by)[0]
    index = PageIndex(pages)  # keys looked up only around boundaries: no per-record work
    moved: list[int] = []
    ties: dict[tuple[int, int], TieGroup] = {}
    for offset, page in sorted(pages.items()):
        before = pages.get(offset - step)
        if before is None or len(before.records) < size or not page.records:
            continue
        tail = before.records[step : step + overlap]
        head = page.records[: len(tail)]
        pairs = list(zip(tail, head, strict=False))
        if any(sort_value(a, name) != sort_value(b, name) for a, b in pairs) or any(
            a is not b and _key(a) == _key(b) and not same_record(a, b) for a, b in pairs
        ):
            # a record shifted, or the same record changed between the two requests
            moved.append(offset)
            continue
        after = len(head)  # in ``page``: the first record past the shared ones
        if after >= len(page.records) or sort_value(before.records[step - 1], name) != (
            sort_value(page.records[after], name)
        ):
            continue  # no run of ties reaches from before the shared records to past them
        for position in range(offset, offset + len(head)):
            value, first, last = index.key(position, name), position, position
            while index.key(first - 1, name) == value:
                first -= 1
            while index.key(last + 1, name) == value:
                last += 1
            if first < offset and last > offset - step + size - 1:  # on both sides
                at = position - offset
                same = tail[at] is head[at] or tail[at] == head[at]
                ties.setdefault((first, last), TieGroup(offset, first, last, same))
    return Boundaries(moved, sorted(ties.values(), key=lambda g: g.first))


class PageIndex:
    """The records pages of one sweep showed at each position, looked up lazily.

    Examples
    --------
    >>> page = Page(offset=0, limit=2, records=[{"a": 1}, {"a": 2}], total_count=2)
    >>> PageIndex({0: page}).records_at(1), PageIndex({0: page}).records_at(2)
    ([{'a': 2}], [])
    """

    def __init__(self, pages: Mapping[int, Page]) -> None:
        self._pages = pages
        self._offsets = sorted(pages)
        self._longest = max((len(p.records) for p in pages.values()), default=0)
        self._keys: dict[tuple[int, str], object] = {}

    def records_at(self, position: int) -> list[dict[str, Any]]:
        """Return every record the pages showed at ``position``, earliest page first."""
        found = []
        at = bisect.bisect_right(self._offsets, position) - 1
        while at >= 0 and self._offsets[at] + self._longest > position:
            offset = self._offsets[at]
            records = self._pages[offset].records
            if position - offset < len(records):
                found.append(records[position - offset])
            at -= 1
        found.reverse()
        return found

    def key(self, position: int, name: str) -> object:
        """Return the sort key at ``position`` as the earliest page there showed it.

        A marker equal to nothing when no page shows the position.
        """
        if (position, name) not in self._keys:
            shown = self.records_at(position)
            self._keys[position, name] = sort_value(shown[0], name) if shown else _NONE
        return self._keys[position, name]


def choose_order(run: Run, query: Query, *, auto: bool) -> tuple[Query, Page, set[str]]:
    """Return the order to sweep in, its first page, and the fields seen to tie heavily.

    With ``order_by`` given, that order. Without, the first of
    :data:`SWEEP_ORDERS` whose first page shows few ties (learnt from the
    page itself: neighbouring records with the same sort key); when every
    one ties heavily, the one that ties least. A first page that holds the
    whole result needs no choice.
    """
    candidates = [query.with_(order_by=o) for o in SWEEP_ORDERS] if auto else [query]
    probed: dict[Query, int] = {}
    firsts: dict[Query, Page] = {}
    heavy: set[str] = set()
    for candidate in candidates:
        ((_, first),) = tuple(
            sweep(run, [candidate], what="The sweep", hard=True, keep_going=lambda *_: False)
        )
        firsts[candidate] = first
        ties = tied_pairs(first.records, candidate.order_by)
        if first.total_count <= len(first.records) or ties <= MAX_TIED_SHARE * (
            len(first.records) - 1
        ):
            return candidate, first, heavy
        probed[candidate] = ties
        heavy.add(_wire.split_order_by(candidate.order_by)[0])
        logger.info(
            "%d of the %d records of the first page by %s tie with their neighbour",
            ties, len(first.records), candidate.order_by,
        )  # fmt: skip
    chosen = min(probed, key=probed.__getitem__)  # the first of the least tied
    return chosen, firsts[chosen], heavy
