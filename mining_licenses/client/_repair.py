"""Repairing a sweep that came back short, or that saw the data change.

Offset pagination over a sort key with ties loses and duplicates records
when the server orders ties differently from one request to the next, and
any sweep is torn when records are inserted or removed between its pages.
The repairs, cheapest likely first and each bounded in credits:

- a re-sweep under another ``order_by`` (``licensed_area_ha`` first: it has
  the fewest ties); if that pass alone saw every record under one unchanging
  ``total_count``, it is a consistent view and replaces the torn one;
- a split by province: the first page of each province tells its count, and
  only the provinces still short are swept further (a province that fits in
  one page has no pagination hazard at all).

A repair that fails (the API refuses or keeps failing) ends the repairs; what
the sweep and the steps before it collected is kept, and the failure is noted.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import Final

from mining_licenses import schema as s
from mining_licenses._errors import ApiError
from mining_licenses._wire import split_order_by
from mining_licenses.client._records import RecordSet
from mining_licenses.client._sweep import Page, Query, Run, collect, misaligned, sweep

logger = logging.getLogger(__name__)

#: Sort orders tried, in turn, to repair a sweep.
REPAIR_ORDERS: Final = (
    s.AREA_HA,
    s.EFFECTIVE_DATE,
    f"-{s.AREA_HA}",
    f"-{s.EFFECTIVE_DATE}",
    s.EXPIRY_DATE,
    f"-{s.EXPIRY_DATE}",
)
PROVINCE_SPLIT: Final = "province"


@dataclass(frozen=True)
class Outcome:
    """What is known after a sweep (and its repairs).

    ``target`` is the freshest ``total_count``; ``changed`` says the data
    changed and no pass saw one consistent set; ``totals`` every
    ``total_count`` the pages reported; ``failed`` that a repair step failed
    (``notes`` says which and why).
    """

    target: int
    changed: bool
    totals: tuple[int, ...] = ()
    repaired_by: tuple[str, ...] = ()
    stale_dropped: int = 0
    failed: bool = False
    notes: tuple[str, ...] = ()

    def noted(self, note: str, *, failed: bool = False) -> Outcome:
        """Return a copy with ``note`` added (and ``failed`` set when asked)."""
        return replace(self, notes=(*self.notes, note), failed=self.failed or failed)


@dataclass(frozen=True)
class Repaired:
    """The result of :func:`repair`: a new record set and outcome (the inputs are untouched)."""

    records: RecordSet
    outcome: Outcome


def repair_orders(order_by: str) -> list[str]:
    """Return the sort orders to re-sweep with: one per other field first.

    A field's reverse ties on the same records as the field, so it comes
    after every other field; the main sweep's own field comes last.

    Examples
    --------
    >>> repair_orders("-licensed_area_ha")[:2]
    ['license_effective_date', 'license_expiry_date']
    """
    main = split_order_by(order_by)[0]
    candidates = [o for o in REPAIR_ORDERS if o != order_by]
    firsts: list[str] = []
    for order in candidates:
        field = split_order_by(order)[0]
        if field != main and all(split_order_by(o)[0] != field for o in firsts):
            firsts.append(order)
    rest = [o for o in candidates if o not in firsts]
    rest.sort(key=lambda o: split_order_by(o)[0] == main)  # stable: keeps the order
    return firsts + rest


def plan(query: Query, union: RecordSet, target: int) -> list[str]:
    """Return the repair steps for ``query``, the one likely cheapest first.

    A re-sweep costs one page per ``limit`` records. A province split costs a
    page per province plus, at worst, the remaining pages of every province
    (estimated from the records in hand); it goes first only when cheaper.
    """
    steps = repair_orders(query.order_by)
    if s.PROVINCE not in dict(query.filters):
        # the records in hand undercount each province as much as the whole
        scale = target / max(union.distinct, 1)
        worst = len(s.PROVINCES) + sum(
            query.pages_for(math.ceil(union.distinct_in(name) * scale)) - 1 for name in s.PROVINCES
        )
        steps.insert(0 if worst < query.pages_for(target) else 1, PROVINCE_SPLIT)
    return steps


def repair(
    run: Run, query: Query, records: RecordSet, outcome: Outcome, *, rounds: int, cap: int
) -> Repaired:
    """Run repair steps until the records hold ``outcome.target`` licenses or a bound is hit.

    ``cap`` bounds the credits all repairs together may spend (the budget
    too). Returns new records and a new outcome; ``records`` and ``outcome``
    are left as they were.
    """
    records = records.copy()
    orders = repair_orders(query.order_by)
    spent_before = run.tally.credits
    for step in plan(query, records, outcome.target)[:rounds]:
        short = records.distinct < outcome.target
        over = records.distinct > outcome.target  # stale records among the current ones
        # a province split adds records but cannot tell which ones went stale
        if not short and (step == PROVINCE_SPLIT or not (outcome.changed or over)):
            continue
        left = cap - (run.tally.credits - spent_before)
        logger.info(
            "sweep has %d of %d licenses%s; repairing by %s (up to %d credits)",
            records.distinct, outcome.target, ", data changed" if outcome.changed else "",
            step, left,
        )  # fmt: skip
        if left <= 0:
            outcome = outcome.noted(f"repairs stopped: their cap of {cap} credits is spent")
            break
        name = PROVINCE_SPLIT if step == PROVINCE_SPLIT else f"order_by={step}"
        try:
            if step == PROVINCE_SPLIT:
                if _by_province(run, query.with_(order_by=orders[0]), records, left):
                    outcome = replace(outcome, repaired_by=(*outcome.repaired_by, PROVINCE_SPLIT))
                continue
            again = query.with_(order_by=step)
            found = collect(
                sweep(
                    run, [again], what=f"Repair by {name}", hard=False, cap=left,
                    expected_total=outcome.target,
                )
            ).get(again)  # fmt: skip
        except ApiError as err:
            logger.warning("repair by %s failed; keeping what was collected: %s", name, err)
            outcome = outcome.noted(f"repair by {name} failed: {err}", failed=True)
            break
        if not found:
            outcome = outcome.noted(f"repair by {name} skipped: it did not fit the credits left")
            continue  # not affordable within the cap or the budget
        seen = tuple(page.total_count for page in found.values())
        view = RecordSet()
        view.add_pages(found)
        records.add_pages(found, rank=records.new_pass(), count_duplicates=False)
        outcome = replace(
            outcome,
            target=max(seen),  # the newest full view of the data
            totals=outcome.totals + seen,
            repaired_by=(*outcome.repaired_by, name),
        )
        moved = misaligned(found, again, run.trace(again).size)
        if len(set(seen)) == 1 and view.distinct == seen[0] and not moved:
            # this pass alone saw every record of one unchanging set: it is the truth
            dropped = records.keep_only(view)
            outcome = replace(outcome, changed=False, stale_dropped=outcome.stale_dropped + dropped)
        elif len(set(seen)) > 1 or moved:
            outcome = replace(outcome, changed=True)
    return Repaired(records, outcome)


def _by_province(run: Run, base: Query, records: RecordSet, cap: float) -> bool:
    """Sweep, per province, past the first page only where the province is still short."""
    queries = [base.with_(province=name) for name in s.PROVINCES]
    ranks = {query: records.new_pass() for query in queries}

    def still_short(query: Query, first: Page) -> bool:
        province = str(dict(query.filters)[s.PROVINCE])
        return records.distinct_in(province) < first.total_count

    # the provider lists 36 of the 38 provinces: one it refuses (400, free) is skipped
    found = False
    for query, page in sweep(
        run, queries, what="Repair by province", hard=False, cap=cap, keep_going=still_short,
        skip_refused=True,
    ):  # fmt: skip
        records.add(page.records, at=(ranks[query], page.offset), count_duplicates=False)
        found = True
    return found
