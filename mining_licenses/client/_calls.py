"""The small things a request carries: its call on the wire, the tally.

:class:`Call` is one attempt handed to a wire thread; :class:`Tally` counts
requests, retries and credits billed (and possibly billed) across threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

Body = tuple[dict[str, Any], bytes]


class Cancelled(Exception):  # noqa: N818 - a signal, not an error
    """The sweep was stopped (another page failed, or the caller interrupted)."""


class Retryable(Exception):  # noqa: N818 - internal signal to tenacity
    def __init__(
        self,
        message: str,
        *,
        status_code: int | None,
        retry_after: float | None = None,
        header: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after
        self.header = header


@dataclass
class Tally:
    """Requests sent, retries, credits billed and possibly billed; safe to update from threads.

    ``uncertain`` counts requests the server may have answered (and billed)
    after the client gave up on them.
    """

    requests: int = 0
    retries: int = 0
    credits: int = 0
    uncertain: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(
        self, *, requests: int = 0, retries: int = 0, credits: int = 0, uncertain: int = 0
    ) -> None:
        """Add to the counters atomically."""
        with self._lock:
            self.requests += requests
            self.retries += retries
            self.credits += credits
            self.uncertain += uncertain

    @property
    def upper_bound(self) -> int:
        """The most credits the server may have billed."""
        return self.credits + self.uncertain


class Call:
    """One attempt handed to the wire: it starts when a wire thread takes it.

    ``started_at`` is set (``time.monotonic``) by the wire thread as it sends
    the request; ``wake`` is the event of the thread waiting for the page (set
    when any of its calls ends; none while nobody waits); ``first`` is when
    the page's first attempt was handed over.
    """

    __slots__ = ("first", "future", "started_at", "wake")

    def __init__(self, wake: threading.Event | None, first: float) -> None:
        self.wake = wake
        self.first = first
        self.started_at: float | None = None
        self.future: Future[Body]

    def wake_on_end(self, wake: threading.Event) -> None:
        """Set ``wake`` when this call ends (at once if it has)."""
        if self.wake is None:
            self.wake = wake
            self.future.add_done_callback(lambda _: wake.set())


#: Called on the wire thread with a page's body once it passed its checks (the journal).
OnBody = Callable[[bytes], None]
