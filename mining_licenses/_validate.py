"""The arguments of the public functions, checked in one place before any work.

Every public function (and the CLI, through them) hands what it was given to
these checkers: a wrong type raises :class:`ParameterTypeError` (a
:class:`ConfigurationError` and a :class:`TypeError`), a value out of range a
:class:`ConfigurationError`. Each message names the function, the parameter
and the value (cut to a few dozen characters by :func:`shorten`), says what
is wanted and how to give it. Resource-sized arguments (counts, text, paths)
have a ceiling, so a typo cannot ask for gigabytes.

The frame arguments of the analytics are checked by
``analytics/_inputs.py`` (kinds, columns, ``by``, ``as_of``), which uses the
checkers here for everything that is not a frame.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final, TypeVar

from mining_licenses._errors import ConfigurationError, ParameterTypeError, shorten

#: The longest path taken (Linux's PATH_MAX): anything longer is a mistake.
MAX_PATH_CHARS: Final = 4096
#: The longest file or folder name in a path (NAME_MAX of Linux's file systems), in bytes.
MAX_NAME_BYTES: Final = 255
#: The longest text argument (a filter value, a name, a column) taken.
MAX_TEXT_CHARS: Final = 1000
#: The most synthetic records made at once (``generate_records``, ``sample -n``): 240
#: times the registry, what the benchmarks use (about 2.6 GB of dicts); more is a typo.
MAX_SAMPLE_SIZE: Final = 1_000_000

_T = TypeVar("_T")


def _call(function: str | None, name: str, value: object) -> str:
    """``function(name=value)`` (or ``name=value``) as the start of a message.

    A frame or an array is named by its type and shape (its printout spans lines).
    """
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and not isinstance(value, str | bytes):
        shown = f"<{type(value).__name__} of shape {shape}>"
    else:
        shown = shorten(value)
    given = f"{name}={shown}"
    return f"{function}({given})" if function else given


def _kind(value: object) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def wrong_type(
    value: object, *, name: str, function: str | None, wanted: str, hint: str = ""
) -> ParameterTypeError:
    """Return the error for ``value`` of the wrong type: what was given, what is wanted."""
    msg = f"{_call(function, name, value)}: {name} must be {wanted}, not {_kind(value)}"
    return ParameterTypeError(msg + (f"; {hint}." if hint else "."))


def out_of_range(
    value: object, *, name: str, function: str | None, rule: str
) -> ConfigurationError:
    """Return the error for ``value`` of the right type that breaks ``rule``."""
    return ConfigurationError(f"{_call(function, name, value)}: {rule}.")


# ----------------------------------------------------------------- scalars


def flag(value: object, *, name: str, function: str | None) -> bool:
    """Return ``value`` if it is a bool (``True``/``False``, not ``"yes"`` or 1).

    Examples
    --------
    >>> flag(True, name="overwrite", function="export")
    True
    >>> flag("no", name="overwrite", function="export")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mining_licenses._errors.ParameterTypeError: export(overwrite='no'): overwrite must be True ...
    """
    if isinstance(value, bool):
        return value
    raise wrong_type(value, name=name, function=function, wanted="True or False")


def whole(
    value: object,
    *,
    name: str,
    function: str | None,
    low: int | None = None,
    high: int | None = None,
) -> int:
    """Return ``value`` if it is an int (not a bool) within ``low``..``high``.

    Examples
    --------
    >>> whole(5, name="n", function="generate_records", low=0, high=10)
    5
    >>> whole(50, name="n", function="generate_records", low=0, high=10)
    Traceback (most recent call last):
    ...
    mining_licenses._errors.ConfigurationError: generate_records(n=50): n must be between 0 and 10.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise wrong_type(value, name=name, function=function, wanted="a whole number (int)")
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            rule = f"between {low:,} and {high:,}"
        elif low is not None:
            rule = f"{low:,} or more"
        else:
            rule = f"{high:,} or less"
        raise out_of_range(value, name=name, function=function, rule=f"{name} must be {rule}")
    return value


def number(
    value: object,
    *,
    name: str,
    function: str | None,
    low: float | None = None,
    high: float | None = None,
    above: bool = False,
) -> float:
    """Return ``value`` as a float if it is a finite int or float within ``low``..``high``.

    With ``above``, ``low`` itself is refused (a value must be more than it).

    Examples
    --------
    >>> number(2000, name="max_km2", function="small_islands", low=0, above=True)
    2000.0
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise wrong_type(value, name=name, function=function, wanted="a number (int or float)")
    if not math.isfinite(value):
        rule = f"{name} must be a finite number"
        raise out_of_range(value, name=name, function=function, rule=rule)
    too_low = low is not None and (value <= low if above else value < low)
    if too_low or (high is not None and value > high):
        parts = []
        if low is not None:
            parts.append(f"more than {low:g}" if above else f"{low:g} or more")
        if high is not None:
            parts.append(f"at most {high:g}")
        rule = f"{name} must be {' and '.join(parts)}"
        raise out_of_range(value, name=name, function=function, rule=rule)
    return float(value)


def text(
    value: object,
    *,
    name: str,
    function: str | None,
    max_chars: int = MAX_TEXT_CHARS,
    empty: bool = False,
) -> str:
    """Return ``value`` if it is a str of at most ``max_chars`` (not blank unless ``empty``)."""
    if not isinstance(value, str):
        raise wrong_type(value, name=name, function=function, wanted="a str")
    if len(value) > max_chars:
        rule = f"{name} is {len(value):,} characters long; at most {max_chars:,} are taken"
        raise out_of_range(value, name=name, function=function, rule=rule)
    if not empty and not value.strip():
        raise out_of_range(value, name=name, function=function, rule=f"{name} must not be blank")
    return value


def optional_text(
    value: object, *, name: str, function: str | None, max_chars: int = MAX_TEXT_CHARS
) -> str | None:
    """Return None for None, else :func:`text`."""
    return None if value is None else text(value, name=name, function=function, max_chars=max_chars)


def choice(value: object, choices: Collection[str], *, name: str, function: str | None) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if not isinstance(value, str):
        allowed = ", ".join(map(repr, choices))
        raise wrong_type(value, name=name, function=function, wanted=f"one of {allowed}")
    if value not in choices:
        rule = f"{name} must be one of {', '.join(map(repr, choices))}"
        raise out_of_range(value, name=name, function=function, rule=rule)
    return value


def instance(
    value: object, kind: type[_T], *, name: str, function: str | None, wanted: str, hint: str = ""
) -> _T:
    """Return ``value`` if it is a ``kind``; else the wrong-type error naming ``wanted``."""
    if not isinstance(value, kind):
        raise wrong_type(value, name=name, function=function, wanted=wanted, hint=hint)
    return value


def optional_instance(
    value: object, kind: type[_T], *, name: str, function: str | None, wanted: str, hint: str = ""
) -> _T | None:
    """Return None for None, else :func:`instance` (``wanted`` should say "or None")."""
    if value is None:
        return None
    return instance(value, kind, name=name, function=function, wanted=wanted, hint=hint)


# ---------------------------------------------------------- paths and times


def path(value: object, *, name: str, function: str | None, folder: bool = False) -> Path:
    """Return ``value`` as a :class:`~pathlib.Path` if it is a str or ``os.PathLike`` path.

    ``folder``: the path names a folder (the messages say so).

    Refused: other types (bytes too), an empty path, a NUL character, and
    paths over :data:`MAX_PATH_CHARS` characters.

    Examples
    --------
    >>> path("licenses.gpkg", name="path", function="export").name
    'licenses.gpkg'
    >>> path(123, name="path", function="export")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mining_licenses._errors.ParameterTypeError: export(path=123): path must be a file path ...
    """
    given = os.fspath(value) if isinstance(value, os.PathLike) else value
    if not isinstance(given, str):
        raise wrong_type(
            value,
            name=name,
            function=function,
            wanted=f"a {'folder' if folder else 'file'} path (str or pathlib.Path)",
            hint="pass e.g. 'data/store'" if folder else "pass e.g. 'licenses.gpkg'",
        )
    if not given:
        raise out_of_range(value, name=name, function=function, rule=f"{name} is empty")
    if "\x00" in given:
        rule = f"{name} contains a NUL character, which no file name can hold"
        raise out_of_range(value, name=name, function=function, rule=rule)
    if len(given) > MAX_PATH_CHARS:
        rule = f"{name} is {len(given):,} characters long; paths are at most {MAX_PATH_CHARS:,}"
        raise out_of_range(value, name=name, function=function, rule=rule)
    parts = Path(given).parts
    if any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES for part in parts):
        rule = f"a file or folder name in {name} is over {MAX_NAME_BYTES} bytes, the most there is"
        raise out_of_range(value, name=name, function=function, rule=rule)
    return Path(given)


def optional_path(
    value: object, *, name: str, function: str | None, folder: bool = False
) -> Path | None:
    """Return None for None, else :func:`path`."""
    return None if value is None else path(value, name=name, function=function, folder=folder)


def duration(value: object, *, name: str, function: str | None) -> dt.timedelta | None:
    """Return ``value`` as a duration of zero or more: a ``timedelta``, or seconds; None stays None.

    ``0`` is a duration like any other (for ``max_age``: nothing is fresh enough).

    Examples
    --------
    >>> duration(0, name="max_age", function=None), duration(3600.0, name="max_age", function=None)
    (datetime.timedelta(0), datetime.timedelta(seconds=3600))
    """
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        age = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or abs(value) > 1e12:  # past what a timedelta holds
            rule = f"{name} must be a finite number of seconds (or a datetime.timedelta)"
            raise out_of_range(value, name=name, function=function, rule=rule)
        age = dt.timedelta(seconds=value)
    else:
        raise wrong_type(
            value,
            name=name,
            function=function,
            wanted="a datetime.timedelta or a number of seconds",
            hint=f"e.g. {name}=datetime.timedelta(days=7)",
        )
    if age < dt.timedelta(0):
        rule = (
            f"{name} must be zero or more (a datetime.timedelta or seconds; "
            "0: nothing is fresh enough)"
        )
        raise out_of_range(value, name=name, function=function, rule=rule)
    return age


def moment(value: object, *, name: str, function: str | None, dates: bool) -> dt.datetime | None:
    """Return ``value`` as an aware UTC datetime (a naive one is UTC), or None.

    With ``dates``, a ``datetime.date`` is taken as its first instant in UTC.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if dates and isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
    wanted = "a datetime.datetime" + (" or datetime.date" if dates else "")
    raise wrong_type(value, name=name, function=function, wanted=wanted)


# ------------------------------------------------------------- collections


def names(
    value: object, *, name: str, function: str | None, max_chars: int = MAX_TEXT_CHARS
) -> list[str]:
    """Return one str, or a list/tuple of str, as a list of names.

    Examples
    --------
    >>> names("province", name="by", function="area_by_province")
    ['province']
    >>> names(123, name="by", function="area_by_province")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mining_licenses._errors.ParameterTypeError: area_by_province(by=123): by must be a column ...
    """
    wanted = "a column name (str) or a list of them"
    if isinstance(value, str):
        items: Sequence[object] = [value]
    elif isinstance(value, Sequence | set | frozenset) and not isinstance(value, bytes):
        items = list(value)
    else:
        raise wrong_type(value, name=name, function=function, wanted=wanted)
    for item in items:
        if not isinstance(item, str):
            msg = f"{_call(function, name, value)}: {name} must be {wanted}; {shorten(item)} is not"
            raise ParameterTypeError(f"{msg} ({_kind(item)}).")
        text(item, name=name, function=function, max_chars=max_chars)
    return [str(item) for item in items]


def mapping(value: object, *, name: str, function: str | None) -> Mapping[str, object]:
    """Return ``value`` if it is a mapping with str keys (None: an empty one)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise wrong_type(value, name=name, function=function, wanted="a dict or None")
    for key in value:
        if not isinstance(key, str):
            raise wrong_type(key, name=f"{name} key", function=function, wanted="a str")
    return value


def iterable(value: object, *, name: str, function: str | None, wanted: str) -> Iterable[object]:
    """Return ``value`` if it is iterable and not text (a str would iterate its characters)."""
    if type(value) in (tuple, list):  # the usual case, without the ABC checks
        return value  # type: ignore[return-value]
    if isinstance(value, str | bytes | bytearray | Mapping) or not isinstance(value, Iterable):
        raise wrong_type(value, name=name, function=function, wanted=wanted)
    return value
