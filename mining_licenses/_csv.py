"""The one CSV writer: lists flattened, and text that a spreadsheet would run neutralised.

Every CSV the package or the command line makes (``export(..., "x.csv")``,
``expiring --csv``, ``diff --csv``, the report's CSV downloads) goes through
:func:`csv_frame`. A text cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is what Excel, LibreOffice and Google Sheets read
as a formula (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``, ``@SUM(...)``):
OWASP's advice against this "CSV injection" is to prefix such a cell with a
single quote, which spreadsheets show as text and do not evaluate. Numbers
are not text and stay as they are (a negative area is still ``-12.5``).

Pipelines that want the values byte for byte pass ``safe=False``
(``export(..., csv_safe=False)``, ``--raw-csv`` on the command line).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

import polars as pl

from mining_licenses import schema as s

#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
#: What is put before such a cell so that it reads as text.
NEUTRALISER: Final = "'"
_FORMULA_START: Final = r"^([=+\-@\t\r])"


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """Return ``frame`` with every text cell that starts like a formula prefixed with ``'``.

    Examples
    --------
    >>> frame = pl.DataFrame({"name": ['=HYPERLINK("http://x")', "PT Aman"], "area": [-2.5, 3.0]})
    >>> for row in neutralised(frame).rows():
    ...     print(*row)
    '=HYPERLINK("http://x") -2.5
    PT Aman 3.0
    """
    text = [
        name
        for name, dtype in frame.schema.items()
        if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)
    ]
    return frame.with_columns(
        pl.col(name).cast(pl.String).str.replace(_FORMULA_START, NEUTRALISER + "$1")
        for name in text
    )


def csv_frame(frame: pl.DataFrame, *, safe: bool = True) -> pl.DataFrame:
    """Return ``frame`` as it is written to CSV: lists joined by ``;``, formulas neutralised.

    The list separator is :data:`mining_licenses.schema.LIST_SEPARATOR`, as in
    every CSV file of the package. ``safe=False`` leaves text as it is.

    Examples
    --------
    >>> csv_frame(pl.DataFrame({"issues": [["a", "b"], []], "x": ["@SUM(1+1)", "-2+3"]})).rows()
    [('a;b', "'@SUM(1+1)"), ('', "'-2+3")]
    """
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    flat = frame.with_columns(
        pl.col(name).cast(pl.List(pl.String)).list.join(s.LIST_SEPARATOR) for name in lists
    )
    return neutralised(flat) if safe else flat


def csv_text(frame: pl.DataFrame, *, safe: bool = True, **options: Any) -> str:
    """Return the CSV text of ``frame`` (see :func:`csv_frame`); ``options`` go to polars.

    Examples
    --------
    >>> print(csv_text(pl.DataFrame({"company": ["+cmd|' /C calc'!A0"]})), end="")
    company
    '+cmd|' /C calc'!A0
    """
    text: str = csv_frame(frame, safe=safe).write_csv(**options)
    return text


def write_csv(
    frame: pl.DataFrame, path: str | os.PathLike[str], *, safe: bool = True, **options: Any
) -> None:
    """Write ``frame`` as CSV at ``path`` (see :func:`csv_frame`); ``options`` go to polars.

    Called by the writers that :func:`~mining_licenses._atomic.write_atomic`
    publishes; on its own it writes in place.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "x.csv"
    >>> write_csv(pl.DataFrame({"v": ["=1+2"]}), path)
    >>> path.read_text().splitlines()
    ['v', "'=1+2"]
    """
    csv_frame(frame, safe=safe).write_csv(Path(path), **options)
