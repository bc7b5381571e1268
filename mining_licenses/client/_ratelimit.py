"""429s: the pause every worker shares, and what a ``Retry-After`` asks for.

A ``Retry-After`` the page may still wait out pauses every worker of the
client (:class:`Gate`); a longer one, an unbounded one (``1e308``, ``inf``)
or a date far ahead ends the sweep at once with a
:class:`~mining_licenses.RateLimitedError` that says what the API asked for
and when to try again. The pause is lifted when the call ends, so the next
call on the same client never waits for a pause that was not taken up.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import threading
import time

from mining_licenses._errors import RateLimitedError


class Gate:
    """A shared "not before" time: a 429 pauses every worker, not only its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._not_before = 0.0

    def push(self, seconds: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)

    def clear(self) -> None:
        with self._lock:
            self._not_before = 0.0

    def pending(self) -> float:
        """Seconds the pause still lasts (0 when none)."""
        with self._lock:
            return max(self._not_before - time.monotonic(), 0.0)

    def wait(self, cancel: threading.Event) -> None:
        while (delay := self.pending()) > 0:
            if cancel.wait(min(delay, 1.0)):  # short steps: no huge timeout reaches the OS
                return


def parse_retry_after(value: str | None) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for (seconds or HTTP date).

    ``inf`` for a wait too long to represent (``1e999``, a date past 9999);
    ``None`` when the header is absent or unreadable (``nan`` too).

    Examples
    --------
    >>> parse_retry_after("2.5"), parse_retry_after(None), parse_retry_after("soon")
    (2.5, None, None)
    >>> parse_retry_after("1e999"), parse_retry_after("nan")
    (inf, None)
    """
    if value is None:
        return None
    text = value.strip()[:100]
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return None if math.isnan(seconds) else max(seconds, 0.0)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)


def describe_wait(value: float) -> str:
    """Return a wait in words.

    Examples
    --------
    >>> describe_wait(3600), describe_wait(2.5), describe_wait(1e308)
    ('3,600 s', '2.5 s', 'an unbounded time')
    """
    if not math.isfinite(value) or value > 10**12:
        return "an unbounded time"
    return f"{value:,.0f} s" if value >= 10 else f"{value:g} s"


def rate_limited(
    *, offset: str, answer: str, retry_after: float | None, header: str, max_retry_seconds: float
) -> RateLimitedError:
    """Return the error for a 429 whose ``Retry-After`` is longer than the page may wait."""
    seconds = retry_after if retry_after is not None else math.inf
    error = RateLimitedError("", retry_after=seconds)
    when = (
        f"Try again after {error.retry_at.isoformat().replace('+00:00', 'Z')}"
        if error.retry_at is not None
        else "It named no time that can be waited for; try again later"
    )
    shown = header.strip() if len(header.strip()) <= 40 else header.strip()[:37] + "..."
    error.args = (
        f"Gave up on offset {offset}: the API rate-limited it ({answer}) and asked to wait "
        f"{describe_wait(seconds)} (Retry-After: {shown}), longer than "
        f"max_retry_seconds={max_retry_seconds:g} allows. {when}, or raise "
        "max_retry_seconds. The client is ready for the next call.",
    )
    return error
