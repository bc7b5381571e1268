"""A local stand-in of the upstream endpoint, served over real HTTP on 127.0.0.1.

:class:`Replica` answers ``GET /v2/mining/licenses/`` over any record list (as
the API sends them) or canonical frame, with the API's filters, ``order_by``,
``limit``/``offset``, pagination envelope, error statuses and billing rule. It
can be slowed down and made to misbehave (429 with or without
``Retry-After``, 500, dropped connections, unstable ordering within ties,
records inserted or removed between pages, fewer records a page than asked
for), each settable at any time, and it logs every request it served. A
``hook`` may answer any request with a :class:`Raw` response instead (any
status, headers and body, endless or trickled): a hostile server for tests.
The tests, the demo and the benchmarks use it; so can anyone who wants to
test their own code offline.

It can also change from day to day (``records_by_day=``, or a script file
read by :func:`read_script`), so an update loop can be rehearsed offline.

Inside: ``_endpoint`` (the endpoint's behaviour: :class:`Replica`),
``_serve`` (:func:`serve`), ``_script`` (scripted states by day) and
``_http`` (settings, request log, server, envelope).
"""

from mining_licenses.replica._endpoint import Replica
from mining_licenses.replica._http import (
    DROP,
    DataChange,
    Exchange,
    Faults,
    Hook,
    Raw,
    ServedRequest,
    records_from_frame,
)
from mining_licenses.replica._script import read_script
from mining_licenses.replica._serve import serve

__all__ = [
    "DROP",
    "DataChange",
    "Exchange",
    "Faults",
    "Hook",
    "Raw",
    "Replica",
    "ServedRequest",
    "read_script",
    "records_from_frame",
    "serve",
]
