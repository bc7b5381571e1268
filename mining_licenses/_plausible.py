"""Which values an answer may count: finite, positive areas under a ceiling, dates in a window.

One definition for the two places that need it: ``normalize`` flags a record
whose area or dates fall outside (``not_a_number``, ``area_not_positive``,
``area_out_of_range``, ``date_out_of_range:<field>``) and keeps it as it came;
``analytics`` (and through it the plots, the report and the CLI) leaves such
values out of every sum, share, statistic and chart and counts the records
apart, judging the values themselves, so a frame made by hand, without
``issues``, is answered the same way. The bounds are in :mod:`schema`
(:data:`~mining_licenses.schema.MAX_AREA_HA`,
:data:`~mining_licenses.schema.DATE_WINDOW`).
"""

from __future__ import annotations

import polars as pl

from mining_licenses import schema as s


def counted_area(area: pl.Expr) -> pl.Expr:
    """Return True where ``area`` is a finite number above zero, at most ``MAX_AREA_HA``.

    Null, NaN, infinite, zero, negative and larger areas give False.

    Examples
    --------
    >>> frame = pl.DataFrame({"a": [10.0, None, float("nan"), float("inf"), -1.0, 2e6]})
    >>> frame.select(counted_area(pl.col("a")))["a"].to_list()
    [True, False, False, False, False, False]
    """
    return (area.is_finite() & (area > 0) & (area <= s.MAX_AREA_HA)).fill_null(value=False)


def counted_values(column: str) -> pl.Expr:
    """Return ``column``'s areas where :func:`counted_area` holds, else null: what sums add.

    Examples
    --------
    >>> frame = pl.DataFrame({"a": [10.0, float("nan"), -3.0, 5.0]})
    >>> frame.select(counted_values("a").sum()).item()
    15.0
    """
    return pl.when(counted_area(pl.col(column))).then(pl.col(column))


def in_window(date: pl.Expr) -> pl.Expr:
    """Return True where ``date`` lies in ``DATE_WINDOW`` (both ends included); null gives False.

    Examples
    --------
    >>> import datetime as dt
    >>> frame = pl.DataFrame({"d": [dt.date(2030, 1, 1), dt.date(9999, 12, 31), None]})
    >>> frame.select(in_window(pl.col("d")))["d"].to_list()
    [True, False, False]
    """
    first, last = s.DATE_WINDOW
    return date.is_between(first, last, closed="both").fill_null(value=False)
