"""A fault plan: what the replica does wrong to which answer, for generated hostile upstreams.

A :class:`FaultPlan` is a replica ``hook`` built from plain data (request
number -> :class:`Misbehaviour`), so that a property-based test can draw one
and shrink it: pages cut short, missing a record, reordered, served from
another offset or from an earlier answer (stale), ``total_count`` off or
zero, error statuses, and a secret echoed back in a record, the total, a
header or an error message. Data-level faults (records served twice, odd
values, churn between pages) are the replica's records and
:meth:`~mining_licenses.replica.Replica.schedule_change`; a server ignoring
``offset`` is :attr:`Faults.ignore_offset`.

Examples
--------
>>> plan = FaultPlan({2: Misbehaviour("status", 500)})
>>> plan.kinds()
['status']
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from mining_licenses import _wire
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError
from mining_licenses.replica._http import Exchange, Raw

#: What a :class:`Misbehaviour` may do to one answer (``arg`` as each says).
KINDS: Final = {
    "status": "answer with the HTTP status ``arg`` instead (429, 500, 404, 400, 401...)",
    "drop_record": "leave out the record at ``arg`` (modulo the page's length)",
    "truncate": "keep only the first ``arg`` records (modulo the page's length)",
    "shuffle": "rotate the page's records by ``arg`` places",
    "repeat_page": "send the records of another offset already served (same query)",
    "stale_page": "send what this same request was answered the time before",
    "total": "add ``arg`` to total_count (never below 0)",
    "zero": "an empty page with total_count 0 (a transient empty answer)",
    "echo_body": "put the secret into a record of the page",
    "echo_total": "send the secret as total_count",
    "echo_header": "send the secret in a response header",
    "echo_message": "answer ``arg`` (400, 401, 500...) with the secret in the message",
}


@dataclass(frozen=True)
class Misbehaviour:
    """One thing done wrong to one answer: a kind of :data:`KINDS` and its argument."""

    kind: str
    arg: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            msg = f"Unknown misbehaviour {self.kind!r}; one of {', '.join(KINDS)}."
            raise ConfigurationError(msg)


class FaultPlan:
    """A replica hook applying :class:`Misbehaviour` s by request number; records what it did.

    Parameters
    ----------
    faults
        Request number (1 for the first request the replica serves) -> what to
        do to its answer. Only answers the replica would send as a page (200)
        are changed; a misbehaviour with nothing to act on (a repeat before any
        other page was served) leaves the answer alone.
    secret
        What the ``echo_*`` misbehaviours echo (a test's fake API key).
    """

    def __init__(self, faults: Mapping[int, Misbehaviour], *, secret: str = "") -> None:
        self.faults = dict(faults)
        self.secret = secret
        self.applied: list[tuple[int, str]] = []
        self._served: dict[tuple[tuple[str, str], ...], bytes] = {}
        self._lock = threading.Lock()

    def kinds(self) -> list[str]:
        """Return the kinds of misbehaviour planned, sorted."""
        return sorted({f.kind for f in self.faults.values()})

    def __call__(self, exchange: Exchange) -> Raw | None:
        """Answer ``exchange`` as planned (None: as the replica would)."""
        if exchange.status != 200:
            return None
        params = tuple(sorted(exchange.params.items()))
        query = tuple(p for p in params if p[0] != _wire.OFFSET)
        with self._lock:
            fault = self.faults.get(exchange.number)
            before = self._served.get(params)
            others = [
                body
                for key, body in self._served.items()
                if key != params and tuple(p for p in key if p[0] != _wire.OFFSET) == query
            ]
            raw = None if fault is None else self._apply(fault, exchange, before, others)
            self._served[params] = (
                raw.body if raw is not None and isinstance(raw.body, bytes) else (exchange.body)
            )
            if raw is not None:
                self.applied.append((exchange.number, fault.kind if fault else ""))
        return raw

    def _apply(
        self, fault: Misbehaviour, exchange: Exchange, before: bytes | None, others: list[bytes]
    ) -> Raw | None:
        kind, arg = fault.kind, fault.arg
        if kind == "status":
            return Raw(arg, json.dumps({"error": "FAULT", "message": "planned"}).encode())
        if kind == "echo_message":
            message = {"error": "FAULT", "message": f"bad request; key was {self.secret}"}
            return Raw(arg, json.dumps(message).encode())
        if kind == "echo_header":
            return Raw(200, exchange.body, headers={"X-Echo": self.secret})
        if kind == "repeat_page":
            return Raw(200, others[arg % len(others)]) if others else None
        if kind == "stale_page":
            return Raw(200, before) if before is not None else None
        body = exchange.page()
        results: list[Any] = body[_wire.RESULTS]
        pagination: dict[str, Any] = body[_wire.PAGINATION]
        if kind == "total":
            pagination[_wire.TOTAL_COUNT] = max(pagination[_wire.TOTAL_COUNT] + arg, 0)
        elif kind == "zero":
            body[_wire.RESULTS], pagination[_wire.TOTAL_COUNT] = [], 0
        elif kind == "echo_total":
            pagination[_wire.TOTAL_COUNT] = self.secret
        elif not results:
            return None
        elif kind == "drop_record":
            del results[arg % len(results)]
        elif kind == "truncate":
            del results[arg % len(results) :]
        elif kind == "shuffle":
            body[_wire.RESULTS] = results[arg % len(results) :] + results[: arg % len(results)]
        elif kind == "echo_body":
            results[arg % len(results)][s.COMPANY_NAME] = f"PT {self.secret}"
        return Raw(200, json.dumps(body).encode())
