"""The API client: complete, fast, credit-safe sweeps of ``/v2/mining/licenses/``.

:class:`SectorsClient` is the public entry point. Inside, in the order a
sweep runs: ``_address`` (the base URL, checked before anything is sent),
``_transport`` (one request: auth, retries, status, credits, the wire
slots), ``_http`` (the exchange on the wire: a whole-request deadline, body
sizes, no stray proxy), ``_body`` (what a page must be to be used: a body
that echoes the key is not), ``_ratelimit`` (429 pauses and
``Retry-After``), ``_sweep`` (pages fetched concurrently, costs counted
before they are spent), ``_journal`` (pages kept on disk for resume, its
folder checked first), ``_records`` (the collected set: repeats dropped,
copies upstream kept, rows counted), ``_windows`` (tie groups read again),
``_repair`` (making a short or torn sweep whole; a falling total never
trusted), ``_results`` (what a sweep returns, and why it is not complete),
``_progress`` (the progress bar) and ``_options`` (the pull options shared
with the loader and the command line).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from mining_licenses.client._options import PullOptions

if TYPE_CHECKING:  # imported on first use: the options need no httpx
    from mining_licenses.client._client import SectorsClient
    from mining_licenses.client._query import Page
    from mining_licenses.client._repair import REPAIR_ORDERS
    from mining_licenses.client._results import INCOMPLETE_REASONS, Estimate, SweepResult

_LAZY = {
    "SectorsClient": "_client",
    "REPAIR_ORDERS": "_repair",
    "Estimate": "_results",
    "INCOMPLETE_REASONS": "_results",
    "SweepResult": "_results",
    "Page": "_query",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        msg = f"module 'mining_licenses.client' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(import_module(f"mining_licenses.client.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "INCOMPLETE_REASONS",
    "REPAIR_ORDERS",
    "Estimate",
    "Page",
    "PullOptions",
    "SectorsClient",
    "SweepResult",
]
