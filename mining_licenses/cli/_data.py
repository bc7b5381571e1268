"""Which data a command answers from, said once: the options, the rule, the as-of line.

Every command that answers from the registry takes the same options
(``_args.add_data_options``) and reads through :func:`read_data`, which follows
one rule (``_args.DATA_RULE``, shown by ``--help`` and in docs/cli.md) and
returns a :class:`Data`: the frame, its provenance, where it came from and the
day it answers as of. A command then prints :meth:`Data.header` (the synthetic
label and the ``as of`` line) before its first table, and :func:`say_empty`
when there is nothing to show. A new command adopts all of it with::

    add_data_options(parser)              # in build_parser
    data = read_data(args)                # in the handler
    print(data.header())
    if data.frame.is_empty():
        return say_empty(data)
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from mining_licenses import _terms
from mining_licenses import schema as s
from mining_licenses._config import Source
from mining_licenses._errors import ConfigurationError
from mining_licenses._filters import FilterValue, local_expression, validate_filters
from mining_licenses.cli._args import EXIT_EMPTY
from mining_licenses.loader import Loaded, frame_as_of, load_data, load_snapshot
from mining_licenses.store import SnapshotMeta, provenance_line


def filters_of(args: argparse.Namespace) -> dict[str, Any]:
    """Return the filters given as options (unset ones left out)."""
    return {name: value for name in s.FILTERS if (value := getattr(args, name, None)) is not None}


def read_data(args: argparse.Namespace) -> Data:
    """Read the data the options name, by the one rule (``_args.DATA_RULE``).

    Raises
    ------
    ConfigurationError
        When both ``--snapshot`` and a ``--source`` other than auto are given.
    """
    filters: dict[str, Any] = validate_filters(filters_of(args))
    snapshot: str | None = getattr(args, "snapshot", None)
    source: Source = getattr(args, "source", "auto")
    if snapshot is not None and source != "auto":
        msg = f"--snapshot {snapshot} and --source {source} both name the data; give one of them."
        raise ConfigurationError(msg)
    if snapshot is not None:
        loaded = load_snapshot(snapshot, store=args.store, **filters)
    else:
        loaded = load_data(source=source, store=args.store, **filters)
    return Data(loaded, filters, getattr(args, "as_of", None))


@dataclass(frozen=True)
class Data:
    """What a command answers from: the frame, its provenance and origin, its day."""

    loaded: Loaded
    filters: dict[str, FilterValue]
    given_as_of: dt.date | None = None

    @property
    def frame(self) -> pl.DataFrame:
        """The canonical frame, the filters applied."""
        return self.loaded.frame

    @property
    def meta(self) -> SnapshotMeta:
        """The provenance of the frame."""
        return self.loaded.meta

    @property
    def fetched_day(self) -> dt.date:
        """The day (UTC) the data was fetched: the provenance's, else the frame's."""
        when = self.meta.fetched_at
        if when is not None:
            return when.astimezone(dt.UTC).date()
        whole = self.loaded.unfiltered
        return frame_as_of(whole if whole is not None else self.frame)

    @property
    def as_of(self) -> dt.date:
        """The day the answers are as of: ``--as-of``, else the day the data was fetched."""
        return self.given_as_of or self.fetched_day

    @property
    def source(self) -> str:
        """Where the data came from: ``snapshot NAME``, ``sample``, ``API``; SYNTHETIC if so."""
        loaded, meta = self.loaded, self.meta
        if loaded.origin == "sample":
            return "sample SYNTHETIC"
        made_up = " SYNTHETIC" if meta.synthetic else ""
        if loaded.origin == "api":
            kept = f", saved as snapshot {loaded.path.name}" if loaded.path else ""
            replica = " (replica)" if meta.source == "replica" else ""
            return f"API{replica}{made_up}{kept}"
        name = loaded.path.name if loaded.path else "?"
        return f"snapshot {name}{made_up}"

    def as_of_line(self) -> str:
        """Return ``as of YYYY-MM-DD (fetched ..., source: ...)``, the first line of an answer.

        Examples
        --------
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     data = Data(load_snapshot("sample"), {})
        >>> data.as_of_line()
        'as of 2026-11-01 (fetched 2026-11-01 06:00 UTC, source: sample SYNTHETIC)'
        """
        when = self.meta.fetched_at
        fetched = when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if when else "unknown"
        given = "--as-of; " if self.given_as_of and self.given_as_of != self.fetched_day else ""
        return f"as of {self.as_of.isoformat()} ({given}fetched {fetched}, source: {self.source})"

    def header(self) -> str:
        """Return what an answer starts with: the synthetic label (if so), then the as-of line."""
        lines = [provenance_line(self.meta)] if self.meta.synthetic else []
        return "\n".join([*lines, self.as_of_line()])

    def age_note(self, today: dt.date | None = None) -> str | None:
        """Say how old the data is when its day is not today's (counts run from its day).

        Examples
        --------
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     data = Data(load_snapshot("sample"), {})
        >>> print(data.age_note(today=dt.date(2026, 12, 3)))  # doctest: +NORMALIZE_WHITESPACE
        note: the data was fetched 32 days ago; days are counted from 2026-11-01,
        not today (--as-of 2026-12-03 counts from today).
        """
        today = today or dt.datetime.now(dt.UTC).date()
        if self.given_as_of is not None or (today - self.as_of).days < 2:
            return None
        age = (today - self.as_of).days
        return (
            f"note: the data was fetched {age} days ago; days are counted from "
            f"{self.as_of.isoformat()}, not today (--as-of {today.isoformat()} counts from today)."
        )

    def where(self) -> str:
        """Name the data: its source, with how many licenses it held before the filters."""
        whole = self.loaded.unfiltered
        held = f"{whole.height:,} licenses " if whole is not None else ""
        return f"{self.source} ({held}as of {self.as_of.isoformat()})"

    def empty_reason(self) -> str:
        """Say why the frame is empty: which filters match what on their own, or an empty store."""
        whole = self.loaded.unfiltered
        if not self.filters:
            return f"The data holds no license ({self.where()})."
        named = " ".join(_terms.option(name, value) for name, value in self.filters.items())
        if whole is None:  # the API filtered
            return f"The API has no license matching {named} ({self.source})."
        day = self.fetched_day
        alone = [
            f"{_terms.option(name, value)} alone matches "
            f"{whole.filter(local_expression(whole, {name: value}, as_of=day)).height:,}"
            for name, value in self.filters.items()
        ]
        both = {1: "", 2: "; none matches both"}.get(len(self.filters), "; none matches them all")
        return f"No license matches {named} in {self.where()}: {'; '.join(alone)}{both}."


def say_empty(data: Data | None, what: str | None = None) -> int:
    """Print that the answer is empty and why (``what``, else the data's reason); return 1.

    ``data`` may be None when there is no data to answer from (``what`` says why).
    """
    why = what or (data.empty_reason() if data is not None else "there is no data.")
    print(f"Empty answer: {why}")
    return EXIT_EMPTY


def to_rows(frame: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    """Return ``frame`` with its ``as_of`` day as the first column (CSV and JSON outputs)."""
    return frame.select(pl.lit(day).alias(AS_OF), pl.all())


#: The column of CSV and JSON answers that holds their as-of day.
AS_OF: Final = "as_of"
