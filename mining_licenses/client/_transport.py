"""One page request: the auth header, retries, status checks, credit count.

Everything that touches the network for the client lives here (and in
``_http``, the bounded exchange itself). A page is requested through
:meth:`Transport.get_page`, which retries 429, 5xx, timeouts and dropped
connections with tenacity (``Retry-After`` honoured up to the time the page
may spend retrying, otherwise exponential backoff with full jitter, bounded
in attempts and in time), turns 400/401/403/404 into typed errors at once, and
counts requests and billed credits. The API key only ever goes into the
``Authorization`` header; any text the server sends back reaches an error or a
log only through :func:`mining_licenses._redact.redact`, and a page body that
carries the key is refused (:func:`~._body.answer`).

Requests go out on a pool of ``max_in_flight`` wire threads: that many and no
more are ever on the wire. A request that outlives ``timeout`` is given up on
(the page is retried) but its connection is kept, still holding its place,
for as long again: a server still producing the answer is not sent more
requests than ``max_in_flight``, and a late answer is counted (it is billed)
and used if the page still needs it. One that never answers is closed and
counted as possibly billed: ``credits`` is what the server certainly billed,
``credits + uncertain`` the most it may have.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Final

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    sleep_using_event,
    wait_random_exponential,
)

from mining_licenses import _wire
from mining_licenses._errors import ApiError, RateLimitedError
from mining_licenses._redact import get_logger, redact
from mining_licenses.client import _http
from mining_licenses.client._body import MAX_MESSAGE, answer, bad_page
from mining_licenses.client._calls import (
    Body,
    Call,
    Cancelled,
    OnBody,
    Retryable,
    Tally,
)
from mining_licenses.client._ratelimit import Gate, rate_limited

logger = get_logger(__name__)

_RETRIED_TRANSPORT_ERRORS: Final = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
#: Errors raised before the request left: the server never saw it, nothing was billed.
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout)
#: How often a waiting worker looks at its cancel event (seconds).
_POLL: Final = 0.05
#: A request is given up on after ``timeout`` and closed after this many times it.
LINGER_FACTOR: Final = 2.0


class Transport:
    """An httpx session for the endpoint with retries configured in one place."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float,
        max_connections: int,
        max_attempts: int,
        max_retry_seconds: float,
        backoff: float,
        backoff_max: float,
        user_agent: str,
        max_body_bytes: int,
        max_decoded_bytes: int,
    ) -> None:
        self.url = base_url + _wire.ENDPOINT_PATH
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",  # what _http decompresses, in bounded steps
            "User-Agent": user_agent,
        }
        if api_key:
            headers["Authorization"] = api_key  # raw, no "Bearer": the API's contract
        # per-operation timeouts at the linger bound; the deadline cuts each request there
        self._http = _http.session(
            self.url,
            headers=headers,
            timeout=LINGER_FACTOR * timeout,
            max_connections=max_connections,
        )
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_retry_seconds = max_retry_seconds
        self.max_body_bytes = max_body_bytes
        self.max_decoded_bytes = max_decoded_bytes
        self._backoff = wait_random_exponential(multiplier=backoff, max=backoff_max)
        self._gate = Gate()
        self._wire = ThreadPoolExecutor(
            max_workers=max_connections, thread_name_prefix="mining-licenses-wire"
        )
        self._outstanding: set[Future[Body]] = set()
        self._lock = threading.Lock()
        #: A moving average of how long a successful request takes (0 until one did).
        self.typical_seconds = 0.0

    def close(self) -> None:
        """Close the connection pool (lingering requests end at once)."""
        self._wire.shutdown(wait=False, cancel_futures=True)
        self._http.close()
        self._wire.shutdown(wait=True)

    def __repr__(self) -> str:
        return f"Transport({self.url!r})"

    @property
    def paused_for(self) -> float:
        """Seconds every request still waits because of a 429 (0 when none)."""
        return self._gate.pending()

    @property
    def on_the_wire(self) -> int:
        """Requests started and not yet finished (lingering ones included)."""
        with self._lock:
            return sum(f.running() for f in self._outstanding)

    def settle(self) -> None:
        """Wait until no request of this client is on the wire, then lift any 429 pause.

        Every request ends by its deadline (``LINGER_FACTOR * timeout``), so this
        is bounded; afterwards the counts of every tally are final.
        """
        with self._lock:
            outstanding = list(self._outstanding)
        wait(outstanding)
        self._gate.clear()

    def _wait(self, state: RetryCallState) -> float:
        err = state.outcome.exception() if state.outcome else None
        retry_after = err.retry_after if isinstance(err, Retryable) else None
        delay = retry_after if retry_after is not None else self._backoff(state)
        if isinstance(err, Retryable) and err.status_code == 429:
            self._gate.push(delay)  # every worker slows down, not only this one
        return delay

    def start(
        self,
        params: Mapping[str, str],
        *,
        tally: Tally,
        cancel: threading.Event,
        max_total: int,
        on_body: OnBody | None = None,
        delay: float = 0.0,
    ) -> Call:
        """Hand a page's first attempt to the wire at once and return it (no thread waits).

        The caller waits for ``call.future`` (or for :meth:`timed_out`) and
        reads it with :meth:`outcome`; a failure worth retrying is continued
        with :meth:`get_page` (``resume=``), which also uses a late answer of
        this attempt. ``delay`` seconds pass on the wire thread before sending
        (the pacing of a batch's first requests).
        """
        call = Call(None, time.monotonic())  # nobody waits on a thread for it
        self._submit(call, params, tally, max_total, on_body, delay, cancel)
        return call

    def timed_out(self, call: Call, now: float) -> bool:
        """Return True when ``call`` has been on the wire for ``timeout`` without an answer."""
        started = call.started_at
        return started is not None and now - started >= self.timeout and not call.future.done()

    def timeout_error(self) -> Exception:
        """Return the failure a timed-out attempt is retried from."""
        msg = f"timed out: no complete answer within timeout={self.timeout:g} s"
        return Retryable(msg, status_code=None)

    def outcome(self, call: Call, params: Mapping[str, str]) -> Body | Exception:
        """Return the answer of a finished first attempt, or the failure to retry it from.

        Raises what is not worth retrying (see :meth:`get_page`).
        """
        try:
            return self._result(call.future, params, call.first)
        except Retryable as err:
            return err

    def get_page(
        self,
        params: Mapping[str, str],
        *,
        tally: Tally,
        cancel: threading.Event,
        max_total: int,
        on_body: OnBody | None = None,
        resume: tuple[Call, Exception] | None = None,
    ) -> Body:
        """Return one page's JSON body, parsed and raw, retrying what is worth retrying.

        ``resume`` continues from a first attempt made by :meth:`start` and
        the failure it ended with (a late answer of it is still used).

        Raises
        ------
        AuthenticationError
            On 401/403, with how to set the key.
        RateLimitedError
            On a 429 whose ``Retry-After`` is longer than the page may still wait.
        BadResponseError
            On a page that cannot be used (see :func:`~._body.parse_page`).
        ApiError
            On any other refusal, or when the retries are exhausted.
        Cancelled
            When ``cancel`` is set while waiting.
        """
        offset = params.get(_wire.OFFSET, "0")

        def log_retry(state: RetryCallState) -> None:
            tally.add(retries=1)
            err = state.outcome.exception() if state.outcome else None
            sleep = state.next_action.sleep if state.next_action else 0.0
            logger.info(
                "retrying offset=%s in %.2f s (attempt %d): %s",
                offset, sleep, state.attempt_number, err,
            )  # fmt: skip

        calls: list[Call] = []
        failed: list[Exception] = []
        if resume is not None:
            calls.append(resume[0])
            failed.append(resume[1])
            wake, first = threading.Event(), resume[0].first
            resume[0].wake_on_end(wake)
        else:
            wake, first = threading.Event(), time.monotonic()
        sent = (params, tally, cancel, calls, wake, first, max_total, on_body)
        try:
            if not failed:
                try:  # the first attempt without tenacity: most pages need no retry
                    return self._attempt(*sent)
                except Retryable as err:
                    failed.append(err)

            def attempt() -> Body:
                if failed:  # tenacity starts from the first attempt's failure
                    raise failed.pop()
                return self._attempt(*sent)

            def stop(state: RetryCallState) -> bool:  # attempts, or time since the first one
                spent = time.monotonic() - first
                return (
                    state.attempt_number >= self.max_attempts
                    or spent + state.upcoming_sleep >= self.max_retry_seconds
                )

            retrying = Retrying(
                stop=stop,
                wait=self._wait,
                retry=retry_if_exception_type(Retryable),
                sleep=sleep_using_event(cancel),
                before_sleep=log_retry,
                reraise=True,
            )
            try:
                return retrying(attempt)
            except Retryable as err:
                attempts = retrying.statistics.get("attempt_number", self.max_attempts)
                msg = (
                    f"Gave up on {self.url} (offset {offset}) after {attempts} attempt(s) over "
                    f"{time.monotonic() - first:.1f} s: {err}. The API may be overloaded or "
                    "rate-limiting; try again later, or raise max_attempts / max_retry_seconds / "
                    "timeout."
                )
                raise ApiError(msg, status_code=err.status_code) from err
        finally:
            for call in calls:
                call.future.cancel()  # attempts still queued are never sent

    @staticmethod
    def _answered(calls: list[Call]) -> Body | None:
        """Return the answer of an earlier attempt that came in late (paid for), if any."""
        for call in calls:
            future = call.future
            if future.done() and not future.cancelled() and future.exception() is None:
                return future.result()
        return None

    def _attempt(
        self,
        params: Mapping[str, str],
        tally: Tally,
        cancel: threading.Event,
        calls: list[Call],
        wake: threading.Event,
        first: float,
        max_total: int,
        on_body: OnBody | None,
    ) -> Body:
        self._gate.wait(cancel)
        if cancel.is_set():
            raise Cancelled
        if (late := self._answered(calls)) is not None:
            return late
        call = Call(wake, first)
        self._submit(call, params, tally, max_total, on_body, cancel=cancel)
        calls.append(call)
        # the wire takes it once a place is free (the requests ahead end by their deadlines);
        # its timeout runs from then. One wake-up per page: when one of its calls ends.
        while True:
            wake.clear()
            if call.future.done():
                return self._result(call.future, params, first)
            if (late := self._answered(calls)) is not None:
                return late
            if cancel.is_set():
                raise Cancelled
            pause = _POLL
            if call.started_at is not None:
                left = call.started_at + self.timeout - time.monotonic()
                if left <= 0:
                    raise self.timeout_error()
                pause = min(left, _POLL)
            wake.wait(pause)

    def _result(self, future: Future[Body], params: Mapping[str, str], first: float) -> Body:
        try:
            return future.result()
        except Retryable as err:
            left = self.max_retry_seconds - (time.monotonic() - first)
            if err.retry_after is not None and err.retry_after > left:
                raise self._rate_limited(err, params) from None
            raise

    def _rate_limited(self, err: Retryable, params: Mapping[str, str]) -> RateLimitedError:
        return rate_limited(
            offset=params.get(_wire.OFFSET, "0"),
            answer=str(err),
            retry_after=err.retry_after,
            header=redact(err.header or ""),
            max_retry_seconds=self.max_retry_seconds,
        )

    def _submit(
        self,
        call: Call,
        params: Mapping[str, str],
        tally: Tally,
        max_total: int,
        on_body: OnBody | None,
        delay: float = 0.0,
        cancel: threading.Event | None = None,
    ) -> None:
        future = self._wire.submit(
            self._exchange, dict(params), tally, max_total, call, on_body, delay, cancel
        )
        call.future = future
        with self._lock:
            self._outstanding.add(future)
        future.add_done_callback(self._forget)
        if call.wake is not None:
            wake = call.wake
            future.add_done_callback(lambda _: wake.set())

    def _forget(self, future: Future[Body]) -> None:
        with self._lock:
            self._outstanding.discard(future)

    def _exchange(
        self,
        params: dict[str, str],
        tally: Tally,
        max_total: int,
        call: Call,
        on_body: OnBody | None,
        delay: float,
        cancel: threading.Event | None,
    ) -> Body:
        """Run on a wire thread: send one request and read its answer by the deadline.

        A request queued for the wire waits out a 429's pause here, as it
        leaves: no request is sent while one holds.
        """
        if cancel is not None:
            if delay and cancel.wait(delay):
                raise Cancelled
            self._gate.wait(cancel)
            if cancel.is_set():
                raise Cancelled
        call.started_at = time.monotonic()
        tally.add(requests=1)
        offset = _wire.validate_offset(params.get(_wire.OFFSET))
        status_seen: list[int] = []

        def on_status(status: int) -> None:
            status_seen.append(status)
            if _wire.is_billed(status):
                tally.add(credits=1)

        begun = time.perf_counter()
        try:
            with _http.deadline(time.monotonic() + LINGER_FACTOR * self.timeout):
                reply = _http.exchange(
                    self._http,
                    params,
                    max_body=self.max_body_bytes,
                    max_decoded=self.max_decoded_bytes,
                    on_status=on_status,
                )
        except _http.BodyTooLargeError as err:
            hint = "max_body_bytes" if "wire" in str(err) else "max_decoded_bytes"
            advice = f"Nothing of the page was kept; raise {hint} if such pages are real."
            raise bad_page(str(err), offset=offset, advice=advice) from None
        except _http.UnsupportedEncodingError as err:
            raise bad_page(f"its body is compressed as {err!s:.80}", offset=offset) from None
        except _NOT_SENT as err:
            raise Retryable(self._failure("connection failed", err), status_code=None) from err
        except _RETRIED_TRANSPORT_ERRORS as err:
            if not status_seen:  # the server may have answered, and billed, after we gave up
                tally.add(uncertain=1)
            kind = "timed out" if isinstance(err, httpx.TimeoutException) else "connection failed"
            raise Retryable(self._failure(kind, err), status_code=None) from err
        except httpx.HTTPError as err:
            msg = f"The request for offset {offset} failed: {self._failure('error', err)}"
            raise ApiError(msg) from err
        body = self._answer(reply, params, offset, max_total, time.perf_counter() - begun)
        if on_body is not None:
            on_body(body[1])  # kept (journaled) here: a page paid for is kept, whoever waits
        return body

    def _failure(self, kind: str, err: Exception) -> str:
        return f"{kind}: {type(err).__name__}: {redact(str(err))[:MAX_MESSAGE]}"

    def _answer(
        self,
        reply: _http.Reply,
        params: Mapping[str, str],
        offset: int,
        max_total: int,
        seconds: float,
    ) -> Body:
        body = answer(reply, params, offset=offset, max_total=max_total)
        typical = self.typical_seconds
        self.typical_seconds = seconds if not typical else 0.7 * typical + 0.3 * seconds
        return body
