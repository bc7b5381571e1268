"""The one way a file reaches disk: whole or not at all, never over a file unasked.

:func:`write_atomic` (one file) and :func:`write_together` (a file and its
sidecar, published both or neither) are how the package puts every file on
disk: snapshots, exports and their ``.provenance.json``, reports, the command
line's ``--csv``/``--json``, the bundled-sample writer, the client's journal.
Each file is written under a temporary name in its target's folder, flushed
(fsync), then published under its final name: a hard link that never replaces
an existing file, or, when overwriting was asked for, a rename. The
temporary files are removed whatever happens, so a crash, a full disk or a
refused permission never leaves a half-written file under a name a reader
would pick up.

Every failure of the operating system (``ENOSPC``, ``EFBIG``, ``EACCES``,
``EROFS``, ``EISDIR``, ``ENAMETOOLONG``, ``ENOTDIR``...), whether raised by
Python or reported inside a polars, pyarrow or GDAL error (then a probe write
asks the system what it refuses), becomes one
:class:`~mining_licenses._errors.OutputError` that names the path and says
what to do (:func:`mining_licenses._oserrors.output_error`). :func:`check_writable` asks the same
questions before any work is done (or any credit spent).
"""

from __future__ import annotations

import contextlib
import errno as errnos
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Final

from mining_licenses import _terms
from mining_licenses._errors import ConfigurationError, OutputExistsError
from mining_licenses._oserrors import errno_of, failure, output_error, shown, translated

#: Temporary files start with a dot and hold ``.tmp`` (before the target's own extension,
#: which GDAL drivers need): no snapshot name pattern matches them.
TEMP_SUFFIX: Final = ".tmp"
#: The most of a target's stem a temporary name repeats (names have a length limit).
_TEMP_STEM: Final = 40
#: What a probe writes beyond what a failed writer wrote, to find what the system refuses.
_PROBE_BLOCK: Final = 1 << 16

Writer = Callable[[Path], object] | bytes

#: Failures of a hard link that are not "links are not supported here".
_REAL_FAILURES: Final = frozenset(
    (errnos.ENOSPC, errnos.EDQUOT, errnos.ENAMETOOLONG, errnos.EROFS, errnos.EIO, errnos.EISDIR)
)


def _exists_error(path: Path) -> OutputExistsError:
    how = _terms.pick("overwrite=True", "--overwrite")
    msg = f"{shown(path)} exists; pass {how} to replace it."
    return OutputExistsError(msg, errno=errnos.EEXIST, filename=str(path))


def _check_target(path: Path, *, overwrite: bool) -> None:
    """Refuse a folder, or an existing file without ``overwrite``, before any work."""
    with translated(path):  # a name too long fails even to be looked at
        if path.is_dir():
            raise failure(errnos.EISDIR, path)
        if not overwrite and path.exists():
            raise _exists_error(path)


def check_writable(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Check that ``path`` can be written, before the work (or the credits) it takes.

    The target must not be a folder, nor exist unless ``overwrite``; its
    folder must exist or be creatable, and take a new file (a file is made and
    removed: permissions alone do not tell, e.g. for root on a read-only disk).

    Raises
    ------
    OutputExistsError
        If the file exists and ``overwrite`` is False.
    OutputError
        If the file cannot be written there (the message says why and what to do).

    Examples
    --------
    >>> import tempfile
    >>> check_writable(Path(tempfile.mkdtemp()) / "soon.csv").name
    'soon.csv'
    """
    target = Path(path).expanduser()
    _check_target(target, overwrite=overwrite)
    with translated(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        name_max = os.pathconf(target.parent, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
        if len(os.fsencode(target.name)) > name_max:
            raise OSError(errnos.ENAMETOOLONG, os.strerror(errnos.ENAMETOOLONG))
        _reserve(target.parent, "write-test", "").unlink()
    return target


def _reserve(folder: Path, stem: str, suffix: str) -> Path:
    """Create a new, empty temporary file in ``folder``; return its path.

    Unlike ``tempfile.mkstemp`` (mode 0600), the file gets the user's usual
    permissions (0666 less the umask), which the published file keeps.
    """
    suffix = suffix if len(suffix) <= _TEMP_STEM else ""
    while True:
        path = folder / f".{stem[:_TEMP_STEM]}.{secrets.token_hex(6)}{TEMP_SUFFIX}{suffix}"
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            continue
        return path


def _fsync(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (the new name) to disk where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open folders; its renames are durable enough
        return
    with contextlib.suppress(OSError):
        os.fsync(fd)
    os.close(fd)


def _publish(temp: Path, target: Path, *, overwrite: bool) -> bool:
    """Move the finished ``temp`` file to ``target`` atomically; False if ``target`` exists.

    Without ``overwrite``, a hard link is the atomic "rename unless it
    exists" on POSIX and NTFS. Where links are not supported, an exclusive
    ``.lock`` file beside the target serialises the writers that race for
    one name, and ``os.replace`` moves the file into place.
    """
    if overwrite:
        temp.replace(target)
        return True
    try:
        os.link(temp, target)
    except FileExistsError:
        return False
    except OSError as err:
        if err.errno in _REAL_FAILURES:
            raise  # not a file system without hard links: a full disk, a long name...
        return _publish_with_lock(temp, target)
    temp.unlink()
    return True


def _publish_with_lock(temp: Path, target: Path) -> bool:
    lock = target.with_name(f".{target.name[:_TEMP_STEM]}.lock")
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.close(fd)
    try:
        if target.exists():
            return False
        temp.replace(target)
        return True
    finally:
        lock.unlink(missing_ok=True)


def _probe(folder: Path, size: int) -> OSError | None:
    """Write ``size`` bytes to a scratch file in ``folder``; return the system's refusal, if any.

    A writer library (GDAL's SQLite, for one) may report a full disk or a
    file-size limit only as its own failure ("no such table..."); writing as
    much again with plain system calls tells what the system refused.
    """
    try:
        scratch = _reserve(folder, "probe", "")
    except OSError as err:
        return err
    try:
        fd = os.open(scratch, os.O_WRONLY)
        try:
            block = bytes(_PROBE_BLOCK)
            for _ in range(0, size, len(block)):
                os.write(fd, block)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as err:
        return err
    finally:
        scratch.unlink(missing_ok=True)
    return None


def _write_temp(target: Path, write: Writer, *, durable: bool) -> Path:
    """Write one file under a temporary name beside ``target``; return that name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = _reserve(target.parent, target.stem, target.suffix)
    try:
        if isinstance(write, bytes):
            temp.write_bytes(write)
        else:
            write(temp)
        if durable:
            _fsync(temp)
    except BaseException as err:
        try:
            written = temp.stat().st_size
        except OSError:
            written = 0
        temp.unlink(missing_ok=True)
        library = isinstance(err, Exception) and output_error(err, target) is not None
        if library and errno_of(err) is None:  # a library's words: ask the system
            refused = _probe(target.parent, written + _PROBE_BLOCK)
            if refused is not None:
                raise refused from err
        raise
    return temp


def write_atomic(
    targets: Path | Iterable[Path],
    write: Writer,
    *,
    overwrite: bool = False,
    durable: bool = True,
) -> Path:
    """Write a file under its final name only once it is whole; return the name used.

    Parameters
    ----------
    targets
        The file to publish, or candidate names tried in turn (the first one
        not taken wins; a snapshot's ``-2``, ``-3``... names). All in one folder,
        which is created if needed.
    write
        The bytes to write, or a function that writes the file at the path it
        is given (a fresh empty file there, which it may delete and recreate,
        as GDAL drivers do).
    overwrite
        Replace an existing file instead of trying the next candidate.
    durable
        fsync the file and the folder, so the file survives a power loss as
        well as a killed process (the journal, a cache of paid pages, skips it).

    Raises
    ------
    OutputExistsError
        When every candidate name is taken (and ``overwrite`` is False).
    OutputError
        When the system refuses the write (full disk, no permission, a folder
        in the way, a name too long...); nothing is left behind.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "note.txt"
    >>> write_atomic(path, b"hello").read_bytes()
    b'hello'
    >>> write_atomic(path, b"again")
    Traceback (most recent call last):
    ...
    mining_licenses._errors.OutputExistsError: ... exists; pass overwrite=True to replace it.
    """
    names = iter([targets] if isinstance(targets, Path) else targets)
    first = next(names)
    _check_target(first, overwrite=overwrite or not isinstance(targets, Path))
    with translated(first):
        temp = _write_temp(first, write, durable=durable)
        try:
            target: Path | None = first
            while target is not None:
                if _publish(temp, target, overwrite=overwrite):
                    break
                target = next(names, None)
        finally:
            temp.unlink(missing_ok=True)
        if target is None:
            raise _exists_error(first)
        if durable:
            _fsync_dir(first.parent)
    return target


def check_writable_folder(folder: Path, *, what: str, fix: str) -> None:
    """Make ``folder`` (if missing) and prove it writable with a file, or raise saying why.

    For what must be known before anything is spent (a pull checks its store
    and its journal folder before the first credit): ``os.access`` says yes to
    root on a read-only mount, so a file is made and removed instead.

    Raises
    ------
    ConfigurationError
        ``"<what> <folder> is not a folder / cannot be created / is not
        writable (<why>). <fix>"``.

    Examples
    --------
    >>> check_writable_folder(Path("/proc/x"), what="The journal folder", fix="Use another.")
    Traceback (most recent call last):
    ...
    mining_licenses._errors.ConfigurationError: The journal folder /proc/x cannot be created \
(No such file or directory). Use another.
    """
    if folder.exists() and not folder.is_dir():
        msg = f"{what} {folder} is not a folder. {fix}"
        raise ConfigurationError(msg)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"{what} {folder} cannot be created ({err.strerror or err}). {fix}"
        raise ConfigurationError(msg) from None
    try:
        probe = _reserve(folder, ".write-test", "")
        probe.unlink()
    except OSError as err:
        msg = f"{what} {folder} is not writable ({err.strerror or err}). {fix}"
        raise ConfigurationError(msg) from None


def write_together(
    files: Sequence[tuple[Path, Writer]], *, overwrite: bool = False, durable: bool = True
) -> list[Path]:
    """Publish several files (a file and its sidecar) all together or none of them.

    Every file is written whole under a temporary name first; only then are
    they published, in the order given. If one cannot be, those already
    published are taken back (an overwritten file gets its old content back),
    so a reader never finds a file without its sidecar, or a sidecar that
    describes another file.

    Parameters
    ----------
    files
        ``(path, bytes or writer)`` pairs, as :func:`write_atomic` takes them.
    overwrite
        Replace existing files; without it an existing one refuses them all.
    durable
        fsync the files and their folders.

    Raises
    ------
    OutputExistsError, OutputError
        As :func:`write_atomic`; nothing is left published.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> files = [(folder / "a.csv", b"x,y"), (folder / "a.csv.provenance.json", b"{}")]
    >>> [p.name for p in write_together(files)]
    ['a.csv', 'a.csv.provenance.json']
    """
    targets = [Path(path) for path, _ in files]
    for target in targets:
        _check_target(target, overwrite=overwrite)
    temps: list[Path] = []
    try:
        for target, (_, write) in zip(targets, files, strict=True):
            with translated(target):
                temps.append(_write_temp(target, write, durable=durable))
        _publish_all(list(zip(temps, targets, strict=True)), overwrite=overwrite)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    if durable:
        for folder in dict.fromkeys(t.parent for t in targets):
            _fsync_dir(folder)
    return targets


def _publish_all(pairs: list[tuple[Path, Path]], *, overwrite: bool) -> None:
    """Publish each ``(temp, target)``; on any failure, undo the ones done."""
    done: list[tuple[Path, Path | None]] = []  # target, and the old file's backup
    try:
        for temp, target in pairs:
            with translated(target):
                backup = _backup(target) if overwrite else None
                done.append((target, backup))
                if not _publish(temp, target, overwrite=overwrite):
                    done.pop()
                    raise _exists_error(target)
    except BaseException:
        for target, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    backup.replace(target)
                else:
                    target.unlink(missing_ok=True)
        raise
    finally:
        for _, backup in done:
            if backup is not None:
                backup.unlink(missing_ok=True)


def _backup(target: Path) -> Path | None:
    """Keep the current content of ``target`` under a hidden name (a hard link); None if none."""
    if not target.exists():
        return None
    backup = _reserve(target.parent, target.stem, ".old")
    backup.unlink()
    try:
        os.link(target, backup)
    except OSError:  # no hard links here: a copy keeps the old content as well
        import shutil

        shutil.copy2(target, backup)
    return backup
