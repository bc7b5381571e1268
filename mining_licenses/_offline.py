"""Which failures of the API an offline fallback may hide, and which the user must see.

``load_licenses()`` falls back to an older snapshot when the API cannot
answer *now*: the network failed (no status), the server failed (5xx),
it rate-limited (429) or sent an answer that cannot be used (a
:class:`~mining_licenses._errors.BadResponseError`). Trying again later
helps with each. A refused key (401/403), a request the API refuses (400,
404), an account out of credit (402) or a budget the sweep would exceed
would fail the same way tomorrow: falling back would hide them behind old
data, so they are raised.
"""

from __future__ import annotations

from mining_licenses._errors import (
    ApiError,
    AuthenticationError,
    BadResponseError,
    RateLimitedError,
)

__all__ = ["is_outage"]


def is_outage(err: BaseException) -> bool:
    """Return True when ``err`` says the API could not answer now (worth a stale fallback).

    Examples
    --------
    >>> is_outage(ApiError("connection refused"))  # no status: the network
    True
    >>> is_outage(ApiError("down", status_code=503)), is_outage(ApiError("no", status_code=402))
    (True, False)
    >>> is_outage(AuthenticationError("refused", status_code=401))
    False
    """
    if isinstance(err, AuthenticationError) or not isinstance(err, ApiError):
        return False
    if isinstance(err, RateLimitedError | BadResponseError):
        return True
    code = err.status_code
    return code is None or code == 429 or code >= 500
