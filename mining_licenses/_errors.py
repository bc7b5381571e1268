"""Exceptions and warnings raised by mining_licenses.

Every error the package raises derives from :class:`MiningLicensesError`, and
every warning from :class:`MiningLicensesWarning`, so callers can catch the
package's own conditions without catching everything.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
import threading
import warnings
from pathlib import Path
from typing import Any, Final

#: The longest a value is shown in an error message; longer ones are cut with "...".
MAX_SHOWN_VALUE: Final = 80


def shorten(value: object, width: int = MAX_SHOWN_VALUE) -> str:
    """Return ``repr(value)`` cut to about ``width`` characters, for error messages.

    Examples
    --------
    >>> shorten("x" * 500, width=12)
    "'xxxxxxxx..."
    """
    if isinstance(value, str) and len(value) > 4 * width:
        value = value[: 4 * width]  # repr of a huge text is not built only to be cut
    shown = repr(value)
    return shown if len(shown) <= width else shown[: width - 3] + "..."


class MiningLicensesError(Exception):
    """Base class of every error raised by mining_licenses."""


class ConfigurationError(MiningLicensesError, ValueError):
    """A parameter, filter or setting has a value the package cannot use."""


class SchemaError(MiningLicensesError, ValueError):
    """Records or a frame do not match the canonical schema.

    Attributes
    ----------
    problems
        One dict per problem with the keys ``position``, ``wiup_code``,
        ``field``, ``value`` and ``reason`` (where they apply).
    """

    def __init__(self, message: str, problems: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.problems: list[dict[str, Any]] = problems or []


class ApiError(MiningLicensesError):
    """The API answered with a status the client does not treat as data.

    Attributes
    ----------
    status_code
        The HTTP status code, or ``None`` when no response was received.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class AuthenticationError(ApiError):
    """The API refused the key (401/403), or no key was given."""


class BadResponseError(ApiError):
    """A response the API sent cannot be used as a page.

    Not JSON, not the documented envelope, records that are not objects,
    nesting deeper than any record has, a body larger than allowed, or a
    ``total_count`` that is not a plausible count. Nothing of the page is kept.

    Attributes
    ----------
    offset
        The offset of the page that was asked for (``None`` when unknown).
    """

    def __init__(
        self, message: str, *, status_code: int | None = None, offset: int | None = None
    ) -> None:
        super().__init__(message, status_code=status_code)
        self.offset = offset


class RateLimitedError(ApiError):
    """The API asked (429 ``Retry-After``) for a pause longer than the client may wait.

    Attributes
    ----------
    retry_after
        The seconds the API asked for (``math.inf`` when it named no usable time).
    retry_at
        When to try again (UTC), or ``None`` when the wait is unbounded.
    """

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, status_code=429)
        self.retry_after = retry_after
        self.retry_at: dt.datetime | None = None
        if math.isfinite(retry_after) and retry_after < 100 * 365 * 86_400:
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            self.retry_at = now + dt.timedelta(seconds=math.ceil(retry_after))


class BudgetExceededError(MiningLicensesError):
    """A sweep would spend more credits than the budget allows."""


class IncompleteSweepError(MiningLicensesError):
    """A sweep could not collect every license the API says exists."""


class SnapshotError(MiningLicensesError):
    """A snapshot file is missing, unreadable, corrupt or not GeoParquet."""


class OutputExistsError(MiningLicensesError, FileExistsError):
    """A file to be written exists and overwriting was not asked for."""


class MissingDependencyError(MiningLicensesError, ImportError):
    """An optional dependency (an extra) is needed but not installed."""


class MiningLicensesWarning(UserWarning):
    """Base class of every warning issued by mining_licenses."""


class SyntheticDataWarning(MiningLicensesWarning):
    """The data being used is the synthetic bundled sample, not the registry."""


class NoMatchWarning(MiningLicensesWarning):
    """A filter matched no license although a near spelling of its value is in the data."""


class IncompleteSweepWarning(MiningLicensesWarning):
    """A sweep returned fewer licenses than the API's ``total_count``."""


class StaleSnapshotWarning(MiningLicensesWarning):
    """A snapshot older than ``max_age`` was used because no fresh data could be had."""


_told: set[tuple[type[Warning], str]] = set()
_told_lock = threading.Lock()


def caller_stacklevel() -> int:
    """Return the ``stacklevel`` that points a warning at the first caller outside the package.

    However deep inside the package a warning is raised, and whichever public
    function was called, the warning names the user's line.
    """
    package = str(Path(__file__).resolve().parent)
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    return level


def warn_once(
    key: str, message: str, category: type[Warning], *, stacklevel: int | None = None
) -> None:
    """Issue a warning the first time ``(category, key)`` comes up in this process only.

    Python's own filters repeat a warning for every notebook cell (each cell is
    a new "module"); a user told once that the data is synthetic knows it. The
    warning names the first caller outside the package (unless ``stacklevel``).
    """
    with _told_lock:
        if (category, key) in _told:
            return
        _told.add((category, key))
    level = caller_stacklevel() if stacklevel is None else stacklevel + 1
    warnings.warn(message, category, stacklevel=level)


def forget_warnings() -> None:
    """Let :func:`warn_once` warn again (for tests)."""
    with _told_lock:
        _told.clear()
