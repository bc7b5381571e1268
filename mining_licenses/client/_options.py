"""How a pull runs: its options, their defaults and meaning, defined only here.

The client, ``pull``, ``fetch_licenses``, ``load_licenses`` and
``mining-licenses pull`` all take these options and nothing else re-lists them.

Every option is checked when a :class:`PullOptions` is made: a wrong type
(``allow_insecure="no"``, ``budget=2.5``) or a value out of range is a
:class:`~mining_licenses.ConfigurationError` that names the option, before
anything is sent or spent.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, Final, Literal

from mining_licenses import _validate as check
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError

#: ``client`` options configure a :class:`SectorsClient`; ``sweep`` options may
#: also change per call of :meth:`SectorsClient.fetch_all`.
Scope = Literal["client", "sweep"]

#: The most requests one client keeps in flight: more only queues on a 2-core
#: machine and looks like an attack to a rate limiter.
MAX_IN_FLIGHT: Final = 32
#: The default ceiling on ``total_count``: the registry held ~4,150 licenses in
#: August 2026 and grows by a few hundred a year, so 100,000 (24 times that, a
#: sweep of 3,334 credits: two thirds of the entry plan's month) is far above
#: any real total and far below what a broken or hostile response can claim.
MAX_TOTAL_COUNT: Final = 100_000
_MIB: Final = 2**20


def _option(
    default: object,
    scope: Scope,
    help: str,
    low: float | None = None,
    high: float | None = None,
    *,
    off: str | None = None,
) -> Any:
    """Return a field of :class:`PullOptions` (``off``: what turning it off does, if on)."""
    return dataclasses.field(
        default=default,
        metadata={"scope": scope, "help": help, "low": low, "high": high, "off": off},
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class PullOptions:
    """How a pull runs; every field has a safe default.

    Pass fields as keyword arguments to :class:`SectorsClient`,
    :func:`~mining_licenses.pull`, :func:`~mining_licenses.fetch_licenses` or
    :func:`~mining_licenses.load_licenses` (``budget=50, max_in_flight=8``), or
    make one object and pass it as ``options=``.

    Examples
    --------
    >>> PullOptions(budget=50).max_in_flight
    4
    >>> PullOptions(allow_insecure="no")
    Traceback (most recent call last):
    ...
    mining_licenses._errors.ConfigurationError: allow_insecure='no' must be True or False.
    """

    budget: int | None = _option(
        None, "sweep", "most credits the pull may spend; checked before a page is bought", 0
    )
    strict: bool = _option(
        False, "sweep", "raise IncompleteSweepError instead of returning an incomplete result"
    )
    resume: bool = _option(
        True,
        "sweep",
        "reuse pages journaled by an interrupted pull instead of buying them again",
        off="buy every page again, ignoring the pages an interrupted pull journaled",
    )
    max_repair_rounds: int = _option(
        3, "sweep", "repair steps tried when the sweep comes back short", 0, 20
    )
    max_repair_credits: int | None = _option(
        None,
        "sweep",
        "most credits repairs may spend (default: two sweeps' worth plus one page a province)",
        0,
    )
    auto_budget_factor: float = _option(
        3.0,
        "sweep",
        "without a budget, the most credits a pull spends, as a multiple of the pages "
        "total_count implies (plus one page a province for repairs)",
        1,
        1000,
    )
    max_total_count: int = _option(
        MAX_TOTAL_COUNT,
        "sweep",
        "largest total_count believed (the registry holds ~4,150); a larger one, or one "
        "that is not a count, is refused before more pages are bought",
        0,
        10**9,
    )
    max_empty_pages: int = _option(
        2,
        "sweep",
        "empty pages past the end of the data (total_count said more) before a sweep stops",
        1,
        1000,
    )
    overlap: int = _option(
        1,
        "sweep",
        "records each page repeats from the page before: a record moving between two pages' "
        "requests (data churn with an unchanged total_count) shows at their boundary; 1 costs "
        "one page in 29 more, 0 turns the check off",
        0,
        s.MAX_PAGE_LIMIT - 1,
    )
    max_in_flight: int = _option(4, "client", "requests in flight at once", 1, MAX_IN_FLIGHT)
    page_size: int = _option(
        s.MAX_PAGE_LIMIT,
        "client",
        "records per page (30 makes a sweep cheapest)",
        1,
        s.MAX_PAGE_LIMIT,
    )
    timeout: float = _option(
        30.0,
        "client",
        "seconds one request may take in all (connecting, headers, body); a slower one is "
        "retried, its connection kept open as long again so a late answer is still counted",
        0.001,
        3600,
    )
    max_attempts: int = _option(6, "client", "attempts per page (429, 5xx, timeouts)", 1, 100)
    max_retry_seconds: float = _option(
        120.0, "client", "seconds one page may spend retrying", 0.001, 86_400
    )
    backoff: float = _option(
        0.5, "client", "first backoff in seconds (doubles, full jitter)", 0.0001, 3600
    )
    backoff_max: float = _option(30.0, "client", "longest backoff in seconds", 0.0001, 3600)
    max_body_bytes: int = _option(
        4 * _MIB, "client", "largest response body accepted, as received (bytes)", 1024, 2**30
    )
    max_decoded_bytes: int = _option(
        16 * _MIB,
        "client",
        "largest response body accepted once decompressed (bytes)",
        1024,
        2**31,
    )
    journal_max_age: float = _option(
        24 * 3600.0, "client", "seconds after which a journal is stale", 0.001, 365 * 86_400
    )
    allow_insecure: bool = _option(
        False,
        "client",
        "allow plain http:// to a host that is not loopback (sends the key in clear)",
    )
    progress: bool = _option(True, "client", "show a progress bar", off="no progress bar")

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            _check(item, getattr(self, item.name))

    def replace(self, **changes: object) -> PullOptions:
        """Return a copy with ``changes`` (checked like the constructor's)."""
        unknown = sorted(set(changes) - set(NAMES))
        if unknown:
            msg = f"Unknown option(s) {', '.join(unknown)}; the options are: {', '.join(NAMES)}."
            raise ConfigurationError(msg)
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @staticmethod
    def given(options: object, *, function: str) -> PullOptions:
        """Return ``options`` if a PullOptions (None: the defaults); else a ParameterTypeError.

        Examples
        --------
        >>> PullOptions.given(None, function="pull").budget is None
        True
        """
        return check.instance(
            PullOptions() if options is None else options,
            PullOptions,
            name="options",
            function=function,
            wanted="a PullOptions or None",
            hint="or pass its fields as keywords (budget=50)",
        )

    @staticmethod
    def split(arguments: Mapping[str, object]) -> tuple[dict[str, object], dict[str, object]]:
        """Split keyword arguments into ``(options, the rest)`` (the rest: the API's filters)."""
        options = {k: v for k, v in arguments.items() if k in NAMES}
        return options, {k: v for k, v in arguments.items() if k not in NAMES}


def _check(item: dataclasses.Field[Any], value: object) -> None:
    name, default = item.name, item.default
    low, high = item.metadata["low"], item.metadata["high"]
    if isinstance(default, bool):
        if not isinstance(value, bool):
            msg = f"{name}={value!r} must be True or False."
            raise ConfigurationError(msg)
        return
    if value is None and default is None:
        return
    whole = isinstance(default, int) or default is None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (whole and not isinstance(value, int))
    ):
        kind = "a whole number" if whole else "a number"
        msg = f"{name}={value!r} must be {kind}" + (" or None." if default is None else ".")
        raise ConfigurationError(msg)
    if (
        not math.isfinite(value)
        or (low is not None and value < low)
        or (high is not None and value > high)
    ):
        bounds = f"at least {low:g}" if high is None else f"between {low:g} and {high:g}"
        msg = f"{name}={value!r} is out of range; it must be {bounds}."
        raise ConfigurationError(msg)


def _num(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:g}"


#: Every option's name, in the order of :class:`PullOptions`.
NAMES: Final = tuple(f.name for f in dataclasses.fields(PullOptions))
#: The options that may change per :meth:`SectorsClient.fetch_all` call.
SWEEP_NAMES: Final = tuple(
    f.name for f in dataclasses.fields(PullOptions) if f.metadata["scope"] == "sweep"
)


def option_help() -> dict[str, tuple[object, str, float | None, float | None]]:
    """Return each option's default, meaning and range (the command line reads this).

    For an option that is on by default, the meaning is what turning it off
    does (the command line's ``--no-...`` flag).

    Examples
    --------
    >>> option_help()["resume"][1]
    'buy every page again, ignoring the pages an interrupted pull journaled'
    """
    return {
        f.name: (
            f.default,
            f.metadata["off"] if f.default is True else f.metadata["help"],
            f.metadata["low"],
            f.metadata["high"],
        )
        for f in dataclasses.fields(PullOptions)
    }
