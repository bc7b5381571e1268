"""The sweep engine: pages fetched concurrently, journaled and counted.

:class:`Run` holds what one public call shares (counters, journals, the
progress bar, the credit cap); :func:`fetch_pages` fetches a batch of
``(query, offset)`` pages with a bounded number in flight; :func:`sweep` walks
one or more queries from their first page to their last (the records they
collect go into a :class:`~mining_licenses.client._records.RecordSet`).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from mining_licenses import _wire
from mining_licenses import schema as s
from mining_licenses._errors import ApiError, BudgetExceededError
from mining_licenses._filters import FilterValue
from mining_licenses.client._journal import Journal
from mining_licenses.client._progress import SweepProgress
from mining_licenses.client._transport import Cancelled, Tally, Transport

logger = logging.getLogger(__name__)

#: How many times a sweep extends itself when pages report a growing total.
MAX_GROWTH_ROUNDS: Final = 3
#: The longest the first requests of a batch are spread over (seconds).
MAX_PACE_SECONDS: Final = 1.0


@dataclass(frozen=True)
class Query:
    """One sweep's identity: validated filters, ``order_by`` and page size."""

    filters: tuple[tuple[str, FilterValue], ...]
    order_by: str
    limit: int

    def params(self, offset: int) -> dict[str, str]:
        """Return the query parameters of the page at ``offset``."""
        params = _wire.encode_filters(dict(self.filters))
        params[_wire.ORDER_BY] = self.order_by
        params[_wire.LIMIT] = str(self.limit)
        params[_wire.OFFSET] = str(offset)
        return params

    def pages_for(self, total: int) -> int:
        """Return the pages a sweep of ``total`` records takes (an empty result is one)."""
        return max(1, math.ceil(total / self.limit))

    def offsets(self, total: int) -> range:
        """Return every page offset of a sweep of ``total`` records."""
        return range(0, self.pages_for(total) * self.limit, self.limit)

    def with_(self, *, order_by: str | None = None, **filters: FilterValue) -> Query:
        """Return a copy with another ``order_by`` and/or more filters."""
        merged = dict(self.filters) | filters
        ordered = tuple((k, merged[k]) for k in s.FILTERS if k in merged)
        return Query(ordered, order_by or self.order_by, self.limit)


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
class Run:
    """What the pages of one public call share."""

    transport: Transport
    tally: Tally
    progress: SweepProgress
    max_in_flight: int
    journal_root: Path | None
    journal_max_age: float
    base_url: str
    budget: int | None = None
    journals: dict[Query, Journal] = field(default_factory=dict)
    cached: dict[Query, dict[int, dict[str, Any]]] = field(default_factory=dict)
    from_journal: int = 0

    def journal(self, query: Query) -> Journal | None:
        """Return the journal of ``query`` (loaded once), or None when not journaling."""
        if self.journal_root is None:
            return None
        if query not in self.journals:
            identity = {
                "base_url": self.base_url,
                "endpoint": _wire.ENDPOINT_PATH,
                "filters": dict(query.filters),
                "order_by": query.order_by,
                "limit": query.limit,
            }
            journal = Journal(self.journal_root, identity, max_age=self.journal_max_age)
            self.journals[query] = journal
            self.cached[query] = journal.load()
        return self.journals[query]

    def is_cached(self, query: Query, offset: int) -> bool:
        """Return True when the page is in the journal."""
        return self.journal(query) is not None and offset in self.cached[query]

    def credits_left(self) -> float:
        """Return the credits the budget still allows (infinite without a budget)."""
        return math.inf if self.budget is None else self.budget - self.tally.credits


def _page(offset: int, limit: int, body: Mapping[str, Any], *, from_journal: bool) -> Page:
    return Page(
        offset=offset,
        limit=limit,
        records=list(body[_wire.RESULTS]),
        total_count=int(body[_wire.PAGINATION][_wire.TOTAL_COUNT]),
        from_journal=from_journal,
        synthetic=body.get(_wire.SYNTHETIC) is True,
    )


def _fetch_one(
    run: Run, query: Query, offset: int, cancel: threading.Event, delay: float = 0.0
) -> Page:
    if delay and cancel.wait(delay):
        raise Cancelled
    body, raw = run.transport.get_page(query.params(offset), tally=run.tally, cancel=cancel)
    journal = run.journal(query)
    if journal is not None:
        journal.save(offset, raw)
    logger.debug("page offset=%d: %d records", offset, len(body[_wire.RESULTS]))
    return _page(offset, query.limit, body, from_journal=False)


def fetch_pages(
    run: Run, tasks: Iterable[tuple[Query, int]], *, skip_refused: bool = False
) -> Iterator[tuple[Query, Page]]:
    """Yield the pages of ``tasks`` as they arrive: journaled ones first, for free.

    At most ``run.max_in_flight`` requests are in flight. The first ones are
    paced over one typical response time rather than sent in one burst: a
    burst is what rate limits punish, and requests that all return at once
    queue behind each other on both ends. If one page fails for good, or the
    caller stops iterating, no new request is started and the requests in
    flight finish (and are journaled: they were paid for). With
    ``skip_refused``, a page the API refuses as invalid (400) is logged and
    left out instead.
    """
    to_fetch: list[tuple[Query, int]] = []
    for query, offset in tasks:
        if run.is_cached(query, offset):
            run.from_journal += 1
            page = _page(offset, query.limit, run.cached[query][offset], from_journal=True)
            run.progress.advance(records=len(page.records), credits=run.tally.credits)
            yield query, page
        else:
            to_fetch.append((query, offset))
    if not to_fetch:
        return
    cancel = threading.Event()
    workers = min(run.max_in_flight, len(to_fetch))
    pace = min(run.transport.typical_seconds, MAX_PACE_SECONDS) / workers
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mining-licenses")
    try:
        pending: dict[Future[Page], Query] = {
            pool.submit(
                _fetch_one, run, query, offset, cancel, pace * index if index < workers else 0.0
            ): query
            for index, (query, offset) in enumerate(to_fetch)
        }
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                query = pending.pop(future)
                try:
                    page = future.result()
                except ApiError as err:
                    if not (skip_refused and err.status_code == 400):
                        raise
                    logger.warning("skipped %s: %s", dict(query.filters), err)
                    continue
                run.progress.advance(records=len(page.records), credits=run.tally.credits)
                yield query, page
    finally:
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)


def check_cost(run: Run, cost: int, *, what: str, hard: bool) -> bool:
    """Return True when ``cost`` credits fit the budget; else raise (``hard``) or warn."""
    if cost <= run.credits_left():
        return True
    msg = (
        f"{what} needs {cost} more credit(s) but the budget of {run.budget} leaves "
        f"{max(run.credits_left(), 0):g} ({run.tally.credits} spent so far)."
    )
    if hard:
        raise BudgetExceededError(msg + " Raise budget=..., or narrow the filters.")
    logger.warning("%s Skipped.", msg)
    return False


def sweep(
    run: Run,
    queries: list[Query],
    *,
    what: str,
    hard: bool,
    cap: float = math.inf,
    keep_going: Callable[[Query, Page], bool] | None = None,
    expected_total: int | None = None,
    skip_refused: bool = False,
) -> Iterator[tuple[Query, Page]]:
    """Yield every page of ``queries`` as it arrives: first pages, then the rest concurrently.

    The one page generator: :meth:`SectorsClient.iter_pages`, ``estimate``,
    ``fetch_all`` and the repairs all read pages through it.
    ``keep_going(query, first_page)`` picks the queries worth sweeping past
    their first page (``estimate`` keeps none). Each batch is checked against
    the budget and ``cap`` (credits) before it is sent: over it, a ``hard``
    sweep raises :class:`BudgetExceededError`, a soft one stops (having
    yielded nothing, or, past the first pages, what it has). With
    ``expected_total`` the whole sweep's cost is checked before the first
    page is bought. Pages that report a larger total than planned extend the
    sweep (the data grew meanwhile).
    """
    spent_at_start = run.tally.credits
    seen: dict[Query, dict[int, Page]] = {q: {} for q in queries}

    def affordable(tasks: list[tuple[Query, int]]) -> bool:
        cost = sum(not run.is_cached(q, o) for q, o in tasks)
        left = cap - (run.tally.credits - spent_at_start)
        if cost > left:
            logger.warning(
                "%s needs %d more credit(s), more than the %g its cap leaves; skipped.",
                what, cost, max(left, 0),
            )  # fmt: skip
            return False
        return check_cost(run, cost, what=what, hard=hard)

    firsts = [(q, 0) for q in queries]
    planned = firsts
    if expected_total is not None:
        planned = [(q, o) for q in queries for o in q.offsets(expected_total)]
    if not affordable(planned):
        return
    run.progress.plan(len(firsts))
    for query, page in fetch_pages(run, firsts, skip_refused=skip_refused):
        seen[query][0] = page
        yield query, page
    answered = [q for q in queries if 0 in seen[q]]
    chosen = [q for q in answered if keep_going is None or keep_going(q, seen[q][0])]
    for _ in range(MAX_GROWTH_ROUNDS + 1):
        totals = {q: max(p.total_count for p in seen[q].values()) for q in chosen}
        rest = [(q, o) for q in chosen for o in q.offsets(totals[q]) if o not in seen[q]]
        if not rest or not affordable(rest):
            return  # a soft sweep keeps what it has; the caller counts what is missing
        run.progress.plan(len(rest))
        for query, page in fetch_pages(run, rest, skip_refused=skip_refused):
            seen[query][page.offset] = page
            yield query, page


def collect(pages: Iterable[tuple[Query, Page]]) -> dict[Query, dict[int, Page]]:
    """Gather the pages of :func:`sweep` by query and offset."""
    out: dict[Query, dict[int, Page]] = {}
    for query, page in pages:
        out.setdefault(query, {})[page.offset] = page
    return out
