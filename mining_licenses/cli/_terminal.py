"""What reaches the terminal: control characters made visible, error messages cut.

Field values come from the registry, file names and arguments from anyone: an
ANSI escape (``ESC[2J``), a bell, a backspace, a carriage return or a bidi
override (U+202E) printed as it is would clear the screen, ring, overwrite
what was printed or reverse the text a reader sees. :func:`visible_output`,
installed by ``main`` around every command, passes everything the command line
writes to stdout and stderr (tables, notes, warnings, log lines, argparse's
messages, errors) through :func:`visible`: each such character is replaced by
a visible stand-in (C0 controls by their Unicode "control pictures", ``␛``
for ESC; the others by U+FFFD), so nothing a value holds can drive the
terminal. Line breaks and tabs pass; a carriage return passes only as the
first character of a write, which is how tqdm redraws its progress bar.

:func:`visible_cells` does the same to a frame's text before it is laid out
as a table (line breaks and tabs included there, so a cell keeps its row and
the columns stay aligned). :func:`error_message` cuts an error to
:data:`MAX_ERROR_CHARS` and each value it echoes to about 200 characters.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any, Final, TextIO, cast

import polars as pl

from mining_licenses._errors import clip

#: The longest error the command line prints (argparse's or the package's).
MAX_ERROR_CHARS: Final = 2000

_REPLACEMENT: Final = "\ufffd"
#: Formatting characters that reorder or hide text: bidi embeddings, overrides and
#: isolates, the marks, and the line and paragraph separators some terminals honour.
_FORMAT: Final = (
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
)


def _stand_ins(*, keep: str) -> dict[str, str]:
    """Each dangerous character -> what is shown instead; ``keep`` passes untouched."""
    table = {chr(code): chr(0x2400 + code) for code in range(0x20)}  # ␀ ... ␟
    table["\x7f"] = "\u2421"  # ␡
    table |= {chr(code): _REPLACEMENT for code in range(0x80, 0xA0)}  # C1 controls
    table |= dict.fromkeys(_FORMAT, _REPLACEMENT)
    return {char: shown for char, shown in table.items() if char not in keep}


_STREAM: Final = _stand_ins(keep="\n\t")
_CELL: Final = _stand_ins(keep="")
_STREAM_TABLE: Final = str.maketrans(_STREAM)


def visible(text: str) -> str:
    r"""Return ``text`` with control and bidi characters replaced by visible stand-ins.

    Line breaks and tabs are kept.

    Examples
    --------
    >>> visible("PT \x1b[31mRed\x1b[0m\a\u202eevil\n")
    'PT ␛[31mRed␛[0m␇\ufffdevil\n'
    """
    return text.translate(_STREAM_TABLE)


def visible_cells(frame: pl.DataFrame) -> pl.DataFrame:
    r"""Return ``frame`` with its text (and lists of text) made :func:`visible`, line breaks too.

    Examples
    --------
    >>> visible_cells(pl.DataFrame({"name": ["a\rb\nc"]}))["name"].item()
    'a␍b␊c'
    """
    patterns, shown = list(_CELL), list(_CELL.values())

    def clean(expr: pl.Expr) -> pl.Expr:
        return expr.str.replace_many(patterns, shown)

    fixes = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            fixes.append(clean(pl.col(name)))
        elif isinstance(dtype, pl.List) and dtype.inner == pl.String:
            fixes.append(pl.col(name).list.eval(clean(pl.element())))
    return frame.with_columns(fixes) if fixes else frame


def one_line(text: str) -> str:
    r"""Return ``text`` :func:`visible`, its line breaks too (for a message that is one line).

    Examples
    --------
    >>> one_line("--zz \n")
    '--zz ␊'
    """
    return visible(text).replace("\r", "␍").replace("\n", "␊")


def error_message(message: object) -> str:
    """Return an error for the terminal: each echoed value and the whole cut to size.

    Examples
    --------
    >>> len(error_message("bad --top " + "9" * 100_000)) < 300
    True
    """
    return clip(str(message), limit=MAX_ERROR_CHARS)


class _Visible:
    """A text stream that writes through :func:`visible` to the stream it wraps."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        # tqdm redraws its bar with a leading CR: only that one is let through
        head = "\r" if text.startswith("\r") else ""
        self._stream.write(head + visible(text[len(head) :]))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, ...
        return getattr(self._stream, name)


def raw_stdout() -> TextIO:
    """Return the stdout under :func:`visible_output`: for data (JSON records), not text."""
    stream = sys.stdout
    return stream._stream if isinstance(stream, _Visible) else stream


@contextlib.contextmanager
def visible_output() -> Iterator[None]:
    """Make everything written to stdout and stderr :func:`visible` while the block runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout = cast("TextIO", _Visible(saved[0]))
    sys.stderr = cast("TextIO", _Visible(saved[1]))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
