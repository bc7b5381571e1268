"""The sweep engine: pages fetched concurrently, journaled and counted.

:class:`Run` holds what one public call shares (counters, journals, the
progress bar, the credit cap); :func:`fetch_pages` fetches a batch of
``(query, offset)`` pages with a bounded number in flight; :func:`sweep` walks
one or more queries from their first page to their last (the records they
collect go into a :class:`~mining_licenses.client._records.RecordSet`), and
records in a :class:`Trace` what each query's pages said besides their records
(a smaller page size than asked for, empty pages past the data, short pages).

Costs are counted, not listed: a sweep knows what it would cost from
``total_count`` and the page size before it plans a single offset, and its
offsets are produced lazily, a few ahead of the requests in flight.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from mining_licenses import _terms, _wire
from mining_licenses import schema as s
from mining_licenses._errors import ApiError, BudgetExceededError
from mining_licenses._redact import get_logger
from mining_licenses.client._body import parse_page
from mining_licenses.client._calls import Call, Cancelled, OnBody, Tally
from mining_licenses.client._journal import Journal
from mining_licenses.client._progress import SweepProgress
from mining_licenses.client._query import MAX_REPEATED_PAGES, Page, Query, Trace
from mining_licenses.client._transport import Transport

logger = get_logger(__name__)

#: How often the sweep looks at its first attempts' timeouts while none ends (seconds).
_POLL: Final = 0.05
#: How many times a sweep extends itself when pages report a growing total.
MAX_GROWTH_ROUNDS: Final = 3
#: The longest the first requests of a batch are spread over (seconds).
MAX_PACE_SECONDS: Final = 0.25
#: The first requests of a batch start spread over this share of a typical response time:
#: no burst, and little of the sweep's time spent starting it.
PACE_SHARE: Final = 0.25


@dataclass
class Run:
    """What the pages of one public call share."""

    transport: Transport
    tally: Tally
    progress: SweepProgress | None  # None: no bar (not even a disabled one)
    max_in_flight: int
    journal_root: Path | None
    journal_max_age: float
    base_url: str
    budget: int | None = None
    max_total: int = 10**9
    max_empty_pages: int = 2
    ceiling_factor: float | None = None
    ceiling: float = math.inf
    journals: dict[Query, Journal] = field(default_factory=dict)
    cached: dict[Query, dict[int, dict[str, Any]]] = field(default_factory=dict)
    traces: dict[Query, Trace] = field(default_factory=dict)
    from_journal: int = 0
    page_sizes: set[int] = field(default_factory=set)  # other than asked for, seen twice
    repeats: list[tuple[int, int]] = field(default_factory=list)  # pages repeating others

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
            if query.kind != "pages":
                identity["kind"] = query.kind
            journal = Journal(self.journal_root, identity, max_age=self.journal_max_age)
            self.journals[query] = journal
            self.cached[query] = journal.load(
                lambda raw, offset: parse_page(raw, offset=offset, max_total=self.max_total)
            )
        return self.journals[query]

    def advance(self, page: Page) -> None:
        """Count ``page`` on the progress bar (nothing at all when there is none)."""
        if self.progress is not None:
            self.progress.advance(records=len(page.records), credits=self.tally.credits)

    def plan(self, pages: int) -> None:
        """Add ``pages`` to the pages the progress bar expects."""
        if self.progress is not None:
            self.progress.plan(pages)

    def sync_journals(self) -> None:
        """Flush the pages journaled since the last flush to disk (once per batch of pages)."""
        for journal in self.journals.values():
            journal.sync()

    def close_journals(self) -> None:
        """Sync and close every journal file of the call."""
        for journal in self.journals.values():
            journal.close()

    def is_cached(self, query: Query, offset: int) -> bool:
        """Return True when the page is in the journal."""
        return self.journal(query) is not None and offset in self.cached[query]

    def trace(self, query: Query) -> Trace:
        """Return what the pages of ``query`` said so far."""
        if query not in self.traces:
            self.traces[query] = Trace(size=query.limit, shared=self.repeats)
        return self.traces[query]

    @property
    def ignores_offset(self) -> bool:
        """Pages of this call repeated other offsets' records often enough to stop it."""
        return len(self.repeats) >= MAX_REPEATED_PAGES

    def credits_left(self) -> float:
        """Return the credits the budget (or, without one, the ceiling) still allows."""
        limit = min(math.inf if self.budget is None else self.budget, self.ceiling)
        return limit - self.tally.upper_bound

    def fix_ceiling(self, query: Query, page: Page) -> None:
        """Without a budget, cap the call's credits at a multiple of what ``page`` implies."""
        if self.budget is not None or self.ceiling_factor is None or math.isfinite(self.ceiling):
            return
        pages = query.pages_for(page.total_count, self.trace(query).size)
        self.ceiling = math.ceil(self.ceiling_factor * pages) + len(s.PROVINCES)
        logger.debug("no budget given: this call may spend at most %d credits", self.ceiling)


def _page(offset: int, limit: int, body: Mapping[str, Any], *, from_journal: bool) -> Page:
    return Page(
        offset=offset,
        limit=limit,
        records=list(body[_wire.RESULTS]),
        total_count=int(body[_wire.PAGINATION][_wire.TOTAL_COUNT]),
        from_journal=from_journal,
        synthetic=body.get(_wire.SYNTHETIC) is True,
    )


def _keeper(run: Run, query: Query, offset: int) -> OnBody | None:
    """Return what keeps a page's body in the journal as it arrives (None: no journal)."""
    journal = run.journal(query)
    if journal is None:
        return None
    return lambda raw: journal.save(offset, raw)


def _fetch_one(
    run: Run,
    query: Query,
    offset: int,
    cancel: threading.Event,
    delay: float = 0.0,
    resume: tuple[Call, Exception] | None = None,
) -> Page:
    """Fetch one page with retries, on a thread that waits for it (blocking)."""
    if delay and cancel.wait(delay):
        raise Cancelled
    body, _ = run.transport.get_page(
        query.params(offset), tally=run.tally, cancel=cancel, max_total=run.max_total,
        on_body=_keeper(run, query, offset), resume=resume,
    )  # fmt: skip
    logger.debug("page offset=%d: %d records", offset, len(body[_wire.RESULTS]))
    return _page(offset, query.limit, body, from_journal=False)


@dataclass
class _Flight:
    """A page being fetched: its first attempt on the wire, or its retries on a thread."""

    query: Query
    offset: int
    params: dict[str, str]
    call: Call | None = None  # the first attempt, until it is handed over to the retries


def fetch_pages(
    run: Run,
    tasks: Iterable[tuple[Query, int]],
    *,
    skip_refused: bool = False,
    fresh: bool = False,
) -> Generator[tuple[Query, Page], None, None]:
    """Yield the pages of ``tasks`` as they arrive; journaled ones at once, for free.

    ``tasks`` is read lazily, only as far as the requests in flight need: at
    most ``run.max_in_flight`` are in flight and nothing else is planned
    ahead. A page's first attempt goes straight to the wire and is waited for
    here (no thread blocks on it); only a page that needs retrying (a 429, a
    5xx, a timeout, a dropped connection), or that starts while a 429's pause
    holds, gets a thread of its own that retries it. The first requests are paced
    over a quarter of a typical response time rather than sent in one burst:
    a burst is what rate limits punish, and requests that all return at once
    queue behind each other on both ends. If one page fails for good, or the
    caller stops iterating, no new request is started; the requests in flight
    finish on the wire and are journaled (they were paid for). With
    ``skip_refused``, a page the API refuses as invalid (400) is logged and
    left out instead; with ``fresh``, journaled pages are bought again.
    """
    cancel = threading.Event()
    transport = run.transport
    workers = run.max_in_flight
    pace = min(transport.typical_seconds * PACE_SHARE, MAX_PACE_SECONDS) / workers
    pool: ThreadPoolExecutor | None = None
    flights: dict[Future[Any], _Flight] = {}
    finished: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()  # one wake-up a page
    todo = iter(tasks)
    started = 0

    def retry(flight: _Flight, resume: tuple[Call, Exception] | None, delay: float = 0.0) -> None:
        nonlocal pool
        if pool is None:
            pool = ThreadPoolExecutor(workers, thread_name_prefix="mining-licenses")
        future = pool.submit(_fetch_one, run, flight.query, flight.offset, cancel, delay, resume)
        flights[future] = _Flight(flight.query, flight.offset, flight.params)
        future.add_done_callback(finished.put)

    try:
        while True:
            while len(flights) < workers and (task := next(todo, None)) is not None:
                query, offset = task
                if not fresh and run.is_cached(query, offset):
                    run.from_journal += 1
                    page = _page(offset, query.limit, run.cached[query][offset], from_journal=True)
                    run.advance(page)
                    yield query, page
                    continue
                delay = pace * started if started < workers else 0.0
                started += 1
                flight = _Flight(query, offset, query.params(offset))
                if transport.paused_for > 0:  # a 429's pause: a thread waits it out
                    retry(flight, None, delay)
                    continue
                flight.call = transport.start(
                    flight.params, tally=run.tally, cancel=cancel,
                    max_total=run.max_total, on_body=_keeper(run, query, offset), delay=delay,
                )  # fmt: skip
                flights[flight.call.future] = flight
                flight.call.future.add_done_callback(finished.put)
            if not flights:
                return
            due = _first_due(transport, flights.values())
            try:
                done = [finished.get(timeout=min(max(due - time.monotonic(), 0.0), _POLL))]
            except queue.Empty:
                done = []
            while not finished.empty():
                done.append(finished.get())
            now = time.monotonic()
            for future, flight in list(flights.items()) if now >= due else ():
                if flight.call is not None and transport.timed_out(flight.call, now):
                    del flights[future]  # retried; its late answer is still used
                    retry(flight, (flight.call, transport.timeout_error()))
            for future in done:
                if future not in flights:
                    continue  # a first attempt that timed out: its retries have it
                flight = flights.pop(future)
                query, offset = flight.query, flight.offset
                try:
                    if flight.call is None:
                        page = future.result()
                    else:
                        got = transport.outcome(flight.call, flight.params)
                        if isinstance(got, Exception):
                            retry(flight, (flight.call, got))
                            continue
                        page = _page(offset, query.limit, got[0], from_journal=False)
                except ApiError as err:
                    if not (skip_refused and err.status_code == 400):
                        raise
                    logger.warning("skipped %s: %s", dict(query.filters), err)
                    continue
                run.advance(page)
                yield query, page
    finally:
        cancel.set()
        for future, flight in flights.items():
            if flight.call is not None:
                future.cancel()  # a first attempt still queued is never sent
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        run.sync_journals()


def _first_due(transport: Transport, flights: Iterable[_Flight]) -> float:
    """Return when the first attempt on the wire longest times out (``inf``: none is)."""
    due = math.inf
    for flight in flights:
        call = flight.call
        if call is not None and call.started_at is not None:
            due = min(due, call.started_at + transport.timeout)
    return due


def check_cost(run: Run, cost: int, *, what: str, hard: bool) -> bool:
    """Return True when ``cost`` credits fit the budget; else raise (``hard``) or warn."""
    if cost <= run.credits_left():
        return True
    spent = run.tally.upper_bound
    if run.budget is not None and run.budget <= run.ceiling:
        limit = f"the budget of {run.budget}"
        how = f" Raise {_terms.option('budget')}, or narrow the filters."
    else:
        limit = (
            f"the ceiling of {run.ceiling:.0f} credits a call without "
            f"{_terms.pick('budget=', '--budget')} may spend "
            f"({run.ceiling_factor:g} times the pages total_count implies, plus one page a "
            "province)"
        )
        how = (
            f" Pass {_terms.option('budget')} (or raise "
            f"{_terms.pick('auto_budget_factor', '--auto-budget-factor')}) to allow more."
        )
    msg = (
        f"{what} needs {cost:,} more credit(s) but {limit} leaves "
        f"{max(run.credits_left(), 0):,.0f} ({spent} spent so far)."
    )
    if hard:
        raise BudgetExceededError(msg + how)
    logger.warning("%s Skipped.", msg)
    return False


def remaining_cost(
    run: Run,
    query: Query,
    seen: Mapping[int, Page],
    total: int,
    size: int,
    *,
    journaled_free: bool = True,
) -> int:
    """Credits the pages of ``query`` not yet seen nor journaled would cost (no offset listed).

    With ``journaled_free=False``: the pages not yet seen, journaled or not.
    """
    step, pages = query.step(size), query.pages_for(total, size)
    have = set(seen)
    if journaled_free and run.journal(query) is not None:
        have |= set(run.cached[query])
    return pages - sum(1 for o in have if o % step == 0 and o < pages * step)


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
    firsts: Mapping[Query, Page] | None = None,
) -> Iterator[tuple[Query, Page]]:
    """Yield every page of ``queries`` as it arrives: first pages, then the rest concurrently.

    The one page generator: :meth:`SectorsClient.iter_pages`, ``estimate``,
    ``fetch_all`` and the repairs all read pages through it.
    ``keep_going(query, first_page)`` picks the queries worth sweeping past
    their first page (``estimate`` keeps none). Each batch's cost is counted
    against the budget (or the ceiling) and ``cap`` before it is planned: over
    it, a ``hard`` sweep raises :class:`BudgetExceededError`, a soft one stops
    (having yielded nothing, or, past the first pages, what it has). With
    ``expected_total`` the whole sweep's cost is checked before the first page
    is bought. The first page, read twice, sets the page size (a server that
    sends fewer records than asked for is followed; one short answer is not);
    pages that report a larger total than
    planned extend the sweep (the data grew meanwhile); ``run.max_empty_pages``
    empty pages past the data end it. ``firsts`` are first pages already in
    hand (bought and traced by an earlier sweep): yielded again, not bought.
    """
    spent_at_start = run.tally.upper_bound
    seen: dict[Query, dict[int, Page]] = {q: {} for q in queries}
    have = dict(firsts or {})

    def affordable(cost: int) -> bool:
        left = cap - (run.tally.upper_bound - spent_at_start)
        if cost > left:
            logger.warning(
                "%s needs %d more credit(s), more than the %g its cap leaves; skipped.",
                what, cost, max(left, 0),
            )  # fmt: skip
            return False
        return check_cost(run, cost, what=what, hard=hard)

    if expected_total is None:
        planned = sum(not (q in have or run.is_cached(q, 0)) for q in queries)
    else:
        planned = sum(remaining_cost(run, q, {}, expected_total, q.limit) for q in queries)
    if not affordable(planned):
        return
    for query in queries:
        if query in have:
            seen[query][0] = have[query]
            yield query, have[query]
    run.plan(len(queries) - len(have))
    firsts_left = [(q, 0) for q in queries if q not in have]
    with contextlib.closing(fetch_pages(run, firsts_left, skip_refused=skip_refused)) as pages:
        for query, page in pages:
            seen[query][0] = page
            run.trace(query).first(query, page, max_empty=run.max_empty_pages)
            run.fix_ceiling(query, page)
            yield query, page
    answered = [q for q in queries if 0 in seen[q]]
    chosen = [q for q in answered if keep_going is None or keep_going(q, seen[q][0])]
    for query in chosen:  # a page size this call already saw twice needs no third reading
        trace = run.trace(query)
        if trace.candidate is not None and trace.candidate in run.page_sizes:
            trace.confirm(query, seen[query][0])
    unsure = [q for q in chosen if run.trace(q).candidate is not None]
    if unsure and affordable(len(unsure)):  # a page size other than asked for: read page 0 again
        run.plan(len(unsure))
        again = [(q, 0) for q in unsure]
        with contextlib.closing(
            fetch_pages(run, again, skip_refused=skip_refused, fresh=True)
        ) as got:
            for query, page in got:
                seen[query][0] = page
                if run.trace(query).confirm(query, page):
                    run.page_sizes.add(len(page.records))
                yield query, page
    for _ in range(MAX_GROWTH_ROUNDS + 1):
        live = [q for q in chosen if not run.trace(q).stopped]
        plan = {q: (max(p.total_count for p in seen[q].values()), run.trace(q).size) for q in live}
        unseen = sum(remaining_cost(run, q, seen[q], *plan[q], journaled_free=False) for q in live)
        if not unseen:
            return
        cost = sum(remaining_cost(run, q, seen[q], *plan[q]) for q in live)
        if not affordable(cost):
            return  # a soft sweep keeps what it has; the caller counts what is missing
        run.plan(unseen)
        tasks = (
            (q, o)
            for q in live
            for o in q.offsets(*plan[q])
            if o not in seen[q] and not run.trace(q).stopped
        )
        with contextlib.closing(fetch_pages(run, tasks, skip_refused=skip_refused)) as pages:
            for query, page in pages:
                seen[query][page.offset] = page
                run.trace(query).add(page, max_empty=run.max_empty_pages)
                yield query, page


def collect(pages: Iterable[tuple[Query, Page]]) -> dict[Query, dict[int, Page]]:
    """Gather the pages of :func:`sweep` by query and offset."""
    out: dict[Query, dict[int, Page]] = {}
    for query, page in pages:
        out.setdefault(query, {})[page.offset] = page
    return out
