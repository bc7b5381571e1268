"""The ledger: ``events.parquet`` in the store, every event since the store began.

Events are appended as snapshots are written (:func:`update_ledger`, which
``pull`` and ``update`` call): each snapshot of a chain that the ledger has
not seen is compared with the one before it. The file's metadata records, per
chain, the snapshots already compared, so updating twice appends nothing and
a chain whose snapshots change nothing still moves on. Pruning snapshots
never rewrites the ledger: what was observed stays observed. A snapshot that
joins its chain before the ledger's newest (one held back because it shrank,
accepted after later pulls) is put in its place: the pairs from it on are
compared again, so appending always gives what a rebuild gives.
:func:`rebuild_ledger` computes it afresh from the snapshots (the same file,
when none was pruned). The file is written whole or not at all
(``write_atomic``) and reads in DuckDB, polars, pandas or QGIS as it is.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import polars as pl

from mining_licenses import _config, companies
from mining_licenses import _validate as check
from mining_licenses import schema as s
from mining_licenses._atomic import write_atomic
from mining_licenses._errors import ConfigurationError, SnapshotError, shorten
from mining_licenses._oserrors import output_error, read_error
from mining_licenses._redact import get_logger
from mining_licenses.changes import vocabulary as v
from mining_licenses.changes._classify import LAST, order
from mining_licenses.changes._scan import Chain, _utc, chain_events, chains
from mining_licenses.store import list_snapshots

logger = get_logger(__name__)

#: The ledger's file name in the store.
LEDGER_NAME: Final = "events.parquet"
#: The file-metadata key of the ledger's state (JSON): the snapshots compared, per chain.
STATE_KEY: Final = "mining_licenses_events"
_STATE_VERSION: Final = 1
_REBUILD: Final = (
    "Run `mining-licenses events --rebuild` (rebuild_ledger()): it keeps the damaged file "
    "beside it and makes the ledger again from the snapshots."
)
_REFUSED: Final = "Check that it is a file you may read (or remove what stands in its place)."


class _DamagedLedgerError(SnapshotError):
    """The ledger file is there and readable but not a ledger (damaged): a rebuild sets it aside."""


@dataclass(frozen=True)
class LedgerUpdate:
    """What :func:`update_ledger` did.

    Attributes
    ----------
    path
        The ledger file.
    events
        The events appended (none when nothing new was compared).
    compared
        The snapshots compared with their predecessor, by file name.
    total
        Events in the ledger now.
    """

    path: Path
    events: pl.DataFrame
    compared: tuple[str, ...] = ()
    total: int = 0
    notes: tuple[str, ...] = field(default=())


#: The ledger state's entry: snapshot name -> when its pair was compared again (ISO 8601).
REVISED: Final = "revised"


def ledger_path(store: str | os.PathLike[str] | None = None) -> Path:
    """Return where the store keeps its ledger (``<store>/events.parquet``).

    Examples
    --------
    >>> ledger_path("/data/store").name
    'events.parquet'
    """
    return _config.store_dir(store) / LEDGER_NAME


def _load(path: Path) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Return the ledger's events and state (both empty when there is no ledger yet).

    A name that is there but cannot be followed (a symlink loop, a dangling
    link) is read, and said, not taken for "no ledger".
    """
    if not os.path.lexists(path):
        return v.empty_events(), {"version": _STATE_VERSION, "chains": {}}
    try:
        meta = pl.read_parquet_metadata(path)
        state = json.loads(meta.get(STATE_KEY, "{}"))
        frame = pl.read_parquet(path).select(pl.col(c).cast(t) for c, t in v.EVENT_COLUMNS.items())
    except (pl.exceptions.PolarsError, OSError, ValueError) as err:
        refused = read_error(err, path, what="the ledger", error=SnapshotError, fix=_REFUSED)
        if refused is not None:  # the system's refusal (a folder, no permission), not damage
            raise refused from err
        msg = (
            f"The ledger {path} could not be read ({type(err).__name__}: "
            f"{shorten(str(err), 200)}). {_REBUILD}"
        )
        raise _DamagedLedgerError(msg) from err
    if not isinstance(state.get("chains"), dict):
        state = {"version": _STATE_VERSION, "chains": {}}
    return frame, state


def _write(path: Path, frame: pl.DataFrame, state: dict[str, Any]) -> None:
    state = {**state, "version": _STATE_VERSION}
    text = json.dumps(state, sort_keys=True, separators=(",", ":"))
    ordered = order(frame).select(pl.col(c).cast(t) for c, t in v.EVENT_COLUMNS.items())
    write_atomic(
        path,
        lambda temp: ordered.write_parquet(temp, metadata={STATE_KEY: text}),
        overwrite=True,
    )


def _state(store: str | os.PathLike[str] | None) -> dict[str, Any]:
    """Return the ledger's state (what it compared), or an empty one without a ledger."""
    path = ledger_path(store)
    return _load(path)[1] if os.path.lexists(path) else {}


def snapshot_scopes(store: str | os.PathLike[str] | None = None) -> dict[str, dict[str, Any]]:
    """Return, for each snapshot the ledger compared, its chain: ``filters`` and ``synthetic``.

    Examples
    --------
    >>> import tempfile
    >>> snapshot_scopes(tempfile.mkdtemp())
    {}
    """
    found: dict[str, dict[str, Any]] = {}
    for scope, entry in _state(store).get("chains", {}).items():
        parsed = json.loads(scope)
        for name in entry.get("snapshots", []):
            found[name] = parsed
    return found


def revised_at(store: str | os.PathLike[str] | None = None) -> dict[str, dt.datetime]:
    """Return when the pairs ending at each snapshot were compared again, by snapshot name.

    A held-back snapshot accepted after later pulls makes the ledger compare
    the pairs from it on again; their feed entries are revised then.

    Examples
    --------
    >>> import tempfile
    >>> revised_at(tempfile.mkdtemp())
    {}
    """
    found: dict[str, dt.datetime] = {}
    for name, when in _revisions(_state(store)).items():
        try:
            found[name] = dt.datetime.fromisoformat(when).astimezone(dt.UTC)
        except (TypeError, ValueError):  # a damaged entry only loses its revision time
            continue
    return found


def _revisions(state: Mapping[str, Any]) -> dict[str, str]:
    """Return the state's revision times by snapshot name (anything else there is ignored)."""
    found = state.get(REVISED)
    if not isinstance(found, dict):
        return {}
    return {k: t for k, t in found.items() if isinstance(k, str) and isinstance(t, str)}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def ledger_snapshot(store: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the newest snapshot the ledger has compared that is still in the store, or None.

    What the ledger is as of: the events it holds go up to that snapshot.

    Examples
    --------
    >>> import tempfile
    >>> ledger_snapshot(tempfile.mkdtemp()) is None
    True
    """
    names = list(snapshot_scopes(store))
    if not names:
        return None
    listing = list_snapshots(store)  # one row per file: a few thousand at most
    kept = [p for p in listing.sort(s.FETCHED_AT)["path"] if Path(p).name in set(names)]
    return Path(kept[-1]) if kept else None


def _seen(ledger: pl.DataFrame, names: Sequence[str]) -> pl.DataFrame:
    """Keys that vanished in a chain's pairs (``names``), each with the last snapshot holding it."""
    gone = ledger.filter(
        pl.col(v.EVENT).is_in([v.VANISHED_EXPIRED, v.VANISHED_EARLY])
        & pl.col(v.SNAPSHOT_AFTER).is_in(list(names))
    )
    return (
        gone.sort(v.OBSERVED_AT).group_by(v.KEY).agg(pl.col(v.SNAPSHOT_BEFORE).last().alias(LAST))
    )


def _pairs_of(names: Sequence[str]) -> list[list[str]]:
    """Return the consecutive pairs of ``names`` (older, newer), as the state records them."""
    return [[a, b] for a, b in itertools.pairwise(names)]


def _recorded(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return the pairs a chain's state records (anything else there is ignored: not ours)."""
    pairs = entry.get("pairs")
    if not isinstance(pairs, list):
        return []
    return [
        (p[0], p[1])
        for p in pairs
        if isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
    ]


def _record(entry: dict[str, Any], names: Sequence[str], pairs: Sequence[Sequence[str]]) -> None:
    """Set a chain's compared snapshots and add the pairs compared to those it had."""
    merged = dict.fromkeys([*_recorded(entry), *(tuple(p) for p in pairs)])
    entry["snapshots"] = list(names)
    entry["pairs"] = [list(p) for p in merged]


def _bridged(chain: Chain, entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return the pairs of ``chain`` the ledger already observed through a snapshot since deleted.

    A snapshot deleted from the middle of a chain leaves its neighbours side
    by side; the ledger holds what was seen through it (older -> deleted ->
    newer), so comparing the neighbours again would count those changes
    twice. A pair is bridged when the ledger never compared it and compared
    its older snapshot with one no longer in the store. Ledgers written before
    pairs were recorded bridge nothing.
    """
    recorded = set(_recorded(entry))
    if not recorded:
        return []
    present = set(chain.names)
    onward = {a for a, b in recorded if b not in present}
    return [
        (a, b) for a, b in itertools.pairwise(chain.names) if (a, b) not in recorded and a in onward
    ]


def _pending(chain: Chain, done: Sequence[str]) -> tuple[Chain | None, int | None, list[str]]:
    """Return what of ``chain`` is still to compare, and from where pairs must be compared again.

    The part after the ledger's last compared snapshot (which it starts with),
    or None; and the place of the first snapshot the ledger never compared
    that lies before its last one (a held-back snapshot accepted since, a
    snapshot written later with an older time), or None.
    """
    notes: list[str] = []
    if not done:
        return (chain if len(chain.paths) > 1 else None), None, notes
    names = chain.names
    known = set(done)
    present = [i for i, n in enumerate(names) if n in known]
    if not present:  # every compared snapshot was deleted: start afresh from what is there
        notes.append(
            f"none of the snapshots the ledger compared last is in the store; the chain "
            f"starts again at {names[0]}"
        )
        return (chain if len(chain.paths) > 1 else None), None, notes
    last = present[-1]
    skipped = [i for i in range(last) if names[i] not in known]
    if skipped:
        return None, skipped[0], notes
    if last == len(names) - 1:
        return None, None, notes
    part = Chain(chain.scope, chain.paths[last:], chain.times[last:])
    return part, None, notes


def _again(
    chain: Chain, start: int, ledger: pl.DataFrame, done: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Compare the pairs of ``chain`` from snapshot ``start`` on again.

    Returns the ledger without the events of those pairs (events of a pair
    whose older snapshot is no longer in the store are kept, as
    :func:`rebuild_ledger` keeps them), the events computed afresh, and the
    newer snapshots of the pairs compared.
    """
    since = chain.times[start]  # the pairs chain_events(since=) picks: the same rule
    again = [chain.names[k] for k in range(1, len(chain.names)) if chain.times[k] >= since]
    stale = pl.col(v.SNAPSHOT_AFTER).is_in(again) & pl.col(v.SNAPSHOT_BEFORE).is_in(
        list(chain.names)
    )
    kept = ledger.filter(~stale)
    fresh = chain_events(chain, since=since, seen=_seen(kept, done))
    return kept, fresh, again


def update_ledger(store: str | os.PathLike[str] | None = None) -> LedgerUpdate:
    """Append the events of the store's snapshots that the ledger has not compared yet.

    Called by :func:`~mining_licenses.pull` after each snapshot it writes,
    and by ``mining-licenses update``; safe to call any time (a second call
    appends nothing). A snapshot that joins its chain before the ledger's
    last compared one (a held-back snapshot accepted with
    :func:`~mining_licenses.store.accept_snapshot` after later pulls) is put
    in its place: the pairs from it on are compared again, so the ledger is
    what :func:`rebuild_ledger` would make.

    Returns
    -------
    LedgerUpdate
        The events appended (those compared again among them) and the ledger's path.

    Examples
    --------
    >>> import tempfile
    >>> from mining_licenses.store import write_snapshot
    >>> folder = tempfile.mkdtemp()
    >>> meta = {"source": "sample", "synthetic": True, "complete": True}
    >>> _ = write_snapshot(licenses, store=folder, meta=meta)
    >>> later = licenses.with_columns(pl.col("fetched_at").dt.offset_by("1d")).slice(1)
    >>> _ = write_snapshot(later, store=folder, meta=meta)
    >>> first = update_ledger(folder)
    >>> first.events["event"].to_list(), update_ledger(folder).events.height
    (['vanished_early'], 0)
    """
    path = ledger_path(store)
    ledger, state = _load(path)
    chain_state: dict[str, Any] = state.setdefault("chains", {})
    found: list[pl.DataFrame] = []
    compared: list[str] = []
    notes: list[str] = []
    for chain in chains(store):
        done = list(chain_state.get(chain.scope, {}).get("snapshots", []))
        part, redo, said = _pending(chain, done)
        notes += said
        if redo is not None:
            logger.info(
                "ledger: %s joined its chain before the ledger's last snapshot (accepted after "
                "being held back?): the pairs from it on are compared again",
                chain.names[redo],
            )
            ledger, fresh, again = _again(chain, redo, ledger, done)
            found.append(fresh)
            compared += again
            stamp = _now().isoformat()  # their feed entries are revised: readers are told
            state[REVISED] = {**_revisions(state), **dict.fromkeys(again, stamp)}
            entry = chain_state.setdefault(chain.scope, {})
            names = chain.names
            redone = [[names[k - 1], names[k]] for k in range(1, len(names)) if names[k] in again]
            _record(entry, list(dict.fromkeys([*done, *names])), redone)
            continue
        entry = chain_state.setdefault(chain.scope, {})
        if part is None:
            if not done and chain.names:
                _record(entry, list(chain.names), [])
            continue
        seen = _seen(ledger, done) if done else None
        found.append(chain_events(part, seen=seen))
        compared += part.names[1:]
        _record(entry, list(dict.fromkeys([*done, *part.names])), _pairs_of(part.names))
    added = pl.concat(found) if found else v.empty_events()
    if compared or not path.exists():
        _write(path, pl.concat([ledger, added]), state)
    for note in notes:
        logger.warning("ledger: %s", note)
    if compared:
        logger.info("ledger: %d event(s) from %d snapshot(s)", added.height, len(compared))
    return LedgerUpdate(
        path, order(added), tuple(compared), ledger.height + added.height, tuple(notes)
    )


def current_ledger(store: str | os.PathLike[str] | None = None) -> pl.DataFrame:
    """Return the store's ledger brought up to date (read-only stores: computed, not written).

    Examples
    --------
    >>> import tempfile
    >>> current_ledger(tempfile.mkdtemp()).height
    0
    """
    try:
        update_ledger(store)
    except OSError as err:  # a store one may read but not write
        logger.info("ledger not updated (%s); events computed in memory", err)
        from mining_licenses.changes._scan import events

        return events(store)
    return read_ledger(store)


def rebuild_ledger(store: str | os.PathLike[str] | None = None) -> LedgerUpdate:
    """Compute the ledger afresh from the store's snapshots and write it.

    Pairs whose snapshots are both in the store are compared again; events
    the old ledger holds for pairs that can no longer be compared (a snapshot
    pruned) are kept, so a rebuild never forgets what was observed.

    Examples
    --------
    >>> import tempfile
    >>> rebuild_ledger(tempfile.mkdtemp()).total
    0
    """
    path = ledger_path(store)
    notes: list[str] = []
    try:
        old, old_state = _load(path)
    except _DamagedLedgerError as err:  # kept, byte for byte, beside the new ledger; and said
        aside = _set_aside(path)
        notes.append(
            f"the ledger could not be read ({shorten(str(err.__cause__ or err), 200)}); it is "
            f"kept as {aside.name}, "
            "and events of snapshots no longer in the store are not in the new ledger"
        )
        logger.warning("ledger: %s", notes[-1])
        old, old_state = v.empty_events(), {}
    listing = chains(store)
    present = {name for chain in listing for name in chain.names}
    kept = old.filter(
        ~pl.col(v.SNAPSHOT_AFTER).is_in(list(present))
        | ~pl.col(v.SNAPSHOT_BEFORE).is_in(list(present))
    )
    fresh: list[pl.DataFrame] = []
    state: dict[str, Any] = {"chains": {}}
    revised = {k: t for k, t in _revisions(old_state).items() if k in present}
    if revised:  # a rebuild gives what was appended: the revisions stand
        state[REVISED] = revised
    for chain in listing:
        entry = old_state.get("chains", {}).get(chain.scope, {})
        bridged = _bridged(chain, entry)
        if bridged:  # seen through a snapshot since deleted: what was observed stays
            logger.info("ledger: %d pair(s) bridge a deleted snapshot: not compared", len(bridged))
        names = [*entry.get("snapshots", []), *itertools.chain(*_recorded(entry)), *chain.names]
        fresh.append(_segments_events(chain, set(bridged), kept, names))
        skipped = set(bridged)
        compared_pairs = [p for p in _pairs_of(chain.names) if tuple(p) not in skipped]
        gone = [list(p) for p in _recorded(entry) if not set(p) <= present]
        state["chains"][chain.scope] = {"snapshots": list(chain.names), "pairs": gone}
        _record(state["chains"][chain.scope], list(chain.names), compared_pairs)
    frame = pl.concat([kept, *fresh]) if fresh else kept
    _write(path, frame, state)
    compared = tuple(n for chain in listing for n in chain.names[1:])
    added = order(pl.concat(fresh)) if fresh else v.empty_events()
    return LedgerUpdate(path, added, compared, frame.height, tuple(notes))


def _segments_events(
    chain: Chain, bridged: set[tuple[str, str]], kept: pl.DataFrame, names: Sequence[str]
) -> pl.DataFrame:
    """Return the events of ``chain``'s pairs, bridged pairs left out, as appending made them.

    The chain is compared in segments split at the bridged pairs. Each starts
    from what the ledger had seen by its first snapshot: the licenses that
    vanished in pairs no longer comparable (pruned or deleted snapshots) and
    in the segments before, so a license seen there and back later has
    reappeared (not ``new``), with the same last snapshot, as when appended.
    """
    names_in = chain.names
    starts = [0] + [k for k in range(1, len(names_in)) if (names_in[k - 1], names_in[k]) in bridged]
    ends = [*starts[1:], len(chain.names)]
    history, found = kept, []
    for start, end in zip(starts, ends, strict=True):
        part = Chain(chain.scope, chain.paths[start:end], chain.times[start:end])
        prior = history.filter(pl.col(v.OBSERVED_AT) <= chain.times[start])
        seen = _seen(prior, names) if prior.height else None
        events_here = chain_events(part, seen=seen) if len(part.paths) > 1 else v.empty_events()
        found.append(events_here)
        history = pl.concat([history, events_here])
    return pl.concat(found)


def _set_aside(path: Path) -> Path:
    """Rename a damaged ledger beside itself (``events.parquet.damaged-<UTC time>``); return it."""
    stamp = _now().strftime("%Y%m%dT%H%M%SZ")
    for n in itertools.count(1):
        aside = path.with_name(f"{path.name}.damaged-{stamp}" + (f"-{n}" if n > 1 else ""))
        if not os.path.lexists(aside):
            try:
                path.rename(aside)
            except OSError as err:  # a read-only store: said as every refused write is
                raise (output_error(err, aside) or err) from err
            return aside
    raise AssertionError  # pragma: no cover (count() never ends)


def _many(name: str, value: str | Sequence[str]) -> list[str]:
    values = check.names(value, name=name, function="read_ledger")
    if not values or not all(x.strip() for x in values):
        msg = f"{name}={shorten(value)} must be a non-empty text or a list of texts."
        raise ConfigurationError(msg)
    return [x.strip() for x in values]


def check_event_types(value: str | Sequence[str]) -> list[str]:
    """Return the event types named, each checked against the vocabulary."""
    import difflib

    kinds = _many("event", value)
    for kind in kinds:
        if kind not in v.EVENT_TYPES:
            near = difflib.get_close_matches(kind, list(v.EVENT_TYPES), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            msg = (
                f"event={kind!r} is not an event type{hint}; the types are: "
                f"{', '.join(v.EVENT_TYPES)}."
            )
            raise ConfigurationError(msg)
    return kinds


def company_match(values: Sequence[str]) -> pl.Expr:
    """Polars expression: events of any of these companies, named by slug, key or any spelling."""
    keys = {x.strip().lower() for x in values} | {k for x in values if (k := companies.name_key(x))}
    folded = companies.name_key_expr(pl.col(s.COMPANY_NAME))
    return pl.col(s.COMPANY_KEY).is_in(list(keys)) | folded.is_in(list(keys))


def text_match(column: str, values: Sequence[str]) -> pl.Expr:
    """Polars expression: ``column`` is one of ``values`` in any case, spacing or known alias."""
    wanted = {s.value_key(s.canonical_value(column, x) or x) for x in values}
    return s.value_key_expr(pl.col(column)).is_in(list(wanted))


def read_ledger(
    store: str | os.PathLike[str] | None = None,
    *,
    event: str | Sequence[str] | None = None,
    company: str | Sequence[str] | None = None,
    province: str | Sequence[str] | None = None,
    commodity_type: str | Sequence[str] | None = None,
    wiup_code: str | Sequence[str] | None = None,
    since: dt.datetime | dt.date | None = None,
    until: dt.datetime | dt.date | None = None,
) -> pl.DataFrame:
    """Return the store's ledger of events, filtered; oldest first.

    Every filter takes one value or a list. ``company`` matches a slug, a
    company key or a name in any spelling the company keys fold (``PT. Multi
    Bintang Tbk`` = ``multi bintang``); ``province`` and ``commodity_type``
    match in any case or known alias (``Kaltim`` aside: see the schema's
    aliases); ``since``/``until`` select by ``observed_at`` as in
    :func:`~mining_licenses.changes.events`. A store without a ledger gives
    an empty frame.

    Examples
    --------
    >>> import tempfile
    >>> read_ledger(tempfile.mkdtemp(), event="cnc_changed").height
    0
    >>> read_ledger(tempfile.mkdtemp(), event="cnc_change")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mining_licenses._errors.ConfigurationError: event='cnc_change' is not an event type (did ...
    """
    predicate = pl.lit(True)
    if event is not None:
        predicate &= pl.col(v.EVENT).is_in(check_event_types(event))
    if company is not None:
        predicate &= company_match(_many("company", company))
    if province is not None:
        predicate &= text_match(s.PROVINCE, _many("province", province))
    if commodity_type is not None:
        predicate &= text_match(s.COMMODITY, _many("commodity_type", commodity_type))
    if wiup_code is not None:
        predicate &= pl.col(s.WIUP_CODE).is_in(_many("wiup_code", wiup_code))
    start, end = _utc(since), _utc(until, end=True)
    if start is not None:
        predicate &= pl.col(v.OBSERVED_AT) >= start
    if end is not None:
        predicate &= pl.col(v.OBSERVED_AT) < end
    path = ledger_path(store)
    if not os.path.lexists(path):
        return v.empty_events()
    frame, _ = _load(path)
    return frame.filter(predicate)
