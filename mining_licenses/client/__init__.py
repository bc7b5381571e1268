"""The API client: complete, fast, credit-safe sweeps of ``/v2/mining/licenses/``.

:class:`SectorsClient` is the public entry point. Inside, in the order a
sweep runs: ``_transport`` (one request: auth, retries, status, credits, the
wire slots), ``_http`` (the exchange on the wire: a whole-request deadline,
body sizes, no stray proxy), ``_body`` (what a page must be to be used),
``_ratelimit`` (429 pauses and ``Retry-After``), ``_sweep`` (pages fetched
concurrently, costs counted before they are spent), ``_journal`` (pages kept
on disk for resume), ``_records`` (the collected set, deduplicated),
``_repair`` (making a short or torn sweep whole), ``_results`` (what a sweep
returns, and why it is not complete), ``_progress`` (the progress bar) and
``_options`` (the pull options shared with the loader and the command line).
"""

from mining_licenses.client._client import SectorsClient
from mining_licenses.client._options import PullOptions
from mining_licenses.client._repair import REPAIR_ORDERS
from mining_licenses.client._results import Estimate, SweepResult
from mining_licenses.client._sweep import Page

__all__ = ["REPAIR_ORDERS", "Estimate", "Page", "PullOptions", "SectorsClient", "SweepResult"]
