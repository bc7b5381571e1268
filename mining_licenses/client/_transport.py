"""One page request: the auth header, retries, status checks, credit count.

Everything that touches the network for the client lives here. A page is
requested through :meth:`Transport.get_page`, which retries 429, 5xx,
timeouts and dropped connections with tenacity (``Retry-After`` honoured,
otherwise exponential backoff with full jitter, bounded in attempts and in
time), turns 400/401/403/404 into typed errors at once, and counts requests
and billed credits. The API key only ever goes into the ``Authorization``
header; it is scrubbed from any text the server sends back.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    sleep_using_event,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from mining_licenses import _config, _wire
from mining_licenses._errors import ApiError, AuthenticationError

logger = logging.getLogger(__name__)

_RETRIED_TRANSPORT_ERRORS: Final = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
_MAX_MESSAGE: Final = 300
AUTH_HELP: Final = (
    f"Set the {_config.ENV_API_KEY} environment variable to your Sectors API key "
    "(or pass api_key=...). The key is sent raw in the Authorization header."
)


class Cancelled(Exception):  # noqa: N818 - a signal, not an error
    """The sweep was stopped (another page failed, or the caller interrupted)."""


class _Retryable(Exception):  # noqa: N818 - internal signal to tenacity
    def __init__(self, message: str, *, status_code: int | None, retry_after: float | None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


class _Secret:
    """A string that never shows itself in a repr, a traceback's locals or a log."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


@dataclass
class Tally:
    """Requests sent, retries and credits billed; safe to update from threads."""

    requests: int = 0
    retries: int = 0
    credits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, *, requests: int = 0, retries: int = 0, credits: int = 0) -> None:
        """Add to the counters atomically."""
        with self._lock:
            self.requests += requests
            self.retries += retries
            self.credits += credits


class _Gate:
    """A shared "not before" time: a 429 pauses every worker, not only its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._not_before = 0.0

    def push(self, seconds: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)

    def wait(self, cancel: threading.Event) -> None:
        while True:
            with self._lock:
                delay = self._not_before - time.monotonic()
            if delay <= 0 or cancel.wait(delay):
                return


def parse_retry_after(value: str | None) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for (seconds or HTTP date).

    Examples
    --------
    >>> parse_retry_after("2.5"), parse_retry_after(None), parse_retry_after("soon")
    (2.5, None, None)
    """
    if value is None:
        return None
    text = value.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)


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
    ) -> None:
        self.url = base_url + _wire.ENDPOINT_PATH
        self._key = _Secret(api_key or "")
        headers = {"Accept": "application/json", "User-Agent": user_agent}
        if api_key:
            headers["Authorization"] = api_key  # raw, no "Bearer": the API's contract
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            follow_redirects=False,  # a redirect could carry the key elsewhere
        )
        self.max_attempts = max_attempts
        self.max_retry_seconds = max_retry_seconds
        self._backoff = wait_random_exponential(multiplier=backoff, max=backoff_max)
        self._gate = _Gate()
        #: A moving average of how long a successful request takes (0 until one did).
        self.typical_seconds = 0.0

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def scrub(self, text: str) -> str:
        """Return ``text`` with the API key, if it appears, replaced by ``***``."""
        key = self._key.reveal()
        return text.replace(key, "***") if key else text

    def __repr__(self) -> str:
        return f"Transport({self.url!r})"

    def _wait(self, state: RetryCallState) -> float:
        err = state.outcome.exception() if state.outcome else None
        retry_after = err.retry_after if isinstance(err, _Retryable) else None
        delay = retry_after if retry_after is not None else self._backoff(state)
        if isinstance(err, _Retryable) and err.status_code == 429:
            self._gate.push(delay)  # every worker slows down, not only this one
        return delay

    def get_page(
        self, params: Mapping[str, str], *, tally: Tally, cancel: threading.Event
    ) -> tuple[dict[str, Any], bytes]:
        """Return one page's JSON body, parsed and raw, retrying what is worth retrying.

        Raises
        ------
        AuthenticationError
            On 401/403, with how to set the key.
        ApiError
            On any other refusal, or when the retries are exhausted.
        Cancelled
            When ``cancel`` is set while waiting.
        """

        def log_retry(state: RetryCallState) -> None:
            tally.add(retries=1)
            err = state.outcome.exception() if state.outcome else None
            sleep = state.next_action.sleep if state.next_action else 0.0
            logger.info(
                "retrying offset=%s in %.2f s (attempt %d): %s",
                params.get(_wire.OFFSET),
                sleep,
                state.attempt_number,
                err,
            )

        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(self.max_retry_seconds),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=sleep_using_event(cancel),
            before_sleep=log_retry,
            reraise=True,
        )
        try:
            return retrying(self._attempt, params, tally, cancel)
        except _Retryable as err:
            attempts = retrying.statistics.get("attempt_number", self.max_attempts)
            elapsed = retrying.statistics.get("delay_since_first_attempt", 0.0)
            msg = (
                f"Gave up on {self.url} (offset {params.get(_wire.OFFSET, 0)}) after "
                f"{attempts} attempt(s) over {elapsed:.1f} s: {err}. The API may be "
                "overloaded or rate-limiting; try again later, or raise max_attempts "
                "/ max_retry_seconds."
            )
            raise ApiError(msg, status_code=err.status_code) from err

    def _attempt(
        self, params: Mapping[str, str], tally: Tally, cancel: threading.Event
    ) -> tuple[dict[str, Any], bytes]:
        self._gate.wait(cancel)
        if cancel.is_set():
            raise Cancelled
        tally.add(requests=1)
        started = time.perf_counter()
        try:
            response = self._http.get(self.url, params=params)
        except _RETRIED_TRANSPORT_ERRORS as err:
            kind = "timed out" if isinstance(err, httpx.TimeoutException) else "connection failed"
            raise _Retryable(
                f"{kind}: {type(err).__name__}: {self.scrub(str(err))}",
                status_code=None,
                retry_after=None,
            ) from err
        status = response.status_code
        if _wire.is_billed(status):
            tally.add(credits=1)
        if 200 <= status < 300:
            seconds = time.perf_counter() - started
            typical = self.typical_seconds
            self.typical_seconds = seconds if not typical else 0.7 * typical + 0.3 * seconds
            return self._body(response), response.content
        message = self._message(response)
        if status in (401, 403):
            msg = f"The API refused the key ({status}): {message}. {AUTH_HELP}"
            raise AuthenticationError(msg, status_code=status)
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise _Retryable(f"{status}: {message}", status_code=status, retry_after=retry_after)
        msg = f"The API refused the request ({status}) for {dict(params)}: {message}"
        raise ApiError(msg, status_code=status)

    def _message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            parts = [str(body[k]) for k in ("message", "detail", "error") if body.get(k)]
            text = parts[0] if parts else str(body)
        else:
            text = response.text.strip() or response.reason_phrase
        return self.scrub(text)[:_MAX_MESSAGE]

    def _body(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as err:
            msg = f"The API answered {response.status_code} with a body that is not JSON."
            raise ApiError(msg, status_code=response.status_code) from err
        pagination = body.get(_wire.PAGINATION) if isinstance(body, dict) else None
        if (
            not isinstance(body, dict)
            or not isinstance(body.get(_wire.RESULTS), list)
            or not isinstance(pagination, dict)
            or not isinstance(pagination.get(_wire.TOTAL_COUNT), int)
        ):
            msg = (
                f"The API answered {response.status_code} without the expected "
                "'results' list and 'pagination.total_count'; the endpoint may have changed."
            )
            raise ApiError(msg, status_code=response.status_code)
        return body
