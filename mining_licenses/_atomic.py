"""The one atomic write every writer of the package uses.

:func:`write_atomic` is how the package puts a file on disk: a temporary
name in the target's folder, the write, an fsync, then publication under the
final name (a hard link that never replaces an existing file, or a rename
when overwriting is asked for), and the temporary file removed whatever
happens. Snapshots, exports, the bundled-sample writer and the client's
resume journal all go through it, so a crash never leaves a half-written file
under a name a reader would pick up.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

from mining_licenses import _terms
from mining_licenses._errors import OutputExistsError

#: Temporary files start with a dot and hold ``.tmp`` (before the target's own extension,
#: which GDAL drivers need): no snapshot name pattern matches them.
TEMP_SUFFIX: Final = ".tmp"


def _reserve(folder: Path, stem: str, suffix: str) -> Path:
    """Create a new, empty temporary file in ``folder``; return its path.

    Unlike ``tempfile.mkstemp`` (mode 0600), the file gets the user's usual
    permissions (0666 less the umask), which the published file keeps.
    """
    while True:
        path = folder / f".{stem}.{secrets.token_hex(6)}{TEMP_SUFFIX}{suffix}"
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
    except OSError:
        return _publish_with_lock(temp, target)
    temp.unlink()
    return True


def _publish_with_lock(temp: Path, target: Path) -> bool:
    lock = target.with_name(f".{target.name}.lock")
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


def write_atomic(
    targets: Path | Iterable[Path],
    write: Callable[[Path], object] | bytes,
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
    """
    names = iter([targets] if isinstance(targets, Path) else targets)
    first = next(names)
    folder = first.parent
    folder.mkdir(parents=True, exist_ok=True)
    temp = _reserve(folder, first.stem, first.suffix)
    try:
        if isinstance(write, bytes):
            temp.write_bytes(write)
        else:
            write(temp)
        if durable:
            _fsync(temp)
        target: Path | None = first
        while target is not None:
            if _publish(temp, target, overwrite=overwrite):
                break
            target = next(names, None)
        if target is None:
            how = _terms.pick("overwrite=True", "--overwrite")
            msg = f"{first} exists; pass {how} to replace it."
            raise OutputExistsError(msg)
    finally:
        temp.unlink(missing_ok=True)
    if durable:
        _fsync_dir(folder)
    return target
