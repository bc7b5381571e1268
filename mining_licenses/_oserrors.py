"""What the system refused, said plainly: every OS failure to write a file as one error.

A full disk (``ENOSPC``, ``EDQUOT``), a file-size limit (``EFBIG``), a folder
one may not write in (``EACCES``, ``EPERM``), a read-only file system
(``EROFS``), a folder where a file is expected (``EISDIR``), a name too long
(``ENAMETOOLONG``) or a file where a folder is expected (``ENOTDIR``,
``EEXIST``): :func:`output_error` turns each, raised by Python or reported
inside a polars, pyarrow or GDAL error, into one
:class:`~mining_licenses._errors.OutputError` that names the path, says what
the system said and what to do. :mod:`mining_licenses._atomic` uses it for
every file the package writes.
"""

from __future__ import annotations

import contextlib
import errno as errnos
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from mining_licenses._errors import MiningLicensesError, OutputError

#: The most of a path an error message shows.
_SHOWN_PATH: Final = 200

# What to do about each failure, after "Cannot write <path>: <what the system said>."
_ADVICE: Final = {
    errnos.ENOSPC: "The disk holding {folder} is full: free some space or write somewhere else.",
    errnos.EDQUOT: "Your disk quota for {folder} is used up: free some space or write elsewhere.",
    errnos.EFBIG: (
        "The file grew larger than this system lets a file be (a file-size limit, `ulimit -f`, "
        "or the file system's own maximum): raise the limit or write to another file system."
    ),
    errnos.EACCES: (
        "You may not write in {folder}: choose a folder you can write to, or change its "
        "permissions."
    ),
    errnos.EPERM: "You may not write in {folder}: choose a folder you can write to.",
    errnos.EROFS: "{folder} is on a read-only file system: write somewhere else.",
    errnos.EISDIR: "{path} is a folder: give a file name (for example {path}/{example}).",
    errnos.ENAMETOOLONG: "The name is too long for the file system: choose a shorter one.",
    errnos.ENOTDIR: "A part of the path is a file, not a folder: choose another folder.",
    errnos.EEXIST: "A part of the path is a file, not a folder: choose another folder.",
    errnos.ENOENT: "The folder {folder} does not exist and could not be made: check the path.",
}
_STRERRORS: Final = {os.strerror(code).lower(): code for code in _ADVICE}
_ERRNO_IN_TEXT: Final = re.compile(r"\[Errno (\d+)\]|os error (\d+)|errno[ =:]+(\d+)", re.I)
#: Packages whose writers report OS failures inside their own exception types.
_WRITER_PACKAGES: Final = ("polars", "pyarrow", "pyogrio", "shapely", "fiona")


def shown(path: Path) -> str:
    text = str(path)
    return text if len(text) <= _SHOWN_PATH else text[: _SHOWN_PATH - 3] + "..."


def errno_of(err: BaseException) -> int | None:
    """Return the errno an exception carries or names in its text, else None."""
    code = getattr(err, "errno", None)
    if isinstance(code, int) and code:
        return code
    text = str(err)
    found = _ERRNO_IN_TEXT.search(text)
    if found:
        return int(next(g for g in found.groups() if g))
    lowered = text.lower()
    return next((c for name, c in _STRERRORS.items() if name in lowered), None)


def output_error(err: BaseException, path: Path) -> OutputError | None:
    """Return the package's error for a failure to write ``path``, or None if it is not one.

    ``err`` is an ``OSError``, or a polars, pyarrow or GDAL error that reports
    one; the message names the path, says what the system said and what to do.

    Examples
    --------
    >>> import errno
    >>> err = OSError(errno.ENOSPC, "No space left on device")
    >>> str(output_error(err, Path("out/soon.csv")))  # doctest: +NORMALIZE_WHITESPACE
    'Cannot write out/soon.csv: No space left on device. The disk holding out is full:
    free some space or write somewhere else. Nothing was written.'
    """
    if isinstance(err, MiningLicensesError):
        return None
    from_writer = type(err).__module__.split(".")[0] in _WRITER_PACKAGES
    if not isinstance(err, OSError) and not from_writer:
        return None
    code = errno_of(err)
    said = None if code else f"{type(err).__name__}: {str(err)[:_SHOWN_PATH]}"
    return failure(code, path, said=said)


def failure(code: int | None, path: Path, *, said: str | None = None) -> OutputError:
    """Return the error saying that ``path`` cannot be written, why and what to do."""
    said = said or os.strerror(code or 0)
    advice = _ADVICE.get(code or -1, "Check the path, the permissions and the free space.")
    advice = advice.format(folder=shown(path.parent), path=shown(path), example="result.csv")
    msg = f"Cannot write {shown(path)}: {said}. {advice} Nothing was written."
    return OutputError(msg, errno=code, filename=str(path))


@contextlib.contextmanager
def translated(path: Path) -> Iterator[None]:
    """Turn a failure of the system to write ``path`` into an :class:`OutputError`."""
    try:
        yield
    except Exception as err:
        mapped = output_error(err, path)
        if mapped is None:
            raise
        raise mapped from err
