"""Scripted states of the replica: the registry as it is on each day, so updates can be rehearsed.

``Replica(records_by_day={day: records, ...})`` serves, on any request, the
state of the latest day at or before the replica's today (``replica.as_of``,
default the real date; before the first day, the first state). A script file
(``mining-licenses replica --script FILE``) says the same in JSON, each state
either whole or as changes to the state before it::

    {"states": [
      {"day": "2026-11-01"},
      {"day": "2026-12-01",
       "remove": ["3411003442014022"],
       "update": {"3411003442014023": {"cnc": "non-CNC", "licensed_area_ha": 900}},
       "insert": [{"wiup_code": "9999000000000001", "...": "..."}]},
      {"day": "2027-01-01", "records": "january.json"}
    ]}

A first state without ``records`` is the replica's own records (the
synthetic sample, or ``--records``); ``records`` is a list of API records or
the path of a JSON file of them (relative to the script). ``remove`` takes
``wiup_code`` values, ``update`` maps a ``wiup_code`` to fields to set on
every record carrying it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import polars as pl

from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, shorten
from mining_licenses._oserrors import read_json
from mining_licenses.replica._http import records_from_frame

Records = list[dict[str, Any]]
_KEYS: Final = {"day", "records", "remove", "update", "insert"}
_SEE: Final = "See docs/monitoring.md for the format."


def _as_records(records: Iterable[Mapping[str, Any]] | pl.DataFrame) -> Records:
    if isinstance(records, pl.DataFrame):
        return records_from_frame(records)
    return [dict(r) for r in records]


def states_by_day(
    records_by_day: Mapping[dt.date, Iterable[Mapping[str, Any]] | pl.DataFrame],
) -> list[tuple[dt.date, Records]]:
    """Return the states as ``(day, records)``, oldest first, checked."""
    states = []
    for day, records in records_by_day.items():
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            msg = f"records_by_day keys must be dates, not {shorten(day)}."
            raise ConfigurationError(msg)
        states.append((day, _as_records(records)))
    if not states:
        msg = "records_by_day holds no state; give at least one day's records."
        raise ConfigurationError(msg)
    return sorted(states, key=lambda state: state[0])


def state_on(states: Sequence[tuple[dt.date, Records]], today: dt.date) -> int:
    """Return the index of the state served on ``today`` (the first before any state's day)."""
    chosen = 0
    for index, (day, _) in enumerate(states):
        if day <= today:
            chosen = index
    return chosen


def _load_records(value: object, folder: Path, where: str) -> Records:
    if isinstance(value, str):
        path = (folder / value).expanduser()
        what = f"the records file named by {where[0].lower()}{where[1:]}:"
        value = read_json(path, what=what, error=ConfigurationError)
        if isinstance(value, dict):
            value = value.get("results")
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        msg = f"{where}: records must be a list of API records (objects) or a JSON file of them."
        raise ConfigurationError(msg)
    return [dict(r) for r in value]


def _patched(records: Records, state: Mapping[str, Any], folder: Path, where: str) -> Records:
    remove = state.get("remove", [])
    update = state.get("update", {})
    if not isinstance(remove, list) or not all(isinstance(x, str) for x in remove):
        msg = f"{where}: remove must be a list of wiup_code texts."
        raise ConfigurationError(msg)
    if not isinstance(update, dict) or not all(isinstance(x, dict) for x in update.values()):
        msg = f"{where}: update must map a wiup_code to the fields to set."
        raise ConfigurationError(msg)
    unknown = {f for fields in update.values() for f in fields} - set(s.API_FIELDS)
    if unknown:
        msg = f"{where}: update sets {', '.join(sorted(unknown))}, not fields of an API record."
        raise ConfigurationError(msg)
    gone = set(remove)
    out = [
        {**r, **update.get(str(r.get(s.WIUP_CODE)), {})}
        for r in records
        if r.get(s.WIUP_CODE) not in gone
    ]
    if "insert" in state:
        out += _load_records(state["insert"], folder, where)
    return out


def read_script(path: str | os.PathLike[str], base: Records) -> dict[dt.date, Records]:
    """Read a script file into ``{day: records}`` (``base``: the records a first state means).

    Raises
    ------
    ConfigurationError
        If the file is not such a script (the message names the state and the fix).
    """
    file = Path(path).expanduser()
    data = read_json(file, what="the replica script", error=ConfigurationError, fix=_SEE)
    states = data.get("states") if isinstance(data, dict) else None
    if not isinstance(states, list) or not states:
        msg = f"The replica script {file} must be an object with a non-empty list of states."
        raise ConfigurationError(msg)
    out: dict[dt.date, Records] = {}
    current = base
    for number, state in enumerate(states, 1):
        where = f"The replica script {file}, state {number}"
        if not isinstance(state, dict) or set(state) - _KEYS:
            msg = f"{where} must be an object with keys among {', '.join(sorted(_KEYS))}."
            raise ConfigurationError(msg)
        try:
            day = dt.date.fromisoformat(str(state.get("day")))
        except ValueError as err:
            msg = f"{where}: day must be a date written YYYY-MM-DD."
            raise ConfigurationError(msg) from err
        if "records" in state:
            current = _load_records(state["records"], file.parent, where)
        current = _patched(current, state, file.parent, where)
        if day in out:
            msg = f"{where}: the day {day} is scripted twice."
            raise ConfigurationError(msg)
        out[day] = current
    return out
