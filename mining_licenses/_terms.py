"""How a message names what to do: as Python arguments, or as command-line options.

The same errors and warnings reach a notebook and a shell. In Python a fix
reads ``budget=...`` or ``list_snapshots()``; on the command line it must read
``--budget N`` or ``mining-licenses snapshots``. Messages build those words
with :func:`option` and :func:`pick`; the command line switches the whole
process to its own terms with :func:`command_line` while a command runs.

A process-wide switch rather than a context variable: some messages are built
on the client's worker threads, which a context variable would not reach, and
one process runs one command.
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_switch = threading.Lock()
_depth = 0


@contextmanager
def command_line() -> Iterator[None]:
    """Name options as the command line does while the block runs (nestable)."""
    global _depth  # noqa: PLW0603 - the one process-wide switch, see the module's docstring
    with _switch:
        _depth += 1
    try:
        yield
    finally:
        with _switch:
            _depth -= 1


def in_command_line() -> bool:
    """Return True while a command of ``mining-licenses`` runs in this process."""
    return _depth > 0


def flag(name: str) -> str:
    """Return the command-line flag of an argument: ``max_age`` -> ``--max-age``.

    Examples
    --------
    >>> flag("commodity_type")
    '--commodity-type'
    """
    return "--" + name.replace("_", "-")


def option(name: str, value: object = ...) -> str:
    """Name an argument, with its value or a placeholder, in the terms of the caller.

    Python: ``budget=...``, ``province='Riau'``. Command line: ``--budget N``,
    ``--province Riau`` (quoted as a shell would need it).

    Examples
    --------
    >>> option("budget"), option("province", "Kalimantan Timur")
    ('budget=...', "province='Kalimantan Timur'")
    >>> with command_line():
    ...     option("budget"), option("province", "Kalimantan Timur")
    ('--budget N', "--province 'Kalimantan Timur'")
    """
    if in_command_line():
        shown = "N" if value is ... else shlex.quote(str(value))
        return f"{flag(name)} {shown}"
    return f"{name}=..." if value is ... else f"{name}={value!r}"


def pick(python: str, cli: str) -> str:
    """Return ``python`` in Python and ``cli`` on the command line.

    Examples
    --------
    >>> pick("list_snapshots()", "mining-licenses snapshots")
    'list_snapshots()'
    """
    return cli if in_command_line() else python


def count_licenses(count: int) -> str:
    """Count licenses in words, singular for one: ``1 license``, ``1,212 licenses``.

    Examples
    --------
    >>> count_licenses(1), count_licenses(0), count_licenses(1212)
    ('1 license', '0 licenses', '1,212 licenses')
    """
    return f"{count:,} license" if count == 1 else f"{count:,} licenses"


def count_rows(rows: int, duplicates: int = 0) -> str:
    """Count the rows of a pull, naming licenses the API served more than once.

    Examples
    --------
    >>> count_rows(1212)
    '1,212 licenses'
    >>> count_rows(1238, duplicates=1)[:41]
    '1,238 rows (1,237 licenses; 1 row repeats'
    """
    if duplicates <= 0:
        return count_licenses(rows)
    repeats = "1 row repeats" if duplicates == 1 else f"{duplicates:,} rows repeat"
    return (
        f"{rows:,} rows ({count_licenses(rows - duplicates)}; {repeats} a license "
        "the API serves more than once)"
    )
