"""The replica's plumbing: settings, request log, HTTP server, envelope, frame input.

Kept apart from :mod:`mining_licenses.replica` so that module reads as the
endpoint's behaviour; the public names here are re-exported there.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

import polars as pl

from mining_licenses import _wire
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError
from mining_licenses._redact import get_logger

logger = get_logger("mining_licenses.replica")

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
    page_cap
        Send at most this many records a page, whatever ``limit`` asks for, as a
        server with a lower maximum does (0: the ``limit`` asked for).
    ignore_offset
        Answer every request as if it asked for ``offset=0`` (the envelope still
        echoes the offset asked for), as a server that drops the parameter does.
    """

    latency: float = 0.0
    rate_limit_every: int = 0
    retry_after: float | None = None
    retry_after_http_date: bool = False
    server_error_every: int = 0
    drop_every: int = 0
    unstable_ties: bool = False
    page_cap: int = 0
    ignore_offset: bool = False


class _Requested:
    """A request's parameters, and the offset it asked for."""

    params: Mapping[str, str]

    @property
    def offset(self) -> int | None:
        """The requested offset (``None`` when unparsable)."""
        try:
            return _wire.validate_offset(self.params.get(_wire.OFFSET))
        except ConfigurationError:
            return None


@dataclass(frozen=True)
class Exchange(_Requested):
    """A request the replica is about to answer, as a :data:`Hook` sees it.

    ``status`` and ``body`` are what the replica would send (``status`` is
    ``None`` for a dropped connection).
    """

    number: int
    params: Mapping[str, str]
    status: int | None
    body: bytes

    def page(self) -> dict[str, Any]:
        """Return the body the replica would send, parsed (a page or an error message)."""
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass(frozen=True)
class Raw:
    """A response a :data:`Hook` sends instead of the replica's: any status, headers and body.

    Attributes
    ----------
    status
        The status code (billed as the API bills it, unless ``billed`` says otherwise).
    body
        Bytes (sent with a ``Content-Length``), or a function returning an
        iterable of chunks (sent until it ends or the client leaves, then the
        connection is closed; endless is allowed).
    headers
        Extra headers (``Content-Encoding``, ``Retry-After``, a lying ``Content-Length``).
    byte_delay
        Seconds between single bytes of the whole response, status line
        included: a server that trickles (0: no delay).
    billed
        Whether the provider would bill it (default: by ``status``).
    """

    status: int = 200
    body: bytes | Callable[[], Iterable[bytes]] = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    byte_delay: float = 0.0
    billed: bool | None = None


#: Called for every request the endpoint answers; a :class:`Raw` replaces the answer.
Hook = Callable[[Exchange], "Raw | None"]


@dataclass(frozen=True)
class DataChange:
    """Records inserted and/or removed once ``after_requests`` requests were served.

    ``remove`` lists ``wiup_code`` values; every record carrying one is removed.
    """

    after_requests: int
    insert: tuple[Mapping[str, Any], ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServedRequest(_Requested):
    """One request the replica answered (never its ``Authorization`` header).

    ``status`` is ``None`` for a dropped connection.
    """

    number: int
    path: str
    params: Mapping[str, str]
    status: int | None
    billed: bool


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
    # headers and body go out in two writes: without TCP_NODELAY, Nagle's
    # algorithm and the client's delayed ACK stall every response by ~40 ms
    disable_nagle_algorithm = True
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

    def send_raw(self, raw: Raw) -> None:
        """Send ``raw`` exactly (trickled if asked); raises if the client goes away."""
        try:
            phrase = HTTPStatus(raw.status).phrase
        except ValueError:
            phrase = "Unknown"
        lines = [f"HTTP/1.1 {raw.status} {phrase}", "Content-Type: application/json"]
        lines += [f"{name}: {value}" for name, value in raw.headers.items()]
        names = {name.lower() for name in raw.headers}
        if isinstance(raw.body, bytes):
            if "content-length" not in names:
                lines.append(f"Content-Length: {len(raw.body)}")
            chunks: Iterable[bytes] = (raw.body,)
        else:
            chunks = raw.body()
        if not isinstance(raw.body, bytes) or "content-length" in names:
            lines.append("Connection: close")
            self.close_connection = True
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        for chunk in _chain(head, chunks):
            if not raw.byte_delay:
                self.wfile.write(chunk)
                continue
            for index in range(len(chunk)):
                self.wfile.write(chunk[index : index + 1])
                time.sleep(raw.byte_delay)

    def send_json(self, status: int, body: object, headers: Mapping[str, str] = {}) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def _chain(first: bytes, rest: Iterable[bytes]) -> Iterable[bytes]:
    yield first
    yield from rest


def peer_closed(sock: socket.socket) -> bool:
    """Return True when the client closed ``sock`` (an EOF is waiting, nothing else)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except (OSError, ValueError):
        return True


class OnTheWire:
    """The requests on the wire: from arrival until answered, or until their client left.

    A client that gives up closes its connection while the replica, like a
    real server, goes on producing (and billing) the answer; that request is
    then off the wire. Closed connections are found when a request arrives,
    the moment the count matters: ``most`` is the highest count seen then,
    ``aborted`` the requests whose client left before the whole answer was sent.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[int, socket.socket] = {}
        self._most = 0
        self._aborted: list[int] = []

    @property
    def most(self) -> int:
        with self._lock:
            return self._most

    @property
    def aborted(self) -> list[int]:
        with self._lock:
            return list(self._aborted)

    def reset(self) -> None:
        with self._lock:
            self._aborted.clear()
            self._most = len(self._open)

    def arrive(self, number: int, sock: socket.socket) -> None:
        with self._lock:
            for other, open_sock in list(self._open.items()):
                if peer_closed(open_sock):
                    del self._open[other]
            self._open[number] = sock
            self._most = max(self._most, len(self._open))

    def leave(self, number: int) -> None:
        with self._lock:
            self._open.pop(number, None)

    def abort(self, number: int) -> None:
        with self._lock:
            self._aborted.append(number)


def page_body(
    records: list[bytes], total: int, limit: int, offset: int, *, synthetic: bool = False
) -> bytes:
    """Return the JSON of one page: pre-encoded ``records`` and the pagination envelope.

    ``synthetic`` adds ``"synthetic": true`` to the envelope (the real API never sends it).
    """
    has_next = offset + limit < total
    has_previous = offset > 0
    pagination = {
        _wire.TOTAL_COUNT: total,
        _wire.SHOWING: len(records),
        _wire.LIMIT: limit,
        _wire.OFFSET: offset,
        _wire.HAS_NEXT: has_next,
        _wire.HAS_PREVIOUS: has_previous,
        _wire.NEXT_OFFSET: offset + limit if has_next else None,
        _wire.PREVIOUS_OFFSET: max(offset - limit, 0) if has_previous else None,
    }
    return b"".join(
        (
            f'{{"{_wire.SYNTHETIC}":true,'.encode() if synthetic else b"{",
            f'"{_wire.RESULTS}":['.encode(),
            b",".join(records),
            f'],"{_wire.PAGINATION}":'.encode(),
            json.dumps(pagination).encode(),
            b"}",
        )
    )


def records_from_frame(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Return the API records a canonical frame stands for (dates as ISO strings).

    ``location`` becomes a GeoJSON point where the frame's point came from the
    API, the frame's ``location_text`` where there is one, else ``None``.

    Examples
    --------
    >>> from mining_licenses.schema import empty_frame
    >>> records_from_frame(empty_frame())
    []
    """
    fields = [name for name in s.API_FIELDS if name != s.LOCATION]
    dated = frame.with_columns(pl.col(s.EFFECTIVE_DATE, s.EXPIRY_DATE).cast(pl.String()))
    rows = dated.select(
        *fields, s.LOCATION_TEXT, s.LONGITUDE, s.LATITUDE, s.GEOMETRY_SOURCE
    ).to_dicts()
    records: list[dict[str, Any]] = []
    for row in rows:  # once per replica start, not per request
        if row[s.GEOMETRY_SOURCE] == s.GEOMETRY_FROM_API and row[s.LONGITUDE] is not None:
            location: object = {"type": "Point", "coordinates": [row[s.LONGITUDE], row[s.LATITUDE]]}
        else:
            location = row[s.LOCATION_TEXT]
        record = {name: row[name] for name in fields}
        record[s.LOCATION] = location
        records.append({name: record[name] for name in s.API_FIELDS})
    return records
