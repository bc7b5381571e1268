"""What the system refused, said plainly: every OS failure to write or read a file as one error.

A full disk (``ENOSPC``, ``EDQUOT``), a file-size limit (``EFBIG``), a folder
one may not write in (``EACCES``, ``EPERM``), a read-only file system
(``EROFS``), a folder where a file is expected (``EISDIR``), a name too long
(``ENAMETOOLONG``) or a file where a folder is expected (``ENOTDIR``,
``EEXIST``): :func:`output_error` turns each, raised by Python or reported
inside a polars, pyarrow or GDAL error, into one
:class:`~mining_licenses._errors.OutputError` that names the path, says what
the system said and what to do. :mod:`mining_licenses._atomic` uses it for
every file the package writes.

Reading has its counterpart: a file that vanished (``ENOENT``), a folder
where a file is expected (``EISDIR``), a file one may not read (``EACCES``,
``EPERM``), a disk that failed (``EIO``) or a name the system refuses
(``ENOTDIR``, ``ENAMETOOLONG``, ``ELOOP``): :func:`read_error` (and the
context manager :func:`reading`) turn each into the package's error the
caller names (a :class:`~mining_licenses._errors.SnapshotError` for a
snapshot or the ledger, a :class:`~mining_licenses._errors.ConfigurationError`
for a file the user gave: a watchlist, a layer, records, a script), saying
what could not be read, which file, and what to do.
"""

from __future__ import annotations

import contextlib
import errno as errnos
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, TypeVar

from mining_licenses._errors import MiningLicensesError, OutputError

#: The package error a read failure becomes (the caller's choice).
E = TypeVar("E", bound=MiningLicensesError)

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
    found = _system_refusal(err, _WRITER_PACKAGES)
    return None if found is None else failure(found[0], path, said=found[1])


def _system_refusal(err: BaseException, packages: tuple[str, ...]) -> tuple[int | None, str] | None:
    """Return ``(errno, what the system said)`` when ``err`` reports the system's refusal.

    ``err`` is an ``OSError``, or an error of one of ``packages`` (whose
    readers and writers report OS failures in their own types); else None.
    """
    if isinstance(err, MiningLicensesError):
        return None
    if not isinstance(err, OSError) and type(err).__module__.split(".")[0] not in packages:
        return None
    code = errno_of(err)
    said = os.strerror(code) if code else f"{type(err).__name__}: {str(err)[:_SHOWN_PATH]}"
    return code, said


def failure(code: int | None, path: Path, *, said: str | None = None) -> OutputError:
    """Return the error saying that ``path`` cannot be written, why and what to do."""
    said = (said or os.strerror(code or 0)).rstrip(". ")  # one full stop, ours
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


# ---------------------------------------------------------------- reading
# What to do about each failure, after "Cannot read <what> <path>: <what the system said>."
_READ_ADVICE: Final = {
    errnos.ENOENT: "It does not exist (moved or deleted meanwhile?): check the path.",
    errnos.EISDIR: "It is a folder, not a file: give the file itself.",
    errnos.EACCES: "You may not read it: change its permissions, or run as a user who may.",
    errnos.EPERM: "You may not read it: change its permissions, or run as a user who may.",
    errnos.EIO: "The disk reported an input/output error: check the disk, or restore the file.",
    errnos.ENOTDIR: "A part of the path is a file, not a folder: check the path.",
    errnos.ENAMETOOLONG: "The name is too long for the file system: check the path.",
    errnos.ELOOP: "The path loops through symbolic links: check the links.",
}
#: Packages whose readers report OS failures inside their own exception types.
_READER_PACKAGES: Final = (*_WRITER_PACKAGES, "pyproj")


def read_error(
    err: BaseException,
    path: Path,
    *,
    what: str,
    error: type[E],
    fix: str = "",
) -> E | None:
    """Return the package's error for a failure of the system to read ``path``, else None.

    ``err`` is an ``OSError``, or a polars, pyarrow or GDAL error that reports
    one (by its errno or its text); anything else (a file that reads but is
    damaged) is the caller's to say, and gives None. ``what`` names the file
    (``"the snapshot"``), ``error`` the class raised (a ``SnapshotError`` for
    the store's files, a ``ConfigurationError`` for a file the user gave) and
    ``fix`` what the caller adds to the advice.

    Examples
    --------
    >>> import errno
    >>> from mining_licenses._errors import SnapshotError
    >>> err = IsADirectoryError(errno.EISDIR, "Is a directory")
    >>> ledger = Path("events.parquet")
    >>> print(read_error(err, ledger, what="the ledger", error=SnapshotError))
    ... # doctest: +NORMALIZE_WHITESPACE
    Cannot read the ledger events.parquet: Is a directory. It is a folder, not a file: give the
    file itself.
    >>> read_error(ValueError("not JSON"), Path("x.json"), what="a script", error=SnapshotError)
    """
    found = _system_refusal(err, _READER_PACKAGES)
    if found is None or (found[0] not in _READ_ADVICE and not isinstance(err, OSError)):
        return None  # not the system's; or a reader's own complaint (not Parquet, damaged)
    return unreadable(found[0], path, what=what, error=error, fix=fix, said=found[1])


def unreadable(
    code: int | None,
    path: Path,
    *,
    what: str,
    error: type[E],
    fix: str = "",
    said: str | None = None,
) -> E:
    """Return the error saying that ``path`` cannot be read, why and what to do.

    Also for a failure found before reading (a path that is a folder, or gone).
    """
    said = (said or os.strerror(code or 0)).rstrip(". ")  # one full stop, ours
    advice = _READ_ADVICE.get(code or -1, "Check the path and its permissions.")
    msg = f"Cannot read {what} {shown(path)}: {said}. {advice}" + (f" {fix}" if fix else "")
    return error(msg)


def not_a_file(path: Path, *, what: str, error: type[E], fix: str = "") -> E:
    """Return the error for a ``path`` that is no regular file: what the system says it is.

    A folder (``EISDIR``), nothing (``ENOENT``), a path the system refuses to
    follow (``ENOTDIR``, ``ELOOP``, ``EACCES``...) or something else (a pipe,
    a device).
    """
    try:
        mode = path.stat().st_mode
    except OSError as err:
        return unreadable(err.errno, path, what=what, error=error, fix=fix)
    if stat.S_ISDIR(mode):
        return unreadable(errnos.EISDIR, path, what=what, error=error, fix=fix)
    said = "not a regular file (a pipe, a socket or a device)"
    return unreadable(None, path, what=what, error=error, fix=fix, said=said)


def read_json(path: Path, *, what: str, error: type[E], fix: str = "") -> Any:
    """Return what a JSON file holds; the system's refusal, or text that is no JSON, as ``error``.

    Examples
    --------
    >>> from mining_licenses._errors import ConfigurationError
    >>> read_json(Path("/nonexistent.json"), what="the records file", error=ConfigurationError)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mining_licenses._errors.ConfigurationError: Cannot read the records file /nonexistent.json: ...
    """
    with reading(path, what=what, error=error, fix=fix):
        raw = path.read_bytes()
    try:
        return json.loads(raw)
    except ValueError as err:  # not JSON, or not UTF-8
        msg = f"{what} {shown(path)} is not JSON ({err})." + (f" {fix}" if fix else "")
        raise error(msg[0].upper() + msg[1:]) from err


@contextlib.contextmanager
def reading(
    path: Path,
    *,
    what: str,
    error: type[MiningLicensesError],
    fix: str = "",
) -> Iterator[None]:
    """Turn a failure of the system to read ``path`` into the package's ``error``.

    Examples
    --------
    >>> from mining_licenses._errors import ConfigurationError
    >>> watchlist = Path("/nonexistent/watch.toml")
    >>> with reading(watchlist, what="the watchlist", error=ConfigurationError):
    ...     watchlist.read_text()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mining_licenses._errors.ConfigurationError: Cannot read the watchlist /nonexistent/watch.toml...
    """
    try:
        yield
    except Exception as err:
        mapped = read_error(err, path, what=what, fix=fix, error=error)
        if mapped is None:
            raise
        raise mapped from err
