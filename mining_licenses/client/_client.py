"""The API client: complete, fast, credit-safe sweeps of ``/v2/mining/licenses/``.

:class:`SectorsClient` validates every parameter before it sends anything,
fetches the first page to learn ``total_count`` and then the other pages
concurrently (a bounded number in flight), retries what is worth retrying,
counts the credits the provider bills, journals each page on disk so that an
interrupted sweep resumes where it stopped, and checks the result against
``total_count``, repairing a shortfall (another ``order_by``, or one sweep per
province) before it reports a sweep complete. It returns plain records (dicts,
as the API sent them); turning them into a frame is :mod:`normalize`'s job.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import httpx

from mining_licenses import _config, _wire
from mining_licenses import _validate as v
from mining_licenses._errors import (
    AuthenticationError,
    ConfigurationError,
    IncompleteSweepError,
)
from mining_licenses._filters import validate_filters
from mining_licenses._redact import get_logger, redact
from mining_licenses.client._address import checked_base_url
from mining_licenses.client._body import auth_help
from mining_licenses.client._calls import Tally
from mining_licenses.client._journal import check_journal_root, prune_journals
from mining_licenses.client._options import SWEEP_NAMES, PullOptions
from mining_licenses.client._progress import SweepProgress
from mining_licenses.client._query import Page, Query
from mining_licenses.client._records import RecordSet
from mining_licenses.client._repair import first_outcome, make_whole
from mining_licenses.client._results import (
    Estimate,
    SweepResult,
    incomplete_reasons,
    log_result,
)
from mining_licenses.client._sweep import Run, remaining_cost, sweep
from mining_licenses.client._ties import SWEEP_ORDERS, choose_order
from mining_licenses.client._transport import Transport

logger = get_logger(__name__)

_USER_AGENT: Final = "mining-licenses (python; httpx)"
_JOURNAL_FOLDER: Final = "journal"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SectorsClient:
    """A client of the Sectors mining-licenses endpoint.

    Parameters
    ----------
    api_key
        The Sectors API key; defaults to ``SECTORS_API_KEY``. It is only ever
        sent in the ``Authorization`` header and never shown or written.
    base_url
        Defaults to ``SECTORS_BASE_URL`` or ``https://api.sectors.app``.
        ``http://`` is refused unless the host is loopback or ``allow_insecure``.
    journal_dir
        Where sweeps journal their pages; defaults to ``journal/`` in the
        snapshot store (``MINING_LICENSES_DATA``).
    options
        A :class:`~mining_licenses.client.PullOptions`; defaults to its defaults.
    **overrides
        Fields of :class:`~mining_licenses.client.PullOptions` to change
        (``max_in_flight=8``, ``timeout=10``, ``progress=False``...).

    Examples
    --------
    >>> client = SectorsClient("my-key", base_url="http://127.0.0.1:8000", progress=False)
    >>> client
    SectorsClient(base_url='http://127.0.0.1:8000', api_key=<set>, max_in_flight=4)
    >>> client.close()
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        journal_dir: str | Path | None = None,
        options: PullOptions | None = None,
        **overrides: object,
    ) -> None:
        function = "SectorsClient"
        key = _config.api_key(api_key)
        self.options = PullOptions.given(options, function=function).replace(**overrides)
        opts = self.options
        key = _config.api_key(api_key, check=True)  # registered for redaction first
        self.base_url = checked_base_url(base_url, allow_insecure=opts.allow_insecure)
        folder = v.optional_path(journal_dir, name="journal_dir", function=function, folder=True)
        self.journal_dir = folder or _config.store_dir() / _JOURNAL_FOLDER
        self._has_key = bool(key)
        self._keyless_ok = _wire.is_loopback(httpx.URL(self.base_url).host)
        self._transport = Transport(
            self.base_url,
            key,
            timeout=opts.timeout,
            max_connections=opts.max_in_flight,
            max_attempts=opts.max_attempts,
            max_retry_seconds=opts.max_retry_seconds,
            backoff=opts.backoff,
            backoff_max=opts.backoff_max,
            user_agent=_USER_AGENT,
            max_body_bytes=opts.max_body_bytes,
            max_decoded_bytes=opts.max_decoded_bytes,
        )
        self._lifetime = Tally()

    @property
    def max_in_flight(self) -> int:
        """Requests in flight at once during a sweep."""
        return self.options.max_in_flight

    @property
    def page_size(self) -> int:
        """Records per page."""
        return self.options.page_size

    def __repr__(self) -> str:
        key = "<set>" if self._has_key else "<none>"
        return redact(
            f"SectorsClient(base_url={self.base_url!r}, api_key={key}, "
            f"max_in_flight={self.max_in_flight})"
        )

    def __reduce__(self) -> Any:
        msg = (
            "A SectorsClient cannot be pickled or copied: it holds open connections and the "
            "API key. Pickle what it returned (a SweepResult, a Pull) instead, or make a new "
            "client where it is needed."
        )
        raise ConfigurationError(msg)

    def __enter__(self) -> SectorsClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._transport.close()

    @property
    def credits_spent(self) -> int:
        """Credits billed over this client's life (2xx and 404 responses)."""
        return self._lifetime.credits

    @property
    def credits_upper_bound(self) -> int:
        """The most credits the API may have billed over this client's life.

        Adds to :attr:`credits_spent` the requests given up on (timed out,
        dropped) that the API may still have answered.
        """
        return self._lifetime.upper_bound

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent over this client's life, retries included."""
        return self._lifetime.requests

    # ---------------------------------------------------------------- helpers
    def _query(
        self,
        filters: Mapping[str, object],
        order_by: str | None,
        *,
        overlap: int = 0,
        auto: bool = False,
    ) -> Query:
        clean = validate_filters(filters)
        if overlap >= self.page_size:
            msg = f"overlap={overlap} must be smaller than page_size={self.page_size}."
            raise ConfigurationError(msg)
        order = SWEEP_ORDERS[0] if order_by is None and auto else _wire.validate_order_by(order_by)
        return Query(tuple(clean.items()), order, self.page_size, overlap)

    def require_key(self) -> None:
        """Raise :class:`AuthenticationError` now when no key is set (a loopback URL needs none).

        A pull checks this before it touches the store, so a command run
        without a key leaves nothing behind.
        """
        if not self._has_key and not self._keyless_ok:
            msg = f"No API key for {self.base_url}. {auth_help()}"
            raise AuthenticationError(msg)

    def _run(
        self,
        *,
        journal: bool,
        progress: bool,
        budget: int | None = None,
        options: PullOptions | None = None,
    ) -> Run:
        opts = options or self.options
        if journal:
            check_journal_root(self.journal_dir)  # before the first credit, not after it
        return Run(
            transport=self._transport,
            tally=Tally(),
            # no bar at all when it is off: even a disabled tqdm bar costs CPU per page (and
            # its first one in a process imports multiprocessing for tqdm's lock)
            progress=SweepProgress(enabled=True) if progress and self.options.progress else None,
            max_in_flight=self.options.max_in_flight,
            journal_root=self.journal_dir if journal else None,
            journal_max_age=self.options.journal_max_age,
            base_url=self.base_url,
            budget=budget,
            max_total=opts.max_total_count,
            max_empty_pages=opts.max_empty_pages,
            ceiling_factor=opts.auto_budget_factor,
        )

    def _finish(self, run: Run) -> None:
        # every request of the call has ended (or been closed) by now: the counts are final,
        # and a pause a 429 asked for does not outlive the call
        self._transport.settle()
        run.close_journals()
        if run.progress is not None:
            run.progress.close()
        tally = run.tally
        self._lifetime.add(
            requests=tally.requests,
            retries=tally.retries,
            credits=tally.credits,
            uncertain=tally.uncertain,
        )

    # ------------------------------------------------------------- public API
    def iter_pages(self, *, order_by: str | None = None, **filters: object) -> Iterator[Page]:
        """Yield the pages of one sweep in offset order, fetched concurrently.

        The first page tells how many there are; the rest are requested with
        up to ``max_in_flight`` in flight. No journal and no completeness
        check: that is :meth:`fetch_all`. Parameters are validated before
        any request is sent.

        Parameters
        ----------
        order_by
            A sort field of :data:`schema.ORDER_BY_FIELDS`, ``-`` for descending.
        **filters
            The API's filters (``province``, ``commodity_type``, ...).

        Examples
        --------
        >>> with SectorsClient(base_url=url, progress=False) as client:  # doctest: +SKIP
        ...     for page in client.iter_pages(province="Riau"):
        ...         print(page.offset, len(page.records))
        """
        query = self._query(filters, order_by)  # raises here, not at the first next()
        self.require_key()
        return self._pages(query)

    def _pages(self, query: Query) -> Iterator[Page]:
        run = self._run(journal=False, progress=True)
        waiting: dict[int, Page] = {}
        expected = 0
        try:
            for _, page in sweep(run, [query], what="The sweep", hard=True):
                if page.offset < expected:
                    continue  # page 0 read again (to confirm a page size), already yielded
                waiting[page.offset] = page
                while expected in waiting:  # in offset order, as they complete
                    yield waiting.pop(expected)
                    expected += query.step(run.trace(query).size)
            for offset in sorted(waiting):  # after a gap (a sweep that ended early)
                yield waiting[offset]
        finally:
            self._finish(run)

    def estimate(self, *, order_by: str | None = None, **filters: object) -> Estimate:
        """Return what a full sweep with ``filters`` would cost; spends at most one credit.

        The first page is journaled, so a :meth:`fetch_all` with the same
        filters that follows does not buy it again.

        Examples
        --------
        >>> with SectorsClient(base_url=url, progress=False) as client:  # doctest: +SKIP
        ...     client.estimate(commodity_type="Nickel").credits
        7
        """
        query = self._query(filters, order_by, overlap=self.options.overlap, auto=True)
        self.require_key()
        run = self._run(journal=True, progress=False)
        try:
            ((_, first),) = tuple(
                sweep(run, [query], what="The estimate", hard=True, keep_going=lambda *_: False)
            )
        finally:
            self._finish(run)
        size = run.trace(query).size
        return Estimate(
            total_count=first.total_count,
            pages=query.pages_for(first.total_count, size),
            credits=remaining_cost(run, query, {0: first}, first.total_count, size),
            credits_spent=run.tally.credits,
            limit=query.limit,
            order_by=query.order_by,
            filters=dict(query.filters),
        )

    def fetch_all(
        self, *, order_by: str | None = None, keep_journal: bool = False, **arguments: object
    ) -> SweepResult:
        """Sweep every page, verify the result is complete, and return the records.

        Parameters
        ----------
        order_by
            The main sweep's sort (default: the API's, ``license_expiry_date``).
        keep_journal
            Keep the journal after success (``result.journal_paths``) until
            :meth:`discard_journal`; by default it is deleted on return.
        **arguments
            The API's filters (``province=...``), and for this call the sweep
            options of :class:`~mining_licenses.client.PullOptions`: ``budget``
            (checked after the first page, before anything else is bought; a
            sweep that would cost more raises :class:`BudgetExceededError`,
            repairs that would not fit are skipped), ``strict`` (raise
            :class:`IncompleteSweepError` instead of returning an incomplete
            result; the journals are kept, so a rerun costs less), ``resume``,
            ``max_repair_rounds`` and ``max_repair_credits``.

        Returns
        -------
        SweepResult
            ``records`` and how they were collected; ``complete=False`` with
            ``missing`` when the shortfall could not be repaired.

        Examples
        --------
        >>> with SectorsClient(base_url=url, progress=False) as client:  # doctest: +SKIP
        ...     result = client.fetch_all(province="Kalimantan Timur", budget=50)
        >>> result.complete, len(result.records) == result.total_count  # doctest: +SKIP
        (True, True)
        """
        changes, filters = PullOptions.split(arguments)
        fixed = sorted(set(changes) - set(SWEEP_NAMES))
        if fixed:
            msg = (
                f"{', '.join(fixed)} configure the client, not one sweep: pass them to "
                "SectorsClient(...)."
            )
            raise ConfigurationError(msg)
        opts = self.options.replace(**changes)
        query = self._query(filters, order_by, overlap=opts.overlap, auto=True)
        self.require_key()
        if opts.resume:
            prune_journals(self.journal_dir, max_age=opts.journal_max_age)
        started = _now()
        run = self._run(journal=opts.resume, progress=True, budget=opts.budget, options=opts)
        records = RecordSet()
        try:
            query, first, heavy = choose_order(run, query, auto=order_by is None)
            pages: dict[int, Page] = {}
            for _, page in sweep(run, [query], what="The sweep", hard=True, firsts={query: first}):
                repeats = query.overlap if page.offset else 0
                records.add(page.records, at=(0, page.offset), repeats=repeats)
                pages[page.offset] = page
            outcome = first_outcome(query, pages, run.trace(query), records)
            repaired = make_whole(run, query, pages, records, outcome, opts, heavy=heavy)
            records, outcome = repaired.records, repaired.outcome
        finally:
            self._finish(run)
        missing = max(outcome.target - records.rows, 0)
        reasons = incomplete_reasons(
            distinct=records.rows,
            total=outcome.target,
            moved=outcome.changed,
            refused=outcome.failed,
            shrank=outcome.shrank,
            repeated=run.ignores_offset,
        )
        notes = outcome.notes
        if records.upstream_duplicates:
            notes += (
                f"{records.upstream_duplicates:,} row(s) repeat a license the API serves more "
                "than once (the same key twice): kept, counted as the API counts them, and "
                "flagged duplicate_wiup_code",
            )
        result = SweepResult(
            records=records.records,
            total_count=outcome.target,
            pages=len(pages),
            credits_spent=run.tally.credits,
            requests=run.tally.requests,
            retries=run.tally.retries,
            complete=not reasons,
            missing=missing,
            duplicates_dropped=records.duplicates,
            repaired_by=outcome.repaired_by,
            filters=dict(query.filters),
            order_by=query.order_by,
            limit=query.limit,
            base_url=self.base_url,
            started_at=started,
            finished_at=_now(),
            synthetic=any(page.synthetic for page in pages.values()),
            pages_from_journal=run.from_journal,
            journal_paths=tuple(j.path for j in run.journals.values() if j.path.exists()),
            totals_seen=tuple(sorted(set(outcome.totals))),
            data_changed=outcome.changed,
            stale_dropped=outcome.stale_dropped,
            credits_upper_bound=run.tally.upper_bound,
            incomplete_reasons=reasons,
            notes=notes,
            duplicates_upstream=records.upstream_duplicates,
        )
        log_result(result)
        if not result.complete and opts.strict:
            changed = " while the data changed upstream" if result.data_changed else ""
            msg = (
                f"The sweep collected {records.rows} records of "
                f"{result.total_count} ({missing} missing){changed}, after repairs "
                f"{list(result.repaired_by) or 'none'}; {result.credits_spent} credits spent; "
                f"not complete because: {', '.join(reasons)}"
                + "".join(f"; {note}" for note in result.notes)
                + ". The pages are kept in the journal: rerun later, or raise budget / "
                "max_repair_credits."
            )
            raise IncompleteSweepError(msg)
        if not keep_journal:
            self.discard_journal(result)
            result = dataclasses.replace(result, journal_paths=())
        return result

    def discard_journal(self, result: SweepResult) -> None:
        """Delete the journals of ``result`` (once its records are safely written out).

        Examples
        --------
        >>> client.discard_journal(result)  # doctest: +SKIP
        """
        root = self.journal_dir.resolve()
        for path in result.journal_paths:
            if path.resolve().parent == root:  # never anything outside the journal folder
                shutil.rmtree(path, ignore_errors=True)
