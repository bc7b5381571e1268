"""The replica's plumbing: its settings, request log, HTTP server and envelope.

Kept apart from :mod:`mining_licenses.replica` so that module reads as the
endpoint's behaviour; the public names here are re-exported there.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from mining_licenses import _api
from mining_licenses._errors import ConfigurationError

logger = logging.getLogger("mining_licenses.replica")

DROP: Final = "drop"
"""A scripted fault that closes the connection without answering."""


@dataclass(frozen=True)
class Faults:
    """How the replica misbehaves; every field off by default.

    Attributes
    ----------
    latency
        Seconds every request waits before it is answered.
    rate_limit_every
        Answer every n-th request with 429 (0: never).
    retry_after
        ``Retry-After`` seconds sent with a 429; ``None`` sends no header.
    retry_after_http_date
        Send ``Retry-After`` as an HTTP date instead of seconds.
    server_error_every
        Answer every n-th request with 500 (0: never).
    drop_every
        Close every n-th connection without answering (0: never).
    unstable_ties
        Order records that tie on the sort key randomly, anew for each request,
        as a database without a tie-breaker may; otherwise ties are broken by
        ``wiup_code``.
    """

    latency: float = 0.0
    rate_limit_every: int = 0
    retry_after: float | None = None
    retry_after_http_date: bool = False
    server_error_every: int = 0
    drop_every: int = 0
    unstable_ties: bool = False


@dataclass(frozen=True)
class DataChange:
    """Records inserted and/or removed once ``after_requests`` requests were served.

    ``remove`` lists ``wiup_code`` values; every record carrying one is removed.
    """

    after_requests: int
    insert: tuple[Mapping[str, Any], ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServedRequest:
    """One request the replica answered (never its ``Authorization`` header).

    ``status`` is ``None`` for a dropped connection.
    """

    number: int
    path: str
    params: Mapping[str, str]
    status: int | None
    billed: bool

    @property
    def offset(self) -> int | None:
        """The requested offset of a served page (``None`` when unparsable)."""
        try:
            return _api.validate_offset(self.params.get(_api.OFFSET))
        except ConfigurationError:
            return None


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive connections must not block stop()
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], answer: Callable[[Handler], None]) -> None:
        self.answer = answer
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ARG002
        logger.debug("replica: connection from %s ended abruptly", client_address, exc_info=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real endpoint
    server: Server
    timeout = 60

    def setup(self) -> None:
        super().setup()
        with self.server.sockets_lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        with self.server.sockets_lock:
            self.server.open_sockets.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self.server.answer(self)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("replica: " + format, *args)

    def send_json(self, status: int, body: object, headers: Mapping[str, str] = {}) -> None:
        payload = json.dumps(body, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def envelope(page: list[dict[str, Any]], total: int, limit: int, offset: int) -> dict[str, Any]:
    has_next = offset + limit < total
    has_previous = offset > 0
    return {
        _api.RESULTS: page,
        _api.PAGINATION: {
            _api.TOTAL_COUNT: total,
            _api.SHOWING: len(page),
            _api.LIMIT: limit,
            _api.OFFSET: offset,
            _api.HAS_NEXT: has_next,
            _api.HAS_PREVIOUS: has_previous,
            _api.NEXT_OFFSET: offset + limit if has_next else None,
            _api.PREVIOUS_OFFSET: max(offset - limit, 0) if has_previous else None,
        },
    }
