"""One exchange on the wire, bounded: a whole-request deadline, body sizes, no stray proxy.

httpx bounds each socket operation (a read, a write, a connect), not a
request: a server that sends one byte every half second never trips a read
timeout. The session made here wraps httpcore's network streams so that every
operation of a request run under :func:`deadline` waits at most until that
request's deadline. Bodies are streamed and counted as they arrive, on the
wire and after decompression (done here, with a bound on each step, so a small
gzip cannot expand to gigabytes first). Proxies and ``.netrc`` from the
environment are not read: the key must never go in clear to an
``HTTP_PROXY``; only an ``https://`` API is reached through an environment's
``HTTPS_PROXY``/``ALL_PROXY`` (its traffic stays encrypted inside the tunnel).

Requests go to httpcore's connection pool directly (:class:`Session`), not
through an ``httpx.Client``, whose work around the same pool was most of the
client's CPU per page; the process loads its TLS certificates once
(:func:`tls_context`).
"""

from __future__ import annotations

import encodings.idna  # noqa: F401 - the first connection's getaddrinfo needs it: loaded here
import os
import ssl
import threading
import time
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpcore
import httpx

from mining_licenses._redact import guard

#: Keep-alive connections are dropped after this many idle seconds.
_KEEPALIVE_SECONDS: Final = 5.0
#: A connection that carried data this recently is not polled for a close by the server.
FRESH_SECONDS: Final = 0.25
#: Error bodies are read up to this size for their message; the rest is ignored.
ERROR_BODY_BYTES: Final = 64 * 1024

_local = threading.local()


class deadline:  # noqa: N801 - used as a function: ``with deadline(at):``
    """Bound every network operation of this thread until ``at`` (``time.monotonic``)."""

    __slots__ = ("_at",)

    def __init__(self, at: float) -> None:
        self._at = at

    def __enter__(self) -> None:
        _local.deadline = self._at

    def __exit__(self, *exc_info: object) -> None:
        _local.deadline = None


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    at: float | None = getattr(_local, "deadline", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        msg = "the request's deadline passed"
        raise error(msg)
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the request's deadline.

    httpcore asks, before each request it places, whether every idle
    connection of the pool has been closed by the server (a ``poll`` of its
    socket, and a switch of threads, each time: most of a sweep's CPU once
    several requests are in flight). A connection that carried data within
    :data:`FRESH_SECONDS` is taken as still open without asking: servers close
    idle connections after seconds, and a request that still meets a closed
    one fails as a dropped connection, and is retried.
    """

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner
        self._used = time.monotonic()

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))
        self._used = time.monotonic()
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))
        self._used = time.monotonic()

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and time.monotonic() - self._used < FRESH_SECONDS:
            return False  # just used: not closed by the server (see the class docstring)
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's socket backend, with every stream bounded by the request's deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:  # pragma: no cover - the client never uses a socket file
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore's retries are off
        self._inner.sleep(seconds)


def proxy_for(url: str) -> str | None:
    """Return the environment's proxy for ``url``: only for ``https://``, never plain http.

    Examples
    --------
    >>> import os
    >>> os.environ["HTTP_PROXY"] = "http://proxy.example:3128"
    >>> proxy_for("http://127.0.0.1:8000") is None
    True
    >>> del os.environ["HTTP_PROXY"]
    """
    parsed = httpx.URL(url)
    if parsed.scheme != "https":
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get("https") or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parsed.host):
        return None
    return proxy


_tls_lock = threading.Lock()
_tls_contexts: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def tls_context() -> ssl.SSLContext:
    """Return the process's one TLS context: the CA bundle is loaded once, not per client.

    ``SSL_CERT_FILE``/``SSL_CERT_DIR`` still count (read at call time): a
    change of either makes a new context, kept too.

    Examples
    --------
    >>> tls_context() is tls_context()
    True
    """
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    with _tls_lock:
        context = _tls_contexts.get(key)
        if context is None:
            context = httpx.create_ssl_context(trust_env=True)
            _tls_contexts[key] = context
        return context


class Session:
    """The connections to one API: an httpcore pool, the request's fixed parts, its headers.

    Requests go to httpcore directly: httpx's client around the same pool
    costs more CPU per request than everything else the sweep does (building
    the URL twice, cookies, hooks, its response object). What httpx would do
    that matters is done here: the ``Host`` header, the query encoded as httpx
    encodes it, httpcore's errors raised as httpx's, the headers of an answer
    read as :class:`httpx.Headers`.
    """

    __slots__ = ("_headers", "_host", "_path", "_pool", "_port", "_scheme", "_timeouts", "url")

    def __init__(
        self, url: str, pool: httpcore.ConnectionPool, headers: Mapping[str, str], timeout: float
    ) -> None:
        parsed = httpx.URL(url)
        self.url = url
        self._pool = pool
        self._scheme, self._host, self._port = parsed.raw_scheme, parsed.raw_host, parsed.port
        self._path = parsed.raw_path.partition(b"?")[0]
        host = parsed.netloc  # with the port unless it is the scheme's own
        self._headers = [(b"Host", host)] + [(k.encode(), v.encode()) for k, v in headers.items()]
        self._timeouts = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}

    def __repr__(self) -> str:
        return f"Session({self.url!r})"  # never the headers: one holds the key

    def close(self) -> None:
        """Close every connection."""
        self._pool.close()

    def request(self, params: Mapping[str, str]) -> httpcore.Request:
        """Return the GET of ``url`` with ``params`` as its query."""
        query = urllib.parse.urlencode(params)  # as httpx encodes params
        target = self._path + b"?" + query.encode("ascii") if query else self._path
        url = httpcore.URL(scheme=self._scheme, host=self._host, port=self._port, target=target)
        return httpcore.Request(
            b"GET", url, headers=self._headers, extensions={"timeout": self._timeouts}
        )

    def send(self, request: httpcore.Request) -> httpcore.Response:
        """Send ``request``; the answer's body is still to be read (and closed)."""
        return self._pool.handle_request(request)


#: The loggers of the HTTP library: at DEBUG they show response headers (never request ones).
WIRE_LOGGERS: Final = (
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "httpx",
)


def session(
    url: str, *, headers: Mapping[str, str], timeout: float, max_connections: int
) -> Session:
    """Return a session for ``url``: bounded streams, no environment proxy or netrc.

    An ``https://`` API (or a proxy) uses the process's one TLS context
    (:func:`tls_context`); plain loopback ``http://`` makes none. No redirect
    is followed (it could carry the key elsewhere); no ``HTTP_PROXY`` and no
    ``.netrc`` are read: the key goes where ``url`` says.
    """
    guard(WIRE_LOGGERS)  # httpcore logs response headers at DEBUG: an echoed key is masked
    proxy = proxy_for(url)
    secure = httpx.URL(url).scheme == "https" or proxy is not None
    common: dict[str, Any] = {
        "ssl_context": tls_context() if secure else None,
        "max_connections": max_connections,
        "max_keepalive_connections": max_connections,
        "keepalive_expiry": _KEEPALIVE_SECONDS,
        "network_backend": _Backend(),
    }
    pool: httpcore.ConnectionPool
    if proxy is None:
        pool = httpcore.ConnectionPool(**common)
    else:
        spec = httpx.Proxy(proxy)
        tunnel_tls = tls_context() if spec.url.scheme == "https" else None
        pool = httpcore.HTTPProxy(
            proxy_url=httpcore.URL(
                scheme=spec.url.raw_scheme,
                host=spec.url.raw_host,
                port=spec.url.port,
                target=spec.url.raw_path,
            ),
            proxy_auth=spec.raw_auth,
            proxy_headers=spec.headers.raw,
            proxy_ssl_context=spec.ssl_context or tunnel_tls,
            **common,
        )
    return Session(url, pool, headers, timeout)


#: httpcore's errors and the httpx errors they are raised as (what httpx's own transport does).
_ERRORS: Final[dict[type[Exception], type[httpx.TransportError]]] = {
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.ProtocolError: httpx.ProtocolError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
}


_CORE_ERRORS: Final = tuple(_ERRORS)


def _as_httpx(err: Exception) -> Exception:
    for kind in type(err).__mro__:
        if kind in _ERRORS:
            return _ERRORS[kind](str(err))
    return err


class BodyTooLargeError(Exception):
    """A body went past a size bound while it was read (internal; see the transport)."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"its body is larger than {limit:,} bytes {what}")
        self.limit = limit


class UnsupportedEncodingError(Exception):
    """The body is compressed in a way the client did not ask for, or is corrupt."""


class _Inflater:
    """Decompress gzip or deflate in bounded steps (zlib's ``max_length``)."""

    def __init__(self, encoding: str) -> None:
        self._raw_deflate = False
        if encoding in ("gzip", "x-gzip"):
            self._z: Any = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":  # servers send zlib-wrapped or raw deflate
            self._z = zlib.decompressobj()
            self._raw_deflate = True
        else:
            raise UnsupportedEncodingError(encoding)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        """Return at most ``room + 1`` bytes decompressed from ``data`` (and what it left)."""
        if not self._started and self._raw_deflate:
            self._started = True
            try:
                return self._z.decompress(data, room + 1)  # type: ignore[no-any-return]
            except zlib.error:
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
        self._started = True
        return self._z.decompress(data, room + 1)  # type: ignore[no-any-return]

    def more(self, room: int) -> bytes:
        """Return output held back by the last step's bound (``b""`` when none)."""
        tail = self._z.unconsumed_tail
        return self._z.decompress(tail, room + 1) if tail else b""


@dataclass(frozen=True)
class Reply:
    """A response as read: its status, headers and (decompressed) body."""

    status: int
    headers: httpx.Headers
    body: bytes
    reason: str


def exchange(
    session: Session,
    params: Mapping[str, str],
    *,
    max_body: int,
    max_decoded: int,
    on_status: Callable[[int], None],
) -> Reply:
    """Send one GET and read its answer within the size bounds.

    ``on_status`` is called as soon as the status line is in (billing is
    decided by it, whatever happens to the body). A 2xx body beyond a bound
    raises :class:`BodyTooLargeError`; an error status's body is read up to
    :data:`ERROR_BODY_BYTES` for its message and the rest is ignored. The
    network's errors are httpx's (:class:`httpx.TimeoutException`...).
    """
    try:
        response = session.send(session.request(params))
        try:
            status = response.status
            on_status(status)
            headers = httpx.Headers(response.headers)
            ok = 200 <= status < 300
            if not ok:
                max_body = max_decoded = ERROR_BODY_BYTES
            body = _read(response, headers, max_body=max_body, max_decoded=max_decoded, strict=ok)
            reason = response.extensions.get("reason_phrase", b"")
            text = reason.decode("ascii", "replace") if isinstance(reason, bytes) else ""
            return Reply(status, headers, body, text or httpx.codes.get_reason_phrase(status))
        finally:
            response.close()
    except _CORE_ERRORS as err:
        raise _as_httpx(err) from err


def _read(
    response: httpcore.Response,
    headers: httpx.Headers,
    *,
    max_body: int,
    max_decoded: int,
    strict: bool,
) -> bytes:
    declared = headers.get("content-length", "")
    if strict and declared.isdigit() and int(declared) > max_body:
        raise BodyTooLargeError("on the wire (by its Content-Length)", max_body)
    encoding = headers.get("content-encoding", "identity").strip().lower()
    try:
        inflater = None if encoding in ("", "identity") else _Inflater(encoding)
    except UnsupportedEncodingError:
        if strict:
            raise
        inflater = None  # an error's message: shown as it came
    try:
        return _inflate(response, inflater, max_body, max_decoded, strict=strict)
    except zlib.error as err:
        if strict:
            msg = f"{encoding} data that does not decompress ({err})"
            raise UnsupportedEncodingError(msg) from err
        return b""


def _inflate(
    response: httpcore.Response,
    inflater: _Inflater | None,
    max_body: int,
    max_decoded: int,
    *,
    strict: bool,
) -> bytes:
    received, out = 0, bytearray()
    for chunk in response.iter_stream():
        received += len(chunk)
        if received > max_body:
            if not strict:
                break
            raise BodyTooLargeError("on the wire", max_body)
        pieces = [chunk] if inflater is None else [inflater.feed(chunk, max_decoded - len(out))]
        while pieces:
            out += pieces.pop()
            if len(out) > max_decoded:
                if not strict:
                    return bytes(out[:max_decoded])
                raise BodyTooLargeError("once decompressed", max_decoded)
            if inflater is not None and (tail := inflater.more(max_decoded - len(out))):
                pieces.append(tail)
    return bytes(out)
