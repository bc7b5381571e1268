"""Repairing a sweep that came back short, or that saw the data change.

Offset pagination over a sort key with ties loses and duplicates records
when the server orders ties differently from one request to the next, and
any sweep is torn when records are inserted or removed between its pages.
The repairs, cheapest likely first and each bounded in credits:

- tie groups (:func:`~mining_licenses.client._windows.settle_ties`): one
  page read at each group of tied records that lost records at a page
  boundary, checked against the pages around it;
- a re-sweep under another ``order_by`` (the area first: it has the fewest
  ties); if that pass alone saw every record under one unchanging
  ``total_count``, with no record moving between its pages, it is a
  consistent view: it fills the gaps of a sweep that saw no change; after a
  change (records inserted and removed during a pass can cancel out at every
  page boundary) it replaces the torn view (records it no longer has were
  removed upstream) once a second consistent pass saw exactly the same rows;
  never when its ``total_count`` is smaller than one seen before: a smaller
  registry is never taken on trust, nothing already read is dropped and the
  sweep is not complete;
- a split by province: the first page of each province tells its count, and
  only the provinces still short are swept further (a province that fits in
  one page has no pagination hazard at all).

Sort orders the first pages showed to tie heavily are tried after the split
by province. A repair that fails (the API refuses or keeps failing) ends the
repairs; what the sweep and the steps before it collected is kept, and the
failure is noted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Final

from mining_licenses import schema as s
from mining_licenses._errors import ApiError
from mining_licenses._redact import get_logger
from mining_licenses._wire import split_order_by
from mining_licenses.client._options import PullOptions
from mining_licenses.client._query import Page, Query, Trace
from mining_licenses.client._records import RecordSet
from mining_licenses.client._results import fall_note, fell, trace_notes
from mining_licenses.client._sweep import Run, collect, sweep
from mining_licenses.client._ties import TieGroup, boundaries
from mining_licenses.client._windows import Ties, settle_ties

logger = get_logger(__name__)

#: Sort orders tried, in turn, to repair a sweep.
REPAIR_ORDERS: Final = (
    s.AREA_HA,
    f"-{s.AREA_HA}",
    s.EFFECTIVE_DATE,
    f"-{s.EFFECTIVE_DATE}",
    s.EXPIRY_DATE,
    f"-{s.EXPIRY_DATE}",
)
PROVINCE_SPLIT: Final = "province"
#: How :attr:`Outcome.repaired_by` names the pages read around tie groups.
TIE_GROUPS: Final = "tie groups"


@dataclass(frozen=True)
class Outcome:
    """What is known after a sweep (and its repairs).

    ``target`` is the largest ``total_count`` seen (growth is the freshest
    figure; a smaller figure after it is never taken on trust); ``changed``
    says the data changed and no pass saw one consistent set; ``shrank`` that
    ``total_count`` fell after a larger figure and no pass saw every record at
    the largest; ``totals`` every ``total_count`` the pages reported, in the
    order they arrived; ``failed`` that a repair step failed (``notes`` says
    which and why).
    """

    target: int
    changed: bool
    totals: tuple[int, ...] = ()
    shrank: bool = False
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


def repair_orders(order_by: str, *, heavy: Iterable[str] = ()) -> list[str]:
    """Return the sort orders to re-sweep with, the fewest ties likely first.

    Areas are nearly unique, so the area comes first (in the direction the
    sweep did not use); then one order per other field (a field's reverse ties
    on the same records as the field), then the rest; the sweep's own order
    never. Orders of the fields in ``heavy`` (seen to tie heavily) come last.

    Examples
    --------
    >>> repair_orders("-licensed_area_ha")[:2]
    ['licensed_area_ha', 'license_effective_date']
    >>> repair_orders("license_expiry_date")[:3]
    ['licensed_area_ha', 'license_effective_date', '-licensed_area_ha']
    """
    main = split_order_by(order_by)[0]
    candidates = [o for o in REPAIR_ORDERS if o != order_by]
    firsts: list[str] = []
    for order in candidates:
        field = split_order_by(order)[0]
        if (field == s.AREA_HA or field != main) and all(
            split_order_by(o)[0] != field for o in firsts
        ):
            firsts.append(order)
    rest = [o for o in candidates if o not in firsts]
    rest.sort(key=lambda o: split_order_by(o)[0] == main)  # stable: keeps the order
    ordered = firsts + rest
    ordered.sort(key=lambda o: split_order_by(o)[0] in set(heavy))
    return ordered


def plan(query: Query, union: RecordSet, target: int, *, heavy: Iterable[str] = ()) -> list[str]:
    """Return the repair steps for ``query``, the one likely cheapest first.

    A re-sweep costs one page per ``limit`` records. A province split costs a
    page per province plus, at worst, the remaining pages of every province
    (estimated from the records in hand); it goes first only when cheaper, or
    when every re-sweep order is one the first pages showed to tie heavily.
    """
    heavy = set(heavy)
    steps = repair_orders(query.order_by, heavy=heavy)
    if s.PROVINCE not in dict(query.filters):
        # the records in hand undercount each province as much as the whole
        scale = target / max(union.rows, 1)
        worst = len(s.PROVINCES) + sum(
            query.pages_for(math.ceil(union.rows_in(name) * scale)) - 1 for name in s.PROVINCES
        )
        light = sum(split_order_by(o)[0] not in heavy for o in steps)
        at = 0 if worst < query.pages_for(target) or not light else 1
        steps.insert(min(at, light), PROVINCE_SPLIT)
    return steps


def repair(
    run: Run,
    query: Query,
    records: RecordSet,
    outcome: Outcome,
    *,
    rounds: int,
    cap: int,
    heavy: Iterable[str] = (),
) -> Repaired:
    """Run repair steps until the records hold ``outcome.target`` rows or a bound is hit.

    At most ``rounds`` steps are tried (a step not needed is skipped, not
    counted); ``cap`` bounds the credits all repairs together may spend (the
    budget too). ``heavy`` names the sort fields the first pages showed to tie
    heavily. Returns new records and a new outcome; ``records`` and
    ``outcome`` are left as they were.
    """
    records = records.copy()
    orders = repair_orders(query.order_by, heavy=heavy)
    spent_before = run.tally.credits
    views: list[RecordSet] = []  # consistent passes not yet trusted
    tried = 0
    for step in plan(query, records, outcome.target, heavy=heavy):
        short = records.rows < outcome.target
        over = records.rows > outcome.target  # stale records among the current ones
        # a province split adds records but cannot tell which ones went stale
        if not short and (step == PROVINCE_SPLIT or not (outcome.changed or over)):
            continue  # a step not needed is not a round
        if run.ignores_offset:
            outcome = outcome.noted(
                "repairs stopped: pages repeated other offsets' records (the API ignores offset)"
            )
            break
        if tried == rounds:
            break
        tried += 1
        left = cap - (run.tally.credits - spent_before)
        logger.info(
            "sweep has %d of %d licenses%s; repairing by %s (up to %d credits)",
            records.rows, outcome.target, ", data changed" if outcome.changed else "",
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
            if not found:
                outcome = outcome.noted(
                    f"repair by {name} skipped: it did not fit the credits left"
                )
                continue  # not affordable within the cap or the budget
            seen = tuple(page.total_count for page in found.values())
            view = RecordSet()
            rank = records.new_pass()
            for offset, page in found.items():
                view.add(page.records, at=(rank, offset))
                records.add(page.records, at=(rank, offset), count_duplicates=False)
            size = run.trace(again).size
            bounds = boundaries(found, again, size)
            moved = bool(bounds.moved)
            ties = Ties()
            if not moved and len(set(seen)) == 1 and view.rows < seen[0]:
                left = cap - (run.tally.credits - spent_before)
                ties = settle_ties(
                    run, again, found, size, (view, records), cap=left, groups=bounds.ties
                )
        except ApiError as err:
            logger.warning("repair by %s failed; keeping what was collected: %s", name, err)
            outcome = outcome.noted(f"repair by {name} failed: {err}", failed=True)
            break
        largest = max(outcome.totals, default=0)
        outcome = replace(
            outcome,
            target=max(largest, *seen),  # growth is news; a smaller figure is never trusted alone
            totals=outcome.totals + seen,
            repaired_by=(*outcome.repaired_by, name) + ((TIE_GROUPS,) if ties.read else ()),
        )
        moved = moved or ties.moved
        consistent = len(set(seen)) == 1 and view.rows == seen[0] and not moved
        # a pass that saw every record of one unchanging set, no smaller than any seen before,
        # is the truth when it only fills gaps in a sweep that saw no change; otherwise (data
        # inserted and removed during it can cancel out at every page boundary) when a second
        # such pass saw exactly the same rows
        trusted = consistent and (
            (not outcome.changed and records.outside(view) == 0)
            or any(view.same_rows(other) for other in views)
        )
        if consistent and seen[0] >= largest and not trusted:
            views.append(view)
            outcome = replace(outcome, changed=True).noted(
                f"the repair by {name} saw {seen[0]:,} records consistently while the data had "
                "changed: trusted only once another pass sees the same rows"
            )
        elif consistent and seen[0] >= largest:
            # what it no longer has was removed upstream
            dropped = records.keep_only(view)
            outcome = replace(
                outcome,
                target=seen[0],
                changed=False,
                shrank=False,
                stale_dropped=outcome.stale_dropped + dropped,
            )
        elif consistent:
            outcome = replace(outcome, changed=True, shrank=True).noted(
                f"the repair by {name} saw {seen[0]:,} records consistently, fewer than the "
                f"{largest:,} pages showed before: a smaller registry is not taken on trust "
                "from one pass, and nothing already read was dropped"
            )
        elif len(set(seen)) > 1 or moved:
            fallen = bool(fell(seen)) or min(seen) < largest
            outcome = replace(outcome, changed=True, shrank=outcome.shrank or fallen)
    return Repaired(records, outcome)


def _by_province(run: Run, base: Query, records: RecordSet, cap: float) -> bool:
    """Sweep, per province, past the first page only where the province is still short."""
    queries = [base.with_(province=name) for name in s.PROVINCES]
    ranks = {query: records.new_pass() for query in queries}

    def still_short(query: Query, first: Page) -> bool:
        province = str(dict(query.filters)[s.PROVINCE])
        return records.rows_in(province) < first.total_count

    # the provider lists 36 of the 38 provinces: one it refuses (400, free) is skipped
    found = False
    for query, page in sweep(
        run, queries, what="Repair by province", hard=False, cap=cap, keep_going=still_short,
        skip_refused=True,
    ):  # fmt: skip
        records.add(page.records, at=(ranks[query], page.offset), count_duplicates=False)
        found = True
    return found


def _settle_tie_groups(
    run: Run,
    query: Query,
    pages: Mapping[int, Page],
    records: RecordSet,
    outcome: Outcome,
    *,
    cap: int,
    groups: list[TieGroup],
) -> Outcome:
    """Read the tie groups the main sweep lost records in (see :func:`settle_ties`)."""
    size = run.trace(query).size
    try:
        ties = settle_ties(run, query, pages, size, (records,), cap=cap, groups=groups)
    except ApiError as err:
        logger.warning("reading tie groups failed; keeping what was collected: %s", err)
        return outcome.noted(f"reading tie groups failed: {err}", failed=True)
    if ties.read:
        outcome = replace(outcome, repaired_by=(*outcome.repaired_by, TIE_GROUPS))
    if ties.moved:
        outcome = replace(outcome, changed=True).noted(
            "a page read around a tie group disagreed with the pages it repeats: records "
            "moved during the sweep"
        )
    return outcome


def first_outcome(
    query: Query, pages: Mapping[int, Page], trace: Trace, records: RecordSet
) -> Outcome:
    """Return what the main sweep's pages (in arrival order) say before any repair."""
    totals = tuple(page.total_count for page in pages.values())
    moved_at = boundaries(pages, query, trace.size).moved
    fall = fall_note(pages, kept=records.rows)
    return Outcome(
        target=max(totals),
        changed=len(set(totals)) > 1 or bool(moved_at),
        totals=totals,
        shrank=fall is not None,
        notes=trace_notes(query, trace, moved_at, max(totals)) + ((fall,) if fall else ()),
    )


def make_whole(
    run: Run,
    query: Query,
    pages: Mapping[int, Page],
    records: RecordSet,
    outcome: Outcome,
    opts: PullOptions,
    *,
    heavy: set[str],
) -> Repaired:
    """After the main sweep: read lost tie groups, then repair a short or torn sweep.

    Bounded by ``opts.max_repair_rounds`` and ``opts.max_repair_credits``
    (default: two sweeps' worth plus one page a province). Nothing is tried
    when the API serves fewer records than its ``total_count`` says.
    """
    records = records.copy()  # the caller's set stays as it was
    trace = run.trace(query)
    bounds = boundaries(pages, query, trace.size)
    cap = opts.max_repair_credits
    if cap is None:
        cap = 2 * query.pages_for(outcome.target, trace.size) + len(s.PROVINCES)
    if opts.max_repair_rounds and run.ignores_offset:
        outcome = outcome.noted(
            "no repair was tried: an API that answers other offsets with the same records "
            "would do so under any order or split"
        )
    elif opts.max_repair_rounds and trace.ended:
        if records.rows != outcome.target or outcome.changed:
            outcome = outcome.noted(
                "no repair was tried: the API serves fewer records than its total_count "
                "says, and no other order or split can find records it does not serve"
            )
    elif opts.max_repair_rounds:
        spent = run.tally.credits
        if not outcome.changed and bounds.ties:
            outcome = _settle_tie_groups(
                run, query, pages, records, outcome, cap=cap, groups=bounds.ties
            )
        if not outcome.failed and (records.rows != outcome.target or outcome.changed):
            repaired = repair(
                run, query, records, outcome, rounds=opts.max_repair_rounds,
                cap=cap - (run.tally.credits - spent), heavy=heavy,
            )  # fmt: skip
            records, outcome = repaired.records, repaired.outcome
    return Repaired(records, outcome)
