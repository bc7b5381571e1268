"""What the replica answers: filters, order, paging, errors, faults (see the package docstring)."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import json
import logging
import random
import socket
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import polars as pl

from mining_licenses import _wire
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError
from mining_licenses._filters import FilterValue, filter_expression, validate_filters
from mining_licenses.replica._http import (
    DROP,
    DataChange,
    Exchange,
    Faults,
    Handler,
    Hook,
    OnTheWire,
    ServedRequest,
    Server,
    page_body,
    records_from_frame,
)
from mining_licenses.replica._script import state_on, states_by_day

logger = logging.getLogger(__name__)

_ROW: Final = "__replica_row"
_TIE: Final = "__replica_tie"


@dataclass(frozen=True)
class _Query:
    filters: tuple[tuple[str, FilterValue], ...]
    order_by: str
    limit: int
    offset: int


class Replica:
    """The endpoint served on 127.0.0.1 over ``records``; a context manager.

    Parameters
    ----------
    records
        API records (dicts, served exactly as given) or a canonical frame.
    api_key
        When set, a request whose ``Authorization`` header is not exactly this
        key is answered 401, as the API does; ``None`` accepts any request.
    faults
        Latency and misbehaviour; replace ``replica.faults`` at any time.
    as_of
        The replica's "today" for ``expiring_soon`` (default: the real today).
    host, port
        Where to listen; port 0 picks a free one. Only loopback hosts.
    seed
        Seed of the random tie order of ``Faults(unstable_ties=True)``.
    provinces
        The province names the endpoint accepts (the provider's list has 36 of
        Indonesia's 38); another province gets a 400. ``None``: all of
        :data:`schema.PROVINCES`.
    strict_params
        Answer 400 to unknown query parameters (the client never sends any).
    synthetic
        Mark every page ``"synthetic": true``, so what the client stores from it
        is labelled synthetic. True by default: a stand-in serves no real
        registry; pass False to replay real records.
    hook
        Called with every :class:`Exchange` before it is answered; a
        :class:`Raw` it returns is sent instead. Replace ``replica.hook`` at any time.
    records_by_day
        Scripted states: the records served on and after each day, up to the
        next (``records`` is then ignored). The day is ``as_of`` (set
        ``replica.as_of`` to move on) or the real date; before the first day,
        the first state. See :mod:`mining_licenses.replica._script`.

    Examples
    --------
    >>> import httpx
    >>> with Replica([]) as replica:
    ...     body = httpx.get(replica.url + "/v2/mining/licenses/").json()
    >>> body["pagination"]["total_count"], replica.requests_served, replica.billed
    (0, 1, 1)
    """

    def __init__(
        self,
        records: Iterable[Mapping[str, Any]] | pl.DataFrame = (),
        *,
        api_key: str | None = None,
        faults: Faults | None = None,
        as_of: dt.date | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        provinces: Sequence[str] | None = None,
        strict_params: bool = True,
        synthetic: bool = True,
        hook: Hook | None = None,
        records_by_day: Mapping[dt.date, Iterable[Mapping[str, Any]] | pl.DataFrame] | None = None,
    ) -> None:
        if not _wire.is_loopback(host):
            msg = f"The replica listens on loopback only; host={host!r} is not loopback."
            raise ConfigurationError(msg)
        self.faults = faults or Faults()
        self.as_of = as_of
        self.strict_params = strict_params
        self.synthetic = synthetic
        self.hook = hook
        self.provinces = None if provinces is None else frozenset(provinces)
        self._key = api_key
        self._host, self._port = host, port
        self._rng = random.Random(seed)  # noqa: S311 - tie order, not secrets
        self._lock = threading.RLock()
        self._frame: pl.DataFrame | None = None
        self._states = states_by_day(records_by_day) if records_by_day is not None else []
        self._state = 0
        if self._states:
            self._records = list(self._states[0][1])
        elif isinstance(records, pl.DataFrame):
            self._records = records_from_frame(records)
            self._frame = records.with_row_index(_ROW)
        else:
            self._records = [dict(r) for r in records]
        self._order_cache: dict[tuple[Any, ...], list[int]] = {}
        self._encoded: list[bytes] | None = None
        self._changes: list[DataChange] = []
        self._scripted: list[tuple[int | str, float | None]] = []
        self._log: list[ServedRequest] = []
        self._wire = OnTheWire()
        self._count = 0
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> Replica:
        """Start serving in a background thread; return self."""
        if self._server is not None:
            return self
        with self._lock:
            self._canonical()  # a bad record list fails here, not in a request
        self._server = Server((self._host, self._port), self._handle)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="mining-licenses-replica",
            daemon=True,
        )
        self._thread.start()
        logger.info("replica serving %d records at %s", len(self._records), self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        with server.sockets_lock:
            for sock in list(server.open_sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Replica:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._server else "stopped"
        return f"Replica({len(self._records)} records, {where})"

    @property
    def url(self) -> str:
        """The base URL to give a client, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            msg = "The replica is not running; call start() or use it in a with block."
            raise ConfigurationError(msg)
        host, port = self._server.server_address[:2]
        text = host.decode() if isinstance(host, bytes) else host
        shown = f"[{text}]" if ":" in text else text
        return f"http://{shown}:{port}"

    # ------------------------------------------------------------- counters
    @property
    def requests_served(self) -> int:
        """Requests answered so far, whatever their status (dropped ones too)."""
        with self._lock:
            return len(self._log)

    @property
    def billed(self) -> int:
        """Credits the provider would have billed so far (2xx and 404)."""
        with self._lock:
            return sum(r.billed for r in self._log)

    @property
    def log(self) -> list[ServedRequest]:
        """A copy of the request log, in the order requests arrived."""
        with self._lock:
            return list(self._log)

    def reset_log(self) -> None:
        """Forget the requests served so far (counters restart at 0)."""
        with self._lock:
            self._log.clear()
        self._wire.reset()

    @property
    def max_on_wire(self) -> int:
        """The most requests on the wire at once so far.

        A request is on the wire from its arrival until its answer is written,
        or until its client closes the connection (while the replica, like a
        real server, goes on producing the answer, and bills it).
        """
        return self._wire.most

    @property
    def aborted(self) -> list[int]:
        """Numbers of the requests whose client left before the whole answer was sent."""
        return self._wire.aborted

    # ----------------------------------------------------------------- data
    @property
    def records(self) -> list[dict[str, Any]]:
        """The records currently served, in storage order (copies)."""
        with self._lock:
            self._apply_day()
            return [dict(r) for r in self._records]

    def schedule_change(
        self,
        after_requests: int,
        *,
        insert: Sequence[Mapping[str, Any]] = (),
        remove: Sequence[str] = (),
    ) -> None:
        """Insert and/or remove records once ``after_requests`` more requests were served."""
        with self._lock:
            change = DataChange(self._count + after_requests, tuple(insert), tuple(remove))
            self._changes.append(change)

    def fail_next(self, *statuses: int | str, retry_after: float | None = None) -> None:
        """Answer the next requests with these statuses (or :data:`DROP`), in order."""
        with self._lock:
            self._scripted.extend((status, retry_after) for status in statuses)

    def matching_records(
        self, *, order_by: str | None = None, **filters: object
    ) -> list[dict[str, Any]]:
        """Return every record a sweep with ``filters`` should collect, in served order.

        Examples
        --------
        >>> Replica([]).matching_records(province="Riau")
        []
        """
        clean = validate_filters(filters)
        order = _wire.validate_order_by(order_by)
        with self._lock:
            rows = self._ordered_rows(tuple(clean.items()), order, unstable=False)
            return [dict(self._records[i]) for i in rows]

    # ------------------------------------------------------------- serving
    def _canonical(self) -> pl.DataFrame:
        if self._frame is None:
            from mining_licenses.normalize import normalize_records

            self._frame = normalize_records(self._records).with_row_index(_ROW)
        return self._frame

    def _apply_day(self) -> None:
        """Serve the scripted state of the replica's today, if it is not served already."""
        if not self._states:
            return
        chosen = state_on(self._states, self.as_of or dt.date.today())
        if chosen == self._state:
            return
        self._state = chosen
        self._records = list(self._states[chosen][1])
        logger.debug("replica: now serving the state of %s", self._states[chosen][0])
        self._frame = None
        self._encoded = None
        self._order_cache.clear()

    def _apply_changes(self) -> None:
        served = self._count - 1  # requests answered before the current one
        due = [c for c in self._changes if c.after_requests <= served]
        if not due:
            return
        self._changes = [c for c in self._changes if c.after_requests > served]
        for change in due:
            gone = set(change.remove)
            self._records = [r for r in self._records if r.get(s.WIUP_CODE) not in gone]
            self._records.extend(dict(r) for r in change.insert)
            logger.debug(
                "replica data changed: +%d -%s", len(change.insert), ",".join(change.remove)
            )
        self._frame = None
        self._encoded = None
        self._order_cache.clear()

    def _ordered_rows(
        self, filters: tuple[tuple[str, FilterValue], ...], order_by: str, *, unstable: bool
    ) -> list[int]:
        today = self.as_of or dt.date.today()
        key = (filters, order_by, today)
        if not unstable and key in self._order_cache:
            return self._order_cache[key]
        frame = self._canonical()
        api_filters = {k: v for k, v in filters if k != "company"}
        # The live API's ``company`` matches the slug only, never the company name.
        predicate = filter_expression(api_filters, as_of=today)
        company = dict(filters).get("company")
        if company is not None:
            predicate &= pl.col(s.COMPANY_SLUG) == company
        chosen = frame.filter(predicate)
        field_name, descending = _wire.split_order_by(order_by)
        if unstable:
            ties = list(range(chosen.height))
            self._rng.shuffle(ties)
            chosen = chosen.with_columns(pl.Series(_TIE, ties, dtype=pl.Int64()))
            by = [field_name, _TIE]
        else:
            by = [field_name, s.WIUP_CODE, _ROW]
        # PostgreSQL's default: nulls last ascending, first descending.
        ordered = chosen.sort(
            by,
            descending=[descending] + [False] * (len(by) - 1),
            nulls_last=[not descending] + [True] * (len(by) - 1),
        )
        rows: list[int] = ordered.get_column(_ROW).to_list()
        if not unstable:
            self._order_cache[key] = rows
        return rows

    def _parse(self, query: str) -> _Query:
        params = {
            name: values[-1] for name, values in parse_qs(query, keep_blank_values=True).items()
        }
        unknown = sorted(set(params) - set(s.FILTERS) - set(_wire.PAGING_PARAMS))
        if unknown and self.strict_params:
            msg = f"Unknown query parameter(s): {', '.join(unknown)}."
            raise ConfigurationError(msg)
        filters = validate_filters({k: v for k, v in params.items() if k in s.FILTERS})
        province = filters.get(s.PROVINCE)
        if self.provinces is not None and province is not None and province not in self.provinces:
            msg = f"Invalid province {province!r}: not in the list of provinces."
            raise ConfigurationError(msg)
        return _Query(
            filters=tuple(filters.items()),
            order_by=_wire.validate_order_by(params.get(_wire.ORDER_BY)),
            limit=_wire.validate_limit(params.get(_wire.LIMIT)),
            offset=_wire.validate_offset(params.get(_wire.OFFSET)),
        )

    def _next_fault(self, number: int) -> tuple[int | str | None, float | None]:
        if self._scripted:
            return self._scripted.pop(0)
        faults = self.faults
        for every, status in (
            (faults.drop_every, DROP),
            (faults.rate_limit_every, 429),
            (faults.server_error_every, 500),
        ):
            if every and number % every == 0:
                return status, faults.retry_after
        return None, None

    def _retry_after_header(self, seconds: float | None) -> dict[str, str]:
        if seconds is None:
            return {}
        if self.faults.retry_after_http_date:
            return {"Retry-After": email.utils.formatdate(time.time() + seconds, usegmt=True)}
        return {"Retry-After": f"{seconds:g}"}

    def _handle(self, handler: Handler) -> None:
        url = urlsplit(handler.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        with self._lock:
            self._count += 1
            number = self._count
            self._apply_day()
            self._apply_changes()
            fault, retry_after = self._next_fault(number)
            faults, hook = self.faults, self.hook
        self._wire.arrive(number, handler.connection)
        try:
            self._respond(handler, number, url.path, url.query, params, faults, hook, fault,
                          retry_after)  # fmt: skip
        finally:
            self._wire.leave(number)

    def _respond(
        self,
        handler: Handler,
        number: int,
        path: str,
        query: str,
        params: dict[str, str],
        faults: Faults,
        hook: Hook | None,
        fault: int | str | None,
        retry_after: float | None,
    ) -> None:
        if faults.latency:
            time.sleep(faults.latency)  # producing the answer, even if the client leaves
        try:
            status, body, headers = self._answer(handler, path, query, fault, retry_after)
        except Exception as err:  # a replica bug must surface as an answer, not a hang
            logger.exception("replica failed to answer %s", path)
            status, body, headers = 500, {"error": "REPLICA_ERROR", "message": repr(err)}, {}
        payload = body if isinstance(body, bytes) else json.dumps(body, default=str).encode()
        raw = hook(Exchange(number, params, status, payload)) if hook is not None else None
        if raw is not None:
            status = raw.status
        billed = status is not None and _wire.is_billed(status)
        if raw is not None and raw.billed is not None:
            billed = raw.billed
        with self._lock:
            self._log.append(ServedRequest(number, path, params, status, billed))
        if status is None:
            handler.close_connection = True
            return
        try:
            if raw is not None:
                handler.send_raw(raw)
            else:
                handler.send_json(status, payload, headers)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            logger.debug("replica: client went away before request %d was answered", number)
            handler.close_connection = True
            self._wire.abort(number)

    def _answer(
        self,
        handler: Handler,
        path: str,
        query: str,
        fault: int | str | None,
        retry_after: float | None,
    ) -> tuple[int | None, object, dict[str, str]]:
        if fault == DROP:
            return None, None, {}
        if self._key is not None and handler.headers.get("Authorization") != self._key:
            message = "Invalid or missing API key."
            return 401, {"error": "UNAUTHORIZED", "message": message}, {}
        if fault == 429:
            message = "Rate limit exceeded. Consider upgrading."
            body = {"error": "RATE_LIMIT_EXCEEDED", "message": message}
            return 429, body, self._retry_after_header(retry_after)
        if isinstance(fault, int):
            return fault, {"error": "SERVER_ERROR", "message": "Internal server error."}, {}
        if path.rstrip("/") != _wire.ENDPOINT_PATH.rstrip("/"):
            return 404, {"error": "NOT_FOUND", "message": f"No endpoint at {path}."}, {}
        try:
            request = self._parse(query)
        except ConfigurationError as err:
            return 400, {"error": "BAD_REQUEST", "message": str(err)}, {}
        with self._lock:
            rows = self._ordered_rows(
                request.filters, request.order_by, unstable=self.faults.unstable_ties
            )
            encoded = self._encoded_records()
            cap = self.faults.page_cap
            size = min(request.limit, cap) if cap else request.limit
            chosen = rows[request.offset : request.offset + size]
            page = [encoded[i] for i in chosen]
        served = page_body(page, len(rows), size, request.offset, synthetic=self.synthetic)
        return 200, served, {}

    def _encoded_records(self) -> list[bytes]:
        # each record encoded once, not on every request: the replica must keep up
        if self._encoded is None:
            self._encoded = [json.dumps(r, default=str).encode() for r in self._records]
        return self._encoded
