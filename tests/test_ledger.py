"""The ledger: appended as snapshots arrive, the same as rebuilt, never rewritten by prune."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import feedparser
import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mining_licenses import _atomic
from mining_licenses._errors import ConfigurationError
from mining_licenses.changes import (
    events,
    ledger_path,
    read_ledger,
    rebuild_ledger,
    update_ledger,
)
from mining_licenses.feeds import write_feeds
from mining_licenses.normalize import normalize_records
from mining_licenses.store import prune, write_snapshot
from tests import _scripted as sc


def _write(store: Path, day: int) -> None:
    when = sc.DAYS[day]
    frame = normalize_records(sc.days()[day], fetched_at=when)
    write_snapshot(frame, store=store, meta={**sc.META, "fetched_at": when})


@pytest.fixture
def ledgered(tmp_path: Path) -> Path:
    for day in range(3):
        _write(tmp_path, day)
        update_ledger(tmp_path)  # as pull does after each snapshot
    return tmp_path


def test_appending_snapshot_by_snapshot_gives_what_a_rebuild_gives(ledgered: Path) -> None:
    appended = read_ledger(ledgered)
    assert appended.equals(events(ledgered))
    assert update_ledger(ledgered).events.height == 0  # idempotent: nothing new, nothing added
    assert read_ledger(ledgered).equals(appended)
    rebuild_ledger(ledgered)
    assert read_ledger(ledgered).equals(appended)
    assert appended.height == sum(len(keys) for keys in sc.EXPECTED.values())


def test_the_ledger_catches_up_on_snapshots_written_behind_its_back(tmp_path: Path) -> None:
    for day in range(3):
        _write(tmp_path, day)
    update = update_ledger(tmp_path)
    assert len(update.compared) == 2
    assert read_ledger(tmp_path).equals(events(tmp_path))


def test_prune_does_not_rewrite_history(ledgered: Path) -> None:
    before = read_ledger(ledgered)
    prune(keep=1, store=ledgered)
    assert read_ledger(ledgered).equals(before)
    rebuild_ledger(ledgered)  # pairs that can no longer be compared are kept
    assert read_ledger(ledgered).equals(before)
    later = sc.DAYS[2] + dt.timedelta(days=31)
    records = [r for r in sc.days()[2] if r["wiup_code"] != sc.code(5)]
    write_snapshot(
        normalize_records(records, fetched_at=later),
        store=ledgered,
        meta={**sc.META, "fetched_at": later},
    )
    added = update_ledger(ledgered).events
    assert added.select("event", "key").rows() == [("vanished_early", sc.code(5))]
    assert read_ledger(ledgered).height == before.height + 1


def test_duckdb_reads_the_ledger_as_it_is(ledgered: Path) -> None:
    path = ledger_path(ledgered)
    rows = duckdb.sql(
        f"SELECT event, count(*) FROM read_parquet('{path}') GROUP BY event ORDER BY event"
    ).fetchall()
    counted = read_ledger(ledgered).group_by("event").len().sort("event").rows()
    assert rows == counted
    kind = duckdb.sql(f"SELECT typeof(observed_at) FROM read_parquet('{path}') LIMIT 1").fetchall()[
        0
    ]
    assert kind == ("TIMESTAMP WITH TIME ZONE",)


def test_queries_filter_by_type_company_spelling_province_alias_and_time(ledgered: Path) -> None:
    assert read_ledger(ledgered, event="holder_changed")["key"].to_list() == [sc.code(7)]
    assert read_ledger(ledgered, company="p.t. pendatang baru TBK")["key"].to_list() == [sc.code(7)]
    moved = read_ledger(ledgered, province="Southwest Papua", event="moved")
    assert moved["key"].to_list() == [sc.code(11)]
    assert read_ledger(ledgered, commodity_type="nikel")["event"].to_list() == ["commodity_changed"]
    assert read_ledger(ledgered, since=dt.date(2026, 12, 2))["event"].to_list() == ["reappeared"]
    assert read_ledger(ledgered, event=["new", "reappeared"]).height == 2
    with pytest.raises(ConfigurationError, match="did you mean 'holder_changed'"):
        read_ledger(ledgered, event="holder_change")


def test_a_failed_write_leaves_the_ledger_as_it_was(
    ledgered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ledger_path(ledgered)
    before = path.read_bytes()
    _write_day = sc.DAYS[2] + dt.timedelta(days=31)
    write_snapshot(
        normalize_records(sc.days()[0], fetched_at=_write_day),
        store=ledgered,
        meta={**sc.META, "fetched_at": _write_day},
    )

    def broken(frame: pl.DataFrame, *args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", broken)
    with pytest.raises(OSError, match="No space"):
        update_ledger(ledgered)
    assert path.read_bytes() == before
    assert not [p for p in ledgered.iterdir() if _atomic.TEMP_SUFFIX in p.name]


def _shrunken(store: Path, day: int, keep: int) -> Path:
    """Write day ``day`` with only its first ``keep`` records: held back (issue 16)."""
    import warnings

    when = sc.DAYS[day]
    frame = normalize_records(sc.days()[day][:keep], fetched_at=when)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ShrunkSnapshotWarning: what is tested is the ledger
        return write_snapshot(frame, store=store, meta={**sc.META, "fetched_at": when})


@pytest.mark.parametrize("later", [False, True], ids=["accepted newest", "accepted before another"])
def test_accepting_a_held_back_snapshot_appends_what_a_rebuild_gives(
    tmp_path: Path, later: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mining_licenses.changes import _ledger
    from mining_licenses.store import accept_snapshot, list_snapshots

    revision = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)  # after every scripted day
    monkeypatch.setattr(_ledger, "_now", lambda: revision)

    _write(tmp_path, 0)
    update_ledger(tmp_path)
    held = _shrunken(tmp_path, 1, keep=12)
    assert list_snapshots(tmp_path)["held_back"].to_list() == [False, True]
    assert update_ledger(tmp_path).events.height == 0  # held back: not compared
    feeds = tmp_path / "feeds"
    if later:  # a full snapshot arrives while it waits: compared with day 0, and published
        _write(tmp_path, 2)
        assert update_ledger(tmp_path).events.height > 0
        (page,) = write_feeds(tmp_path, feeds).digests
    accept_snapshot(held)
    if later:  # the feeds catch up at once; the later update's digest compares it with the held
        redrawn = write_feeds(tmp_path, feeds)
        assert page in redrawn.digests
        assert len(redrawn.digests) == len(redrawn.entries) == 2
        # both entries changed: a reader sees them revised (updated), first seen when observed
        assert {entry.updated for entry in redrawn.entries} == {revision}
        assert sorted(entry.published for entry in redrawn.entries) == [sc.DAYS[1], sc.DAYS[2]]
        atom = feedparser.parse(redrawn.atom.read_bytes())
        assert atom.bozo == 0
        assert {e.updated for e in atom.entries} == {"2030-01-02T03:04:05Z"}
        assert all(e.published != e.updated for e in atom.entries)
        assert f"{held.name} -&gt; {sc.DAYS[2]:licenses_%Y%m%dT%H%M%SZ}" in page.read_text()
        assert write_feeds(tmp_path, feeds).digests == ()  # nothing changed: nothing drawn
    update_ledger(tmp_path)
    appended = read_ledger(tmp_path)
    assert held.name in appended["snapshot_after"].to_list()
    assert appended.equals(events(tmp_path))  # what the snapshots say, computed afresh
    rebuild_ledger(tmp_path)
    assert read_ledger(tmp_path).equals(appended)
    assert update_ledger(tmp_path).events.height == 0
    pairs = appended.select("snapshot_before", "snapshot_after").unique().sort("snapshot_after")
    assert pairs.height == (2 if later else 1)  # day 0 -> held (-> day 2): no bridge over it


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["pull", "shrunk", "accept", "by hand", "delete"]), st.integers(0, 2)
        ),
        min_size=3,
        max_size=7,
    )
)
@example(steps=[("pull", 0), ("shrunk", 1), ("pull", 2), ("by hand", 0), ("accept", 0)])
@example(steps=[("pull", 0), ("pull", 1), ("pull", 2), ("delete", 1)])  # from the middle
@example(steps=[("pull", 0), ("pull", 1), ("delete", 1), ("pull", 2)])  # the newest, then a pull
@example(steps=[("pull", 0), ("pull", 1), ("pull", 0), ("delete", 0)])  # the oldest, as prune does
@example(  # found by make fuzz: a reappearance after a deleted snapshot keeps its last holder
    steps=[("pull", 0), ("pull", 0), ("pull", 0), ("pull", 1), ("pull", 0), ("delete", 2)]
)
def test_whatever_the_order_of_pulls_holds_accepts_and_deletions_append_equals_rebuild(
    tmp_path: Path, steps: list[tuple[str, int]]
) -> None:
    """Pulls append after each snapshot (held back or not); snapshots written by hand do not.

    A snapshot deleted by hand (a folder tidied) leaves the ledger as it was:
    what was observed through it stays, and a rebuild neither forgets it nor
    compares its neighbours again (which would count its changes twice).
    """
    import itertools
    import tempfile
    import warnings

    from mining_licenses.store import accept_snapshot, list_snapshots

    store = Path(tempfile.mkdtemp(dir=tmp_path))
    clock = itertools.count()
    deleted = False
    for what, day in steps:
        if what == "delete":
            files = list_snapshots(store)["path"].to_list()
            if files:
                Path(files[day % len(files)]).unlink()
                deleted = True
            continue
        if what == "accept":
            held = list_snapshots(store).filter(pl.col("held_back"))["path"].to_list()
            if held:
                accept_snapshot(held[day % len(held)])
            continue
        when = sc.DAYS[0] + dt.timedelta(days=7 * next(clock))
        records = sc.days()[day][: 12 if what == "shrunk" else None]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # shrunk ones are held back, with a warning
            write_snapshot(
                normalize_records(records, fetched_at=when),
                store=store,
                meta={**sc.META, "fetched_at": when},
            )
        if what != "by hand":
            update_ledger(store)
            appended = read_ledger(store)
            assert appended.height == appended.unique().height
    update_ledger(store)
    appended = read_ledger(store)
    assert appended.height == appended.unique().height  # no event twice
    if not deleted:  # else the snapshots alone no longer say all that was observed
        assert appended.equals(events(store))
    rebuild_ledger(store)
    assert read_ledger(store).equals(appended)
    rebuild_ledger(store)
    assert read_ledger(store).equals(appended)  # a rebuild of a rebuild


@pytest.mark.parametrize(
    "junk",
    [
        {"pairs": "not a list", "revised": ["not", "a", "dict"]},
        {"pairs": [[1, 2], ["only one"], "ab", None], "revised": {"x": 3, "y": "not a time"}},
    ],
)
def test_a_ledger_whose_state_was_tampered_with_still_updates_rebuilds_and_publishes(
    tmp_path: Path, junk: dict[str, object]
) -> None:
    import json

    import pyarrow.parquet as pq

    from mining_licenses.changes import revised_at
    from mining_licenses.changes._ledger import STATE_KEY

    for day in range(3):
        _write(tmp_path, day)
    update_ledger(tmp_path)
    before = read_ledger(tmp_path)
    path = tmp_path / "events.parquet"
    table = pq.read_table(path)
    state = json.loads(pq.read_metadata(path).metadata[STATE_KEY.encode()])
    for entry in state["chains"].values():
        entry["pairs"] = junk["pairs"]
    state["revised"] = junk["revised"]
    meta = {**(table.schema.metadata or {}), STATE_KEY.encode(): json.dumps(state).encode()}
    pq.write_table(table.replace_schema_metadata(meta), path)
    assert revised_at(tmp_path) == {}  # what is not ours is ignored, not a crash
    assert update_ledger(tmp_path).events.height == 0
    rebuild_ledger(tmp_path)
    assert read_ledger(tmp_path).equals(before)
    assert len(write_feeds(tmp_path, tmp_path / "feeds").entries) == 2


def test_a_damaged_ledger_is_set_aside_by_a_rebuild_never_lost(tmp_path: Path) -> None:
    """Reading it says to rebuild; a rebuild keeps its bytes beside the new ledger, and says so."""
    from tests._entry import run

    for day in range(3):
        _write(tmp_path, day)
    path = tmp_path / "events.parquet"
    damaged = b"PAR1 not a ledger"
    path.write_bytes(damaged)

    listed = run("events", store=tmp_path)
    assert listed.returncode == 2
    assert "could not be read" in listed.stderr
    assert "`mining-licenses events --rebuild`" in listed.stderr
    assert "Move it aside" not in listed.stderr  # the rebuild does that itself now
    rebuilt = run("events", "--rebuild", store=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    (aside,) = tmp_path.glob("events.parquet.damaged-*")
    assert aside.read_bytes() == damaged  # kept, byte for byte
    assert "note: the ledger could not be read" in rebuilt.stdout
    assert aside.name in rebuilt.stdout
    assert read_ledger(tmp_path).equals(events(tmp_path))
    assert update_ledger(tmp_path).events.height == 0  # a ledger again
