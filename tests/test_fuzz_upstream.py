"""A generative hostile upstream: hypothesis draws how the replica misbehaves; invariants hold.

Each example is a :class:`Case`: records (some served twice, some with odd
values), a fault plan (request number -> a misbehaviour of
:data:`mining_licenses.replica._plan.KINDS`: error statuses, records dropped,
pages truncated, rotated, repeated from another offset or stale, totals off or
zero, the key echoed in a record, the total, a header or a message), churn
between pages (records inserted and removed), a server that ignores
``offset``, ties ordered anew per request, and the client's concurrency and
strictness. A real ``pull()`` runs against it over loopback HTTP, into a store
that already holds a snapshot, and every example must keep these invariants:

1. no exception but the package's own (:class:`MiningLicensesError`);
2. a sweep reported complete holds exactly the rows of a state the server
   held (compared as a multiset of records: copies counted), or the empty
   registry a first answer claimed (``zero`` on the pull's first request: a
   self-consistent answer a sweep cannot tell from the truth; the store's
   side of invariant 1, a snapshot that shrinks, answers it). With churn,
   one limit of offset paging is stated instead of hidden: records inserted,
   removed or changed between two page requests in a way that leaves
   ``total_count`` and the record at every page boundary as they were cannot
   be seen without reading every page twice, so a complete sweep there holds
   as many rows as a state held, each a record some state held (never one
   invented, lost from every state, or counted twice);
3. credits: the server billed exactly what the client counted, and never more
   than the client's ceiling, ``3 * P(T) + 38`` where ``P(T)`` is the pages of
   the largest ``total_count`` the server could send (30 records, then 29 new
   ones a page) and 38 one page a province; with only free faults (429, 500)
   and data-level ones (records served twice, odd values), stable ties and no
   churn, at most ``P(N) + 2`` for the ``N`` rows served (the two: first pages
   of other orders, when the first one ties heavily); a server ignoring
   ``offset``, at most ``3 + 2 * MAX_REPEATED_PAGES + max_in_flight - 1``
   (up to 3 first pages to choose an order, the first page of each pass
   before the repeats stop the call, the repeats, the pages in flight);
4. the key, in any form, in no output: exception text and reprs, log records
   at DEBUG (the package's and httpcore's), metadata, journal and snapshot
   bytes;
5. nothing published partially: every file in the store is whole (a snapshot
   reads back), no temporary file is left, and a pull that raised published
   no snapshot;
6. the snapshot that was in the store before is byte for byte intact.

``make test`` runs a fixed, bounded set of examples (``derandomize=True``);
``make fuzz`` a long random campaign (``FUZZ_EXAMPLES``, default 1000) that
prints how many examples ran. A failing example the fuzzer found is kept below
as an explicit ``@example``.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import json
import logging
import math
import operator
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mining_licenses import schema as s
from mining_licenses._errors import MiningLicensesError, MiningLicensesWarning
from mining_licenses._wire import record_fingerprint
from mining_licenses.loader import pull
from mining_licenses.normalize import normalize_records
from mining_licenses.replica import FaultPlan, Faults, Misbehaviour, Replica
from mining_licenses.replica._plan import KINDS
from mining_licenses.store import read_snapshot, write_snapshot
from tests._replica_fixtures import TODAY, make_records

KEY = "sk-test-fuzz-4e7d1a9c2b5f8036"
#: Pages repeating another offset before a sweep stops, as documented (the bound below uses it).
REPEATS = 2
PROVINCE_PAGES = len(s.PROVINCES)
FREE_FAULTS = {("status", 429), ("status", 500)}
#: ``make fuzz`` sets FUZZ_EXAMPLES (and no seed); ``make test`` runs the fixed examples.
CAMPAIGN = os.environ.get("FUZZ_EXAMPLES")
EXAMPLES = int(CAMPAIGN) if CAMPAIGN else 30

#: Odd values put into records: (field, values) drawn by index.
ODD_VALUES: dict[str, tuple[Any, ...]] = {
    s.AREA_HA: (math.nan, math.inf, -5, 0, 1e308, "12,5", True, None, [1], {"ha": 1}),
    s.EXPIRY_DATE: ("9999-12-31", "0001-01-01", "", "31/12/2020", 20201231, None, "2026-02-30"),
    s.COMPANY_NAME: ('=HYPERLINK("http://x")', "\x1b[31mred\x07", "a" * 3000, "", None, 123),
    s.WIUP_CODE: (None, "", 12345, "0" * 16, ["x"]),
    s.LOCATION: ({"type": "Point", "coordinates": [999, 999]}, "POINT(1 2)", [1, 2], 5),
    s.PROVINCE: ("Atlantis", "", None, "KALIMANTAN TIMUR"),
}


@dataclass(frozen=True)
class Case:
    """One generated hostile upstream and the client's settings (see the module docstring)."""

    n: int
    seed: int = 0
    twins: tuple[tuple[int, bool], ...] = ()  # (record, exact copy?) served twice
    odd: tuple[tuple[int, str, int], ...] = ()  # (record, field, value number)
    faults: tuple[tuple[int, str, int, int], ...] = ()  # (first request, kind, arg, requests)
    churn: tuple[tuple[int, int, int, int], ...] = ()  # (after requests, in, out, updated)
    ignore_offset: bool = False
    unstable_ties: bool = False
    max_in_flight: int = 1
    strict: bool = False

    def page_faults(self) -> set[tuple[str, int]]:
        return {(kind, arg) for _, kind, arg, _ in self.faults}

    def plan(self) -> dict[int, Misbehaviour]:
        """Request number -> misbehaviour (a later fault wins where two overlap)."""
        out = {}
        for first, kind, arg, span in self.faults:
            out |= {number: Misbehaviour(kind, arg) for number in range(first, first + span)}
        return out


ARGS: dict[str, st.SearchStrategy[int]] = {
    "status": st.sampled_from([429, 500, 404, 400, 401]),
    "echo_message": st.sampled_from([400, 401, 500]),
    "total": st.integers(-40, 40),
}


@st.composite
def cases(draw: st.DrawFn) -> Case:
    n = draw(st.integers(0, 150))
    index = st.integers(0, 10**6)
    faults = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(sorted(KINDS)))
        arg = draw(ARGS.get(kind, st.integers(0, 29)))
        span = draw(st.sampled_from([1, 1, 1, 2, 5, 200]))  # one answer, a few, from then on
        faults.append((draw(st.integers(1, 14)), kind, arg, span))
    return Case(
        n=n,
        seed=draw(st.integers(0, 2**16)),
        twins=tuple(draw(st.lists(st.tuples(index, st.booleans()), max_size=2))),
        odd=tuple(
            draw(
                st.lists(
                    st.tuples(index, st.sampled_from(sorted(ODD_VALUES)), st.integers(0, 9)),
                    max_size=3,
                )
            )
        ),
        faults=tuple(faults),
        churn=tuple(
            draw(
                st.lists(
                    st.tuples(
                        st.integers(1, 14), st.integers(0, 3), st.integers(0, 3), st.integers(0, 2)
                    ),
                    max_size=2,
                )
            )
        ),
        ignore_offset=draw(st.booleans()),
        unstable_ties=draw(st.booleans()),
        max_in_flight=draw(st.sampled_from([1, 1, 2, 4])),
        strict=draw(st.booleans()),
    )


# ------------------------------------------------------------------ the data
def served(record: dict[str, Any]) -> dict[str, Any]:
    """A record as the replica serves it (JSON, non-JSON values as text)."""
    loaded: dict[str, Any] = json.loads(json.dumps(record, default=str))
    return loaded


def build(case: Case) -> tuple[list[dict[str, Any]], list[tuple[int, list[Any], list[str]]]]:
    """Return the records served first, and the changes (after, inserted, removed codes)."""
    records = make_records(case.n, seed=case.seed)
    for at, name, value in case.odd:
        if records:
            values = ODD_VALUES[name]
            records[at % len(records)][name] = values[value % len(values)]
    for at, exact in case.twins:
        if records:
            twin = dict(records[at % len(records)])
            if not exact:
                twin[s.COMPANY_NAME] = f"PT Kembar {at}"
            records.append(twin)
    changes = []
    for number, (after, inserted, removed, updated) in enumerate(sorted(case.churn)):
        new = make_records(inserted, seed=case.seed + 1 + number)
        for j, record in enumerate(new):
            record[s.WIUP_CODE] = f"99{number:02d}{j:012d}"
        coded = [r for r in records if isinstance(r.get(s.WIUP_CODE), str)]  # removable ones
        picked = (
            [coded[(after * 37 + k * 11) % len(coded)] for k in range(removed + updated)]
            if coded
            else []
        )
        gone = [r[s.WIUP_CODE] for r in picked]
        # an update: the record's license removed and served again with another company name
        new += [r | {s.COMPANY_NAME: f"PT Baru {after}"} for r in picked[removed:]]
        changes.append((after, new, gone))
    return records, changes


def states(
    records: list[dict[str, Any]], changes: list[tuple[int, list[Any], list[str]]]
) -> list[collections.Counter[str]]:
    """Every state the server holds during the pull, as multisets of served records."""
    now = [served(r) for r in records]
    out = [collections.Counter(map(record_fingerprint, now))]
    for _, inserted, removed in changes:
        now = [r for r in now if r.get(s.WIUP_CODE) not in removed]
        now += [served(r) for r in inserted]
        out.append(collections.Counter(map(record_fingerprint, now)))
    return out


def pages_for(rows: int) -> int:
    return 1 if rows <= 30 else 1 + math.ceil((rows - 30) / 29)


# ------------------------------------------------------------- the harness
def key_forms(key: str) -> set[str]:
    return {key, repr(key)[1:-1], quote(key, safe=""), json.dumps(key)[1:-1], key[:16]}


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextlib.contextmanager
def debug_logs() -> Iterator[list[str]]:
    """Every log record of every logger at DEBUG, formatted (tracebacks too)."""
    root = logging.getLogger()
    handler, level = _Lines(), root.level
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot already in the store before each pull."""
    folder = tmp_path_factory.mktemp("previous")
    frame = normalize_records(make_records(40, seed=99))
    return write_snapshot(frame, store=folder, meta={"source": "api", "complete": True})


@dataclass
class Pulled:
    """One pull of an example: what it raised or returned, what it cost, what it left."""

    error: BaseException | None
    result: Any
    billed: int
    snapshots: list[str]
    first_request: int = 1


@dataclass
class Ran:
    """What one example did, for the invariants."""

    pulls: list[Pulled]
    states: list[collections.Counter[str]]
    applied: list[tuple[int, str]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)


def _pull(replica: Replica, store: Path, case: Case, *, strict: bool) -> Pulled:
    before, first = replica.billed, replica.requests_served + 1
    error, result = None, None
    try:
        result = pull(
            api_key=KEY, base_url=replica.url, store=store, progress=False,
            max_in_flight=case.max_in_flight, strict=strict, max_attempts=3,
            backoff=0.002, backoff_max=0.01, timeout=10,
        )  # fmt: skip
    except Exception as err:
        error = err
    snapshots = sorted(p.name for p in store.glob("licenses_*.parquet"))
    return Pulled(error, result, replica.billed - before, snapshots, first)


def run(case: Case, previous: Path) -> Ran:
    """Pull from the hostile replica; after a failure, pull again (it resumes from the journal)."""
    records, changes = build(case)
    plan = FaultPlan(case.plan(), secret=KEY)
    faults = Faults(ignore_offset=case.ignore_offset, unstable_ties=case.unstable_ties)
    with tempfile.TemporaryDirectory() as tmp, debug_logs() as lines, warnings.catch_warnings():
        warnings.simplefilter("ignore", MiningLicensesWarning)  # incomplete sweeps: expected
        store = Path(tmp) / "store"
        store.mkdir()
        shutil.copy2(previous, store / previous.name)
        with Replica(
            records, api_key=KEY, as_of=TODAY, hook=plan, faults=faults, seed=case.seed
        ) as replica:
            for after, inserted, removed in changes:
                replica.schedule_change(after, insert=inserted, remove=removed)
            pulls = [_pull(replica, store, case, strict=case.strict)]
            if pulls[0].error is not None:
                pulls.append(_pull(replica, store, case, strict=False))
        ran = Ran(pulls, states(records, changes), applied=list(plan.applied))
        for pulled in pulls:
            if pulled.error is not None:
                error = pulled.error
                ran.texts += [str(error), repr(error), repr(error.__cause__)]
                ran.texts += [repr(error.__context__)]
            if pulled.result is not None:
                sweep = pulled.result.sweep
                ran.texts += [repr(pulled.result), json.dumps(sweep.metadata(), default=str)]
                ran.texts += [str(pulled.result.meta()), repr(sweep)]
        ran.texts += lines
        ran.files = {
            str(p.relative_to(store)): p.read_bytes() for p in store.rglob("*") if p.is_file()
        }
        for name in [n for n in ran.files if n.startswith("licenses_")]:
            read_snapshot(store / name)  # a snapshot reads back whole (raises otherwise)
    return ran


def check(case: Case, ran: Ran, previous: Path) -> None:
    """Assert the six invariants of the module docstring on what ``case`` did."""
    rows = [sum(state.values()) for state in ran.states]
    totals = [arg for _, kind, arg, _ in case.faults if kind == "total"]
    ceiling = 3 * pages_for(max(rows) + max([*totals, 0])) + PROVINCE_PAGES
    quiet = case.page_faults() <= FREE_FAULTS and not case.churn
    published = [previous.name]
    for number, pulled in enumerate(ran.pulls):
        error, sweep = pulled.error, pulled.result.sweep if pulled.result else None
        # 1. only the package's own errors
        if error is not None and not isinstance(error, MiningLicensesError):
            raise AssertionError(f"an error outside the hierarchy: {error!r}") from error
        # 2. complete means exactly the rows of a state the server held; or, when the pull's
        # first answer was an empty page with total_count 0, the empty registry it claimed:
        # one self-consistent answer is all a sweep has to go by (the store's side of the
        # invariant compares it with the previous snapshot)
        if sweep is not None and sweep.complete:
            got = collections.Counter(map(record_fingerprint, sweep.records))
            empty = (pulled.first_request, "zero") in ran.applied
            states = ran.states + [collections.Counter()] * empty
            if not case.churn:
                assert got in states, (sweep, sweep.notes)
            else:  # the limit of offset paging under churn (see the module docstring)
                held = functools.reduce(operator.or_, ran.states)  # the most of each record
                assert got <= held, (sweep, sweep.notes)
                assert got.total() in {state.total() for state in states}, (sweep, sweep.notes)
            assert pulled.result.frame.height == len(sweep.records)
        # 3. credits: counted exactly, within the ceiling, near the minimum without page faults
        if sweep is not None:
            assert sweep.credits_spent <= pulled.billed <= sweep.credits_upper_bound
        assert pulled.billed <= ceiling, (pulled.billed, ceiling)
        if number == 0 and quiet and not case.unstable_ties and not case.ignore_offset:
            assert pulled.billed <= pages_for(rows[0]) + 2, (pulled.billed, rows[0])
        if number == 0 and quiet and case.ignore_offset:
            assert pulled.billed <= 3 + 2 * REPEATS + case.max_in_flight - 1, pulled.billed
        # 5. a pull that raised published nothing
        if error is not None:
            assert pulled.snapshots == published
        published = pulled.snapshots
    # 4. the key, in no form, anywhere
    for form in key_forms(KEY):
        for text in ran.texts:
            assert form not in text, (form, text[:300])
        for name, data in ran.files.items():
            assert form.encode() not in data, (form, name)
    # 5. whole files only (each snapshot read back in run), no temporary file left
    assert not [n for n in ran.files if Path(n).name.startswith(".")], sorted(ran.files)
    # 6. the previous snapshot is intact
    assert ran.files[previous.name] == previous.read_bytes()


# --------------------------------------------------------------- the test
_ran = collections.Counter[str]()


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    if CAMPAIGN:
        held = (
            "every invariant held"
            if not _ran["broke"]
            else f"{_ran['broke']} run(s) broke an invariant: see the failure"
        )
        print(
            f"\nfuzz: {_ran['examples']} examples ran ({_ran['complete']} complete, "
            f"{_ran['incomplete']} incomplete, {_ran['raised']} raised a package error twice, "
            f"{_ran['faulted']} with faults applied); {held}."
        )


@settings(
    max_examples=EXAMPLES,
    derandomize=not CAMPAIGN,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=cases())
@example(case=Case(n=0))
@example(case=Case(n=75, twins=((3, True), (40, False))))
@example(case=Case(n=120, ignore_offset=True, max_in_flight=4))
@example(case=Case(n=90, faults=((3, "zero", 0, 1), (5, "zero", 0, 1))))
@example(case=Case(n=140, faults=((4, "zero", 0, 200),), max_in_flight=2))
@example(case=Case(n=1, faults=((1, "zero", 0, 1),)))  # found: the first answer, empty
@example(case=Case(n=0, churn=((1, 0, 0, 1),)))  # found: churn over an empty registry
@example(case=Case(n=54, faults=((1, "truncate", 14, 1),)))  # found: one short first page
@example(case=Case(n=75, seed=1, churn=((1, 1, 0, 0), (5, 2, 2, 0))))  # found: churn cancelling
@example(case=Case(n=31, ignore_offset=True))  # found: one repeat a pass, pass after pass
@example(case=Case(n=45, seed=1, churn=((1, 1, 1, 1),)))  # found: the limit of offset paging
@example(  # found: a server ignoring offset that also orders ties anew repeats pages reordered
    case=Case(n=29, twins=((0, False), (45, False)), ignore_offset=True, unstable_ties=True)
)
@example(case=Case(n=30, odd=((0, s.WIUP_CODE, 4),), churn=((2, 1, 1, 0),)))  # found: replica
@example(case=Case(n=60, faults=((2, "echo_body", 3, 1), (3, "echo_total", 0, 1))))
@example(case=Case(n=60, faults=((1, "echo_header", 0, 2), (4, "echo_message", 500, 3))))
@example(case=Case(n=100, faults=((2, "drop_record", 7, 1), (3, "repeat_page", 0, 1))))
@example(case=Case(n=100, churn=((3, 2, 1, 1),), max_in_flight=2))
def test_a_hostile_upstream_never_breaks_the_invariants(case: Case, previous: Path) -> None:
    ran = run(case, previous)
    try:
        check(case, ran, previous)
    except BaseException:
        _ran["broke"] += 1
        raise
    _ran["examples"] += 1
    _ran["faulted"] += bool(ran.applied or case.churn or case.ignore_offset)
    last = ran.pulls[-1]
    if last.error is not None:
        _ran["raised"] += 1
    elif last.result.sweep.complete:
        _ran["complete"] += 1
    else:
        _ran["incomplete"] += 1
