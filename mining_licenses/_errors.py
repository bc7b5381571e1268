"""Exceptions and warnings raised by mining_licenses.

Every error the package raises derives from :class:`MiningLicensesError`, and
every warning from :class:`MiningLicensesWarning`, so callers can catch the
package's own conditions without catching everything.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
import threading
import warnings
from pathlib import Path
from typing import Any, Final

from mining_licenses._redact import redact

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


#: The longest unbroken run of characters (a value, a path) an error message echoes.
MAX_ECHOED: Final = 200
#: The longest an error message is; a longer one keeps its start and end.
MAX_MESSAGE: Final = 8_000
_LONG_RUN: Final = re.compile(rf"\S{{{MAX_ECHOED + 1},}}")


def clip(text: str, *, width: int = MAX_ECHOED, limit: int = MAX_MESSAGE) -> str:
    """Return ``text`` with each run of over ``width`` non-blank characters cut in its middle.

    Error messages echo what they were given (a value, a path, an argument);
    a 100 KB argument is cut to its first and last characters, with the number
    left out, so the message stays readable. Text over ``limit`` characters
    keeps its start and its end (which says what to do).

    Examples
    --------
    >>> clip("bad value " + "x" * 1000 + " given", width=20)
    'bad value xxxxxxxxxxxxx…[982 characters cut]…xxxxx given'
    """

    def cut(run: str) -> str:
        head, tail = width * 2 // 3, width // 4
        return f"{run[:head]}…[{len(run) - head - tail:,} characters cut]…{run[-tail:]}"

    if len(text) > width:
        pattern = _LONG_RUN if width == MAX_ECHOED else re.compile(rf"\S{{{width + 1},}}")
        text = pattern.sub(lambda m: cut(m.group()), text)
    if len(text) > limit:
        head, tail = limit * 3 // 4, limit // 5
        text = f"{text[:head]} …[{len(text) - head - tail:,} characters cut]… {text[-tail:]}"
    return text


class MiningLicensesError(Exception):
    """Base class of every error raised by mining_licenses.

    Its message goes through :func:`mining_licenses._redact.redact` as the error
    is made: no message, ``str`` or ``repr`` of a package error shows the API key
    or a credential in a URL, whatever text (a server's answer, a URL) went into it.
    It is then cut by :func:`clip`: however long the input it names, no error of
    the package echoes more than :data:`MAX_ECHOED` characters of one value, nor
    runs over :data:`MAX_MESSAGE` characters.
    """

    def __init__(self, *args: object) -> None:
        args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        super().__init__(*args)
        if args and isinstance(args[0], str):
            self.args = (clip(args[0]), *args[1:])


class ConfigurationError(MiningLicensesError, ValueError):
    """A parameter, filter or setting has a value the package cannot use."""


class ParameterTypeError(ConfigurationError, TypeError):
    """A parameter has a type the function does not take (``export(path=123)``).

    Also a :class:`TypeError`, so code that catches Python's own error for a
    wrong type keeps working.
    """


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


class OutputError(MiningLicensesError, OSError):
    """A file could not be written: disk full, no permission, a read-only folder, a bad name.

    Raised for every file the package writes (snapshots, exports, sidecars,
    reports, the command line's ``--csv``/``--json``), with the path and what
    to do. It is an ``OSError`` too, so ``errno`` (``ENOSPC``, ``EACCES``...)
    and ``filename`` say what the system said.
    """

    def __init__(
        self, message: str, *, errno: int | None = None, filename: str | None = None
    ) -> None:
        super().__init__(message)
        self.errno = errno
        self.filename = filename

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class OutputExistsError(OutputError, FileExistsError):
    """A file to be written exists and overwriting was not asked for."""


class MissingDependencyError(MiningLicensesError, ImportError):
    """An optional dependency (an extra) is needed but not installed."""


class MiningLicensesWarning(UserWarning):
    """Base class of every warning issued by mining_licenses (its message redacted, as errors')."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact(a) if isinstance(a, str) else a for a in args))


class SyntheticDataWarning(MiningLicensesWarning):
    """The data being used is the synthetic bundled sample, not the registry."""


class NoMatchWarning(MiningLicensesWarning):
    """A filter matched no license although a near spelling of its value is in the data."""


class IncompleteSweepWarning(MiningLicensesWarning):
    """A sweep returned fewer licenses than the API's ``total_count``."""


class StaleSnapshotWarning(MiningLicensesWarning):
    """A snapshot older than ``max_age`` was used because no fresh data could be had."""


class ShrunkSnapshotWarning(MiningLicensesWarning):
    """A new snapshot drops too many of the previous one's licenses: it is held back.

    The snapshot is kept on disk, marked held back in its provenance, and not
    used as the newest complete data until it is accepted
    (``accept_shrink=True``, ``store.accept_snapshot``, ``--accept-shrink``).
    """


class UnverifiedSnapshotWarning(MiningLicensesWarning):
    """A snapshot without a content checksum (written by an older version) was read unverified."""


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
