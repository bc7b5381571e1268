"""The command line's own words: option types that name the option, and "did you mean".

:class:`CommandParser` turns argparse's errors into one line that names the
option as the user typed it (``--within-days must be 0 or more, not -5``),
under the usage of the subcommand at hand, and suggests the nearest option or
command for a misspelt one. The option groups shared by several subcommands
(filters, the pull's options, the data source) are defined here once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import math
import re
import sys
from collections.abc import Callable, Iterable
from typing import NoReturn

from mining_licenses import schema as s
from mining_licenses._errors import shorten
from mining_licenses.cli._terminal import error_message, one_line
from mining_licenses.client._options import option_help

_ARGUMENT = re.compile(r"^argument (?P<flags>[^:]+): ")
_CHOICE = re.compile(r"invalid choice: '(?P<given>[^']*)' \(choose from (?P<options>.*)\)$")


def did_you_mean(given: str, options: Iterable[str]) -> str:
    """Return `` (did you mean X?)`` for the nearest of ``options``, or an empty string.

    Examples
    --------
    >>> did_you_mean("--provnce", ["--province", "--cnc"])
    ' (did you mean --province?)'
    """
    near = difflib.get_close_matches(given, list(options), n=1, cutoff=0.6)
    return f" (did you mean {near[0]}?)" if near else ""


class CommandParser(argparse.ArgumentParser):
    """An argument parser whose errors name the option as typed, on one line, with a hint."""

    def error(self, message: str) -> NoReturn:
        """Print the usage of this (sub)command and one line saying what to change; exit 2."""
        found = _ARGUMENT.match(message)
        if found:  # "argument --within-days: must be..." -> "--within-days must be..."
            flags = found["flags"].split("/")[-1]
            message = f"{flags} {message[found.end() :]}"
            choice = _CHOICE.search(message)
            if choice:
                options = re.findall(r"'([^']*)'", choice["options"])
                what = "command" if flags == "COMMAND" else flags
                message = (
                    f"{what} {choice['given']!r} is not one of {', '.join(options)}"
                    + did_you_mean(choice["given"], options)
                )
        self.print_usage(sys.stderr)
        # one line, whatever was typed: an argument may hold a line break
        self.exit(2, f"error: {one_line(error_message(message))}. See: {self.prog} --help\n")

    def unrecognized(self, extras: list[str]) -> NoReturn:
        """Refuse options this (sub)command does not know, suggesting the nearest ones."""
        known = [o for a in self._actions for o in a.option_strings]
        named = [e.split("=")[0] for e in extras if e.startswith("-")]
        hints = "".join(did_you_mean(e, known) for e in named[:1])
        self.error(f"{self.prog} does not take {' '.join(extras)}{hints}")


def whole(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """Return an argparse type: a whole number within ``low``..``high``."""
    return lambda text: int(_checked(text, int, "a whole number", low, high))


def number(low: float | None = None, high: float | None = None) -> Callable[[str], float]:
    """Return an argparse type: a finite number within ``low``..``high``."""
    return lambda text: _checked(text, float, "a number", low, high)


def _checked(
    text: str, kind: type[int] | type[float], what: str, low: float | None, high: float | None
) -> float:
    try:
        value = kind(text)
    except ValueError:
        msg = f"must be {what}, not {shorten(text)}"
        raise argparse.ArgumentTypeError(msg) from None
    if not math.isfinite(value):
        msg = f"must be a finite number, not {shorten(text)}"
        raise argparse.ArgumentTypeError(msg)
    _bounds(value, text, low, high)
    return value


def _bounds(value: float, text: str, low: float | None, high: float | None) -> None:
    if high is not None and low is not None and not low <= value <= high:
        msg = f"must be between {_shown(low)} and {_shown(high)}, not {text}"
    elif low is not None and value < low:
        msg = f"must be {_shown(low)} or more, not {text}"
    elif high is not None and value > high:
        msg = f"must be {_shown(high)} or less, not {text}"
    else:
        return
    raise argparse.ArgumentTypeError(msg)


def _shown(bound: float) -> str:
    """Return a bound as people write it: ``1,000,000``, ``0.5``."""
    return f"{int(bound):,}" if float(bound).is_integer() else f"{bound:g}"


def iso_date(text: str) -> dt.date:
    """Argparse type: a calendar date written ``YYYY-MM-DD``."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        msg = f"must be a date written YYYY-MM-DD, not {shorten(text)}"
        raise argparse.ArgumentTypeError(msg) from None


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """Add the API's filters as options."""
    group = parser.add_argument_group("filters (the API's own)")
    group.add_argument(
        "--company", help="company: its slug, key or name in any spelling ('PT Multi Bintang')"
    )
    group.add_argument("--province", help="province, exact (e.g. 'Kalimantan Timur')")
    group.add_argument("--commodity-type", dest=s.COMMODITY, help="e.g. Coal, Nickel")
    group.add_argument("--license-type", dest=s.LICENSE_TYPE, help="IUP, IUPK, KK, ...")
    group.add_argument("--activity", help="Eksplorasi or 'Operasi Produksi'")
    group.add_argument("--cnc", help="CNC or non-CNC")
    group.add_argument(
        "--expiring-soon",
        dest="expiring_soon",
        action="store_const",
        const=True,
        help="only licenses expiring within 365 days",
    )


def add_pull_options(parser: argparse.ArgumentParser) -> None:
    """One option per field of PullOptions, with its default, meaning and range from there."""
    group = parser.add_argument_group("how the pull runs")
    for name, (default, meaning, low, high) in option_help().items():
        flag = "--" + name.replace("_", "-")
        if isinstance(default, bool):
            # only the non-default direction needs a flag: --strict, --no-progress
            said = meaning
            if default:
                flag, said = f"--no-{name.replace('_', '-')}", f"turn off: {meaning}"
            group.add_argument(flag, dest=name, action="store_const", const=not default, help=said)
            continue
        kind = number(low, high) if isinstance(default, float) else whole(low, high)  # type: ignore[arg-type]
        shown = "" if default is None else f" (default: {default})"
        group.add_argument(flag, dest=name, type=kind, metavar="N", help=meaning + shown)


def add_output_options(parser: argparse.ArgumentParser, *, csv: bool = False) -> None:
    """How files are written: ``--overwrite``, and ``--raw-csv`` where CSV is written."""
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing file (default: refuse)"
    )
    if csv:
        parser.add_argument(
            "--raw-csv",
            action="store_true",
            help="CSV text exactly as it is: no ' before cells starting with = + - @ "
            "(spreadsheets would run them as formulas)",
        )


def add_accept_shrink(parser: argparse.ArgumentParser) -> None:
    """``--accept-shrink``: use a snapshot that lacks many of the previous one's licenses."""
    parser.add_argument(
        "--accept-shrink",
        action="store_true",
        help="use a new snapshot even if it lacks more than a fifth of the licenses of the "
        "one before (default: keep it, held back, and use the one before)",
    )


def add_source_options(parser: argparse.ArgumentParser, sources: tuple[str, ...]) -> None:
    """Where the data comes from, and the day the answers are as of."""
    parser.add_argument(
        "--source",
        choices=sources,
        default="auto",
        help="where the data comes from (default: auto = snapshot, else API, else sample)",
    )
    add_accept_shrink(parser)
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        type=iso_date,
        help="reference day, YYYY-MM-DD (default: the day the data was fetched)",
    )
