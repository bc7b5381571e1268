"""What a page body must be before anything is taken from it.

One check, used on every page as it arrives and on every page read back from
the resume journal: JSON (invalid UTF-8 kept as lone surrogates, which the
normaliser replaces and flags), the documented envelope, every record an
object nested no deeper than any real record, and a ``total_count`` that is
a plausible count. A page that fails is a :class:`BadResponseError` naming
its offset and why: never a raw ``AttributeError`` or ``RecursionError``.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import Any, Final

from mining_licenses import _config, _terms, _wire
from mining_licenses._errors import ApiError, AuthenticationError, BadResponseError
from mining_licenses._redact import carries_secret, redact
from mining_licenses.client._calls import Retryable
from mining_licenses.client._http import Reply
from mining_licenses.client._ratelimit import parse_retry_after

#: The longest server message an error quotes.
MAX_MESSAGE: Final = 300


def auth_help() -> str:
    """Say where the key goes, in the caller's terms (Python or the command line)."""
    python = " (or pass api_key=...)"
    return (
        f"Set the {_config.ENV_API_KEY} environment variable to your Sectors API key"
        f"{_terms.pick(python, '')}. The key is sent raw in the Authorization header."
    )


#: Deepest nesting inside one record: a GeoJSON MultiPolygon's coordinates
#: nest five deep; anything past this is not a license.
MAX_RECORD_DEPTH: Final = 32
_CONTAINERS: Final = (dict, list)
_TYPES: Final = frozenset(_CONTAINERS)
_ADVICE: Final = "Nothing of the page was kept; the endpoint may have changed or misbehave."


def bad_page(
    why: str, *, offset: int | None, status: int | None = 200, advice: str = _ADVICE
) -> BadResponseError:
    """Return the error for a page that cannot be used."""
    where = "a page" if offset is None else f"the page at offset {offset:,}"
    msg = f"The API sent {where} that cannot be used: {why}. {advice}"
    return BadResponseError(msg, status_code=status, offset=offset)


def _depth_over(value: object, limit: int) -> bool:
    """Return True when a container in ``value`` sits deeper than ``limit`` levels.

    ``value`` is what :func:`json.loads` returns (plain dicts and lists, whose
    exact types a quick test looks for before a level is walked).

    Level by level, looking only at containers (a record's scalars are never
    pushed anywhere): a flat record costs one pass over its values.
    """
    level: list[Any] = [value] if isinstance(value, dict | list) else []
    depth = 1
    while level:
        if depth > limit:
            return True
        below: list[Any] = []
        for item in level:
            children = item.values() if isinstance(item, dict) else item
            if _TYPES.isdisjoint(map(type, children)):
                continue  # only scalars (as json.loads makes them): nothing below
            below += [child for child in children if isinstance(child, _CONTAINERS)]
        level = below
        depth += 1
    return False


def check_total(total: object, *, offset: int | None, max_total: int) -> int:
    """Return ``total`` when it is a plausible ``total_count``; else raise BadResponseError."""
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise bad_page(f"its total_count {total!r} is not a count", offset=offset)
    if total > max_total:
        raise bad_page(
            "its total_count "
            f"{total:,} is more than "
            + _terms.pick(f"max_total_count={max_total:,}", f"--max-total-count {max_total}"),
            offset=offset,
            advice=(
                "The registry holds about 4,150 licenses; a total this large is far more "
                "likely a broken response than real growth, and sweeping it would cost "
                f"{-(-total // 30):,} credits. No further page was bought. If the registry "
                f"really is that large, pass {_terms.option('max_total_count')} (and "
                f"{_terms.option('budget')})."
            ),
        )
    return total


def parse_page(raw: bytes, *, offset: int | None, max_total: int) -> dict[str, Any]:
    """Return the page body ``raw`` parsed and checked.

    Raises
    ------
    BadResponseError
        Naming ``offset`` and what is wrong with the page.

    Examples
    --------
    >>> parse_page(b'{"results": [], "pagination": {"total_count": 0}}', offset=0,
    ...            max_total=10)["results"]
    []
    >>> parse_page(b'{"results": ["x"], "pagination": {"total_count": 1}}', offset=30,
    ...            max_total=10)
    Traceback (most recent call last):
    ...
    mining_licenses._errors.BadResponseError: The API sent the page at offset 30 that cannot be \
used: results[0] is a str, not an object. Nothing of the page was kept; the endpoint may have \
changed or misbehave.
    """
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        body = json.loads(raw.decode("utf-8", "surrogateescape"))
    except RecursionError:
        raise bad_page("its JSON is nested too deeply to parse", offset=offset) from None
    except ValueError as err:
        raise bad_page(f"its body is not JSON ({err})", offset=offset) from None
    pagination = body.get(_wire.PAGINATION) if isinstance(body, dict) else None
    if (
        not isinstance(body, dict)
        or not isinstance(body.get(_wire.RESULTS), list)
        or not isinstance(pagination, dict)
        or _wire.TOTAL_COUNT not in pagination
    ):
        raise bad_page("it lacks the 'results' list or 'pagination.total_count'", offset=offset)
    check_total(pagination[_wire.TOTAL_COUNT], offset=offset, max_total=max_total)
    results = body[_wire.RESULTS]
    for index, record in enumerate(results):
        if not isinstance(record, dict):
            kind = "null" if record is None else type(record).__name__
            raise bad_page(f"results[{index}] is a {kind}, not an object", offset=offset)
    if _depth_over(results, MAX_RECORD_DEPTH + 1):  # one pass over the page; then find which
        index = next(i for i, r in enumerate(results) if _depth_over(r, MAX_RECORD_DEPTH))
        raise bad_page(
            f"results[{index}] nests deeper than {MAX_RECORD_DEPTH} levels", offset=offset
        )
    return body


def answer(
    reply: Reply,
    params: Mapping[str, str],
    *,
    offset: int,
    max_total: int,
) -> tuple[dict[str, Any], bytes]:
    """Return a page's parsed and raw body, or raise what its status means.

    401/403: :class:`AuthenticationError` with how to set the key; 429 and
    5xx: :class:`Retryable` with the ``Retry-After`` asked for; any other
    refusal: :class:`ApiError` with the server's message (redacted). A page
    whose body carries the API key (a server that echoes it) is refused as a
    :class:`BadResponseError` before anything is parsed or journaled: one
    substring search of the raw bytes, so the key never reaches the journal, a
    snapshot or a message.
    """
    status = reply.status
    if 200 <= status < 300:
        if carries_secret(reply.body):
            raise bad_page(
                "its body carries your API key (the server echoes it back)",
                offset=offset,
                status=status,
                advice="Nothing of the page was kept or written; the endpoint misbehaves.",
            )
        return parse_page(reply.body, offset=offset, max_total=max_total), reply.body
    message = _message(reply)
    if status in (401, 403):
        msg = f"The API refused the key ({status}): {message}. {auth_help()}"
        raise AuthenticationError(msg, status_code=status)
    if status == 429 or status >= 500:
        header = reply.headers.get("Retry-After")
        raise Retryable(
            f"{status}: {message}",
            status_code=status,
            retry_after=parse_retry_after(header),
            header=header,
        )
    msg = f"The API refused the request ({status}) for {dict(params)}: {message}"
    raise ApiError(msg, status_code=status)


def _message(reply: Reply) -> str:
    """Return the server's message in an error body, short and redacted."""
    raw = reply.body.decode("utf-8", "replace")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        body = None
    text = raw.strip() or reply.reason
    if isinstance(body, dict):
        parts = [body[k] for k in ("message", "detail", "error") if body.get(k)]
        text = next((str(p) for p in parts if isinstance(p, str | int | float)), text)
    return redact(text[: 4 * MAX_MESSAGE])[:MAX_MESSAGE]
