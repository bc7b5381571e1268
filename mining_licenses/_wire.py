"""The endpoint's wire contract, shared by the client and the replica.

One place for the path, the paging parameters and their validation, the
pagination envelope's keys, the billing rule, and what makes two records the
same license. The client validates with these functions before it sends a
request; the replica validates with the same functions before it answers, so
both refuse the same things with the same words.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Mapping
from typing import Any, Final

from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError
from mining_licenses._filters import FilterValue

#: Path of the endpoint below the base URL.
ENDPOINT_PATH: Final = "/v2/mining/licenses/"

ORDER_BY: Final = "order_by"
LIMIT: Final = "limit"
OFFSET: Final = "offset"
PAGING_PARAMS: Final = (ORDER_BY, LIMIT, OFFSET)

# The response envelope.
RESULTS: Final = "results"
PAGINATION: Final = "pagination"
#: ``true`` in the envelope of pages whose records are made up (the replica sets it).
SYNTHETIC: Final = "synthetic"
TOTAL_COUNT: Final = "total_count"
SHOWING: Final = "showing"
HAS_NEXT: Final = "has_next"
HAS_PREVIOUS: Final = "has_previous"
NEXT_OFFSET: Final = "next_offset"
PREVIOUS_OFFSET: Final = "previous_offset"

#: Statuses the provider bills (besides every 2xx), per its OpenAPI notes.
BILLED_ERROR_STATUSES: Final = frozenset({404})
_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_billed(status_code: int) -> bool:
    """Return True when a response with ``status_code`` costs one credit.

    Examples
    --------
    >>> [is_billed(code) for code in (200, 404, 400, 429, 503)]
    [True, True, False, False, False]
    """
    return 200 <= status_code < 300 or status_code in BILLED_ERROR_STATUSES


def is_loopback(host: str) -> bool:
    """Return True when ``host`` names this machine (``127.0.0.0/8``, ``::1``, ``localhost``).

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("[::1]"), is_loopback("api.sectors.app")
    (True, True, False)
    """
    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def validate_order_by(value: object) -> str:
    """Return ``value`` as a valid ``order_by`` (a sort field, optionally ``-`` prefixed).

    ``None`` gives the API's default, :data:`schema.DEFAULT_ORDER_BY`.

    Examples
    --------
    >>> validate_order_by("-licensed_area_ha")
    '-licensed_area_ha'
    """
    if value is None:
        return s.DEFAULT_ORDER_BY
    if not isinstance(value, str) or value.removeprefix("-") not in s.ORDER_BY_FIELDS:
        allowed = ", ".join(s.ORDER_BY_FIELDS)
        msg = f"order_by={value!r} is not allowed; use one of {allowed}, optionally prefixed '-'."
        raise ConfigurationError(msg)
    return value


def split_order_by(order_by: str) -> tuple[str, bool]:
    """Return ``(field, descending)`` of a validated ``order_by``.

    Examples
    --------
    >>> split_order_by("-license_expiry_date")
    ('license_expiry_date', True)
    """
    return order_by.removeprefix("-"), order_by.startswith("-")


def _as_int(name: str, value: object) -> int:
    if isinstance(value, bool):
        msg = f"{name}={value!r} must be an integer."
        raise ConfigurationError(msg)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    msg = f"{name}={value!r} must be an integer."
    raise ConfigurationError(msg)


def validate_limit(value: object) -> int:
    """Return ``value`` as a page size between 1 and :data:`schema.MAX_PAGE_LIMIT`.

    ``None`` gives the API's default, :data:`schema.DEFAULT_PAGE_LIMIT`.

    Examples
    --------
    >>> validate_limit("30")
    30
    """
    if value is None:
        return s.DEFAULT_PAGE_LIMIT
    limit = _as_int(LIMIT, value)
    if not 1 <= limit <= s.MAX_PAGE_LIMIT:
        msg = f"limit={limit} is out of range; the API allows 1 to {s.MAX_PAGE_LIMIT}."
        raise ConfigurationError(msg)
    return limit


def validate_offset(value: object) -> int:
    """Return ``value`` as a non-negative offset (``None`` gives 0).

    Examples
    --------
    >>> validate_offset("60")
    60
    """
    if value is None:
        return 0
    offset = _as_int(OFFSET, value)
    if offset < 0:
        msg = f"offset={offset} is negative; offsets start at 0."
        raise ConfigurationError(msg)
    return offset


def encode_filters(filters: Mapping[str, FilterValue]) -> dict[str, str]:
    """Return validated filters as query parameters (booleans as ``true``/``false``).

    Examples
    --------
    >>> encode_filters({"province": "Riau", "expiring_soon": True})
    {'province': 'Riau', 'expiring_soon': 'true'}
    """
    return {
        name: ("true" if value else "false") if isinstance(value, bool) else value
        for name, value in filters.items()
    }


def record_fingerprint(record: Mapping[str, Any]) -> str:
    """Return a string equal for two records exactly when their contents are equal.

    Examples
    --------
    >>> record_fingerprint({"a": 1, "b": None}) == record_fingerprint({"b": None, "a": 1})
    True
    """
    return json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)


def license_key(record: Mapping[str, Any]) -> str:
    """Return the identity of the license a record describes.

    ``wiup_code`` with ``license_number`` where the record has a ``wiup_code``;
    otherwise the whole record, since nothing else identifies it.

    Examples
    --------
    >>> license_key({"wiup_code": "1", "license_number": "A", "city": "Paser"})
    'wiup:1|A'
    """
    code = record.get(s.WIUP_CODE)
    if code is None or code == "":
        return "record:" + record_fingerprint(record)
    return f"wiup:{code}|{record.get(s.LICENSE_NUMBER)}"


def query_digest(parts: Mapping[str, Any]) -> str:
    """Return a short stable hash of a JSON-able mapping (the journal's key).

    Examples
    --------
    >>> len(query_digest({"base_url": "https://api.sectors.app", "limit": 30}))
    24
    """
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]
