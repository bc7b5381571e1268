"""Tie groups read again: one page (a window) per group that lost records at a page boundary.

Offset paging over a sort key with ties loses records when the server orders
the ties anew between two requests; where the tied records straddle a page
boundary and the two pages show fewer distinct records than the group has
places, one page read at the group (the whole group in one answer, and a
record either side) collects it. The window is checked against the pages
around it (the same sort keys in the same places, the same lone records
either side, every record the pages showed in the group), so a window never
hides data that moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mining_licenses._redact import get_logger
from mining_licenses._wire import license_key, split_order_by
from mining_licenses.client._query import Page, Query
from mining_licenses.client._records import RecordSet, same_record
from mining_licenses.client._sweep import Run, check_cost, fetch_pages
from mining_licenses.client._ties import PageIndex, TieGroup, boundaries, sort_value

logger = get_logger(__name__)


@dataclass(frozen=True)
class Ties:
    """What :func:`settle_ties` did: windows read, and whether they showed movement.

    ``unresolved`` counts the groups that lost records and were not read: one
    of them is too large for a window (another sweep is needed, which collects
    the others too), or the credits left did not allow it.
    """

    read: int = 0
    moved: bool = False
    unresolved: int = 0


def _observed(
    pages: Mapping[int, Page], groups: Iterable[TieGroup]
) -> dict[int, list[dict[str, Any]]]:
    """Return what the pages showed at the places of ``groups`` and two either side of them."""
    index = PageIndex(pages)
    seen: dict[int, list[dict[str, Any]]] = {}
    for group in groups:
        for position in range(group.first - 2, group.last + 3):
            if position not in seen:
                seen[position] = index.records_at(position)
    return seen


def _distinct(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return ``records`` without exact repeats (compared only within a license)."""
    seen: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        versions = seen.setdefault(license_key(record), [])
        if not any(same_record(record, other) for other in versions):
            versions.append(record)
    return [record for versions in seen.values() for record in versions]


def _lost(group: TieGroup, observed: Mapping[int, list[dict[str, Any]]]) -> bool:
    """Return True when the pages showed fewer distinct records than the group has places."""
    shown = (r for q in range(group.first, group.last + 1) for r in observed.get(q, ()))
    return len(_distinct(shown)) < group.last - group.first + 1


def _agrees(
    group: TieGroup,
    window: Page,
    observed: Mapping[int, list[dict[str, Any]]],
    name: str,
) -> bool:
    """Return True when ``window`` shows the same data as the pages around ``group``."""
    start, got = window.offset, window.records
    if start + len(got) - 1 < group.last:
        return False  # the window does not reach the group's end: the data moved, or shrank

    def keys_at(position: int) -> list[object]:
        inside = [got[position - start]] if start <= position < start + len(got) else []
        return [sort_value(r, name) for r in inside + observed.get(position, [])]

    for index, record in enumerate(got):
        key = sort_value(record, name)
        if any(sort_value(o, name) != key for o in observed.get(start + index, ())):
            return False  # a sort key in another place: records moved
    for position in (group.first - 1, group.last + 1):
        if not start <= position < start + len(got):
            continue
        record = got[position - start]
        key = sort_value(record, name)
        lone = key not in keys_at(position - 1) + keys_at(position + 1)
        if lone and any(not same_record(o, record) for o in observed.get(position, ())):
            return False  # another record where a record with its own key was
    members = got[group.first - start : group.last - start + 1]
    shown = (r for q in range(group.first, group.last + 1) for r in observed.get(q, ()))
    return all(any(same_record(r, m) for m in members) for r in shown)


def settle_ties(
    run: Run,
    query: Query,
    pages: Mapping[int, Page],
    size: int,
    into: Iterable[RecordSet],
    *,
    cap: float,
    groups: Iterable[TieGroup] | None = None,
) -> Ties:
    """Read one window per tie group that lost records at a page boundary; add its records.

    Only groups that straddle a boundary and whose pages showed fewer
    distinct records than the group has places are read: under an API that
    breaks ties the same way on every request, none; when one of them is too
    large for a window, none either (the repairs that follow re-sweep).
    ``groups`` are the tie groups of :func:`boundaries` when already known. Each window is checked
    against the pages around it (:func:`_agrees`); one that disagrees means
    the data moved (``moved``), and its records are not used.
    """
    name = split_order_by(query.order_by)[0]
    if groups is None:
        groups = boundaries(pages, query, size).ties
    groups = list(groups)
    if not groups:
        return Ties()
    observed = _observed(pages, groups)
    lossy = [g for g in groups if _lost(g, observed)]
    fitting = [g for g in lossy if g.fits(size)]
    if not fitting or len(fitting) < len(lossy):
        # a group no window holds needs another sweep, which collects the others too
        return Ties(unresolved=len(lossy))
    windows = query.windows()
    offsets = sorted({g.window for g in fitting})
    cost = sum(not run.is_cached(windows, o) for o in offsets)
    if cost > cap or not check_cost(run, cost, what="Reading tie groups", hard=False):
        return Ties(unresolved=len(lossy))
    logger.info(
        "%d tie group(s) lost records at page boundaries (ties ordered anew between requests); "
        "reading %d window page(s)",
        len(fitting), len(offsets),
    )  # fmt: skip
    got = {page.offset: page for _, page in fetch_pages(run, [(windows, o) for o in offsets])}
    targets = list(into)
    moved = False
    for group in fitting:
        window = got[group.window]
        if not _agrees(group, window, observed, name):
            logger.info(
                "the window at offset %d disagrees with its pages: data moved", window.offset
            )
            moved = True
            continue
        members = window.records[group.first - window.offset : group.last - window.offset + 1]
        for records in targets:
            records.add(members, at=(0, window.offset), count_duplicates=False)
    return Ties(read=len(offsets), moved=moved)
