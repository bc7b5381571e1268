"""A reader that goes away (``mining-licenses summary | head -1``): a quiet exit, as other tools.

When the program reading the command's output closes the pipe early, the
next write raises ``BrokenPipeError``. That is no error of the command: it
ends quietly, with no traceback and no "Exception ignored" note at exit,
stdout pointed at ``os.devnull`` (the recipe of Python's ``signal``
documentation) and the exit code a shell gives a program ended by SIGPIPE
(:data:`EXIT_BROKEN_PIPE`). A ``BrokenPipeError`` from anything else (a pipe
the command opened itself) is raised as it is.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
from collections.abc import Iterator
from typing import Final

__all__ = ["EXIT_BROKEN_PIPE", "ReaderGone", "reader_gone", "stdout_reader_kept"]

#: 128 + SIGPIPE (13): what a shell reports for ``yes | head -1``'s ``yes``.
EXIT_BROKEN_PIPE: Final = 141


class ReaderGone(Exception):  # noqa: N818 - a signal to main, not an error
    """The reader of stdout closed the pipe: the command ends quietly."""


def reader_gone() -> bool:
    """Return True when stdout is a pipe (or socket) whose reader has closed it.

    Where ``poll`` is missing (Windows), a broken pipe is taken to be stdout's.

    Examples
    --------
    >>> reader_gone()  # the doctest's stdout is still read
    False
    """
    try:
        fd = sys.__stdout__.fileno()  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):
        return False
    if not hasattr(select, "poll"):
        return True
    probe = select.poll()
    probe.register(fd, select.POLLOUT)
    return any(events & select.POLLERR for _, events in probe.poll(0))


@contextlib.contextmanager
def stdout_reader_kept() -> Iterator[None]:
    """Turn a ``BrokenPipeError`` of stdout inside the block into :class:`ReaderGone`.

    stdout is flushed before the block ends (a reader gone shows here, not at
    exit), and then pointed at ``os.devnull`` so nothing written later fails.
    """
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError as err:
        if not reader_gone():
            raise
        _silence_stdout()
        raise ReaderGone from err


def _silence_stdout() -> None:
    """Point stdout's file descriptor at ``os.devnull``: Python's flush at exit stays quiet."""
    try:
        fd = sys.__stdout__.fileno()  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
