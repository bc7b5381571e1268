"""History at scale: the footer cache, history's filters, changes() against pairwise diffs."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from benchmarks._history_store import build_store, day_time
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SnapshotError
from mining_licenses.store import (
    _catalog,
    _diff,
    _footer,
    bundled_sample_path,
    changes,
    diff_snapshots,
    history,
    list_snapshots,
    read_snapshot,
    read_snapshot_meta,
    write_snapshot,
)

DAYS = 30


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("history"), DAYS)


def every_snapshot(folder: Path) -> pl.DataFrame:
    """History the slow, obvious way: every file read whole, stacked, named."""
    return pl.concat(
        read_snapshot(path).with_columns(pl.lit(Path(path).name).alias("snapshot"))
        for path in list_snapshots(folder)["path"]
    )


# ----------------------------------------------------------------- listing
def test_listing_reads_each_footer_once(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "copy"
    folder.mkdir()
    for path in sorted(store.glob("*.parquet"))[:5]:
        (folder / path.name).write_bytes(path.read_bytes())
    reads: list[str] = []
    real = _catalog._snapshot_meta

    def counting(path: Path) -> object:
        reads.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(_catalog, "_snapshot_meta", counting)
    first = list_snapshots(folder)
    assert len(reads) == 5
    assert list_snapshots(folder).equals(first)
    assert len(reads) == 5  # all from memory
    touched = Path(first["path"][2])
    stat = touched.stat()
    os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    (folder / Path(first["path"][4]).name).unlink()
    again = list_snapshots(folder)
    assert reads[5:] == [touched.name]
    assert again["path"].to_list() == first["path"].to_list()[:4]


def test_footer_entries_read_from_bytes_equal_pyarrow(store: Path, tmp_path: Path) -> None:
    for path in [bundled_sample_path(), *sorted(store.glob("*.parquet"))[:3]]:
        entries = _footer.footer_entries(path)
        assert entries is not None
        metadata = pq.read_metadata(path).metadata
        assert entries == {key: metadata[key] for key in entries}
        assert _catalog._snapshot_meta(path) == (read_snapshot_meta(path), True)
    plain = tmp_path / "plain.parquet"
    pl.DataFrame({"a": [1]}).write_parquet(plain)
    assert _footer.footer_entries(plain) is None
    short = tmp_path / "short.parquet"
    short.write_bytes(b"PAR1")
    assert _footer.footer_entries(short) is None


def test_listing_is_oldest_first_with_provenance(store: Path) -> None:
    listing = list_snapshots(store)
    assert listing.height == DAYS
    assert listing[s.FETCHED_AT].to_list() == [day_time(d) for d in range(DAYS)]
    assert listing["complete"].all()
    assert listing["synthetic"].all()


# ----------------------------------------------------------------- history
def test_history_equals_every_snapshot_stacked(store: Path) -> None:
    assert_frame_equal(history(store).collect(), every_snapshot(store))


def test_history_of_one_license(store: Path) -> None:
    everything = every_snapshot(store)
    code = everything[s.WIUP_CODE][-1]  # added on some later day
    trajectory = history(store, wiup_code=code).collect()
    assert_frame_equal(trajectory, everything.filter(pl.col(s.WIUP_CODE) == code))
    assert trajectory["snapshot"].is_unique().all()
    two = history(store, wiup_code=[code, everything[s.WIUP_CODE][0]]).collect()
    assert two.height > trajectory.height
    assert history(store, wiup_code="no such code").collect().height == 0


def test_history_since_opens_only_newer_snapshots(store: Path) -> None:
    since = day_time(DAYS - 7)
    recent = history(store, since=since).collect()
    expected = every_snapshot(store).filter(pl.col(s.FETCHED_AT) >= since)
    assert_frame_equal(recent, expected)
    assert recent["snapshot"].n_unique() == 7
    # a date is its first instant in UTC; a naive time is UTC
    on_day = history(store, since=since.date()).collect()
    assert on_day.equals(recent)
    naive = history(store, since=since.replace(tzinfo=None)).collect()
    assert naive.equals(recent)
    assert history(store, since=day_time(DAYS)).collect().height == 0


def test_history_columns_and_streaming(store: Path) -> None:
    lazy = history(store, columns=[s.CNC, s.WIUP_CODE], since=day_time(DAYS - 3))
    assert isinstance(lazy, pl.LazyFrame)
    frame = lazy.collect()
    assert frame.columns == [s.CNC, s.WIUP_CODE, "snapshot"]
    assert frame.equals(lazy.collect(engine="streaming"))
    with pytest.raises(ConfigurationError, match="colour"):
        history(store, columns=["colour"])
    empty = history(store.parent / "nowhere", columns=[s.WIUP_CODE]).collect()
    assert empty.columns == [s.WIUP_CODE, "snapshot"]
    assert empty.height == 0


def test_history_names_a_damaged_snapshot(store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "damaged"
    folder.mkdir()
    files = sorted(store.glob("*.parquet"))[:3]
    for path in files:
        (folder / path.name).write_bytes(path.read_bytes())
    broken = folder / files[1].name
    broken.write_bytes(broken.read_bytes()[:-100])  # a truncated copy: no footer
    with pytest.raises(SnapshotError, match=broken.name):
        history(folder)
    assert list_snapshots(folder).height == 2  # listing skips it, with a warning


# ----------------------------------------------------------------- changes
def pairwise(folder: Path, since: dt.datetime) -> pl.DataFrame:
    """changes() the slow way: diff_snapshots over each consecutive pair."""
    listing = list_snapshots(folder)
    paths, times = listing["path"].to_list(), listing[s.FETCHED_AT].to_list()
    parts = [
        _diff._events(diff_snapshots(paths[i - 1], paths[i]), times[i], Path(paths[i]).name)
        for i in range(1, len(paths))
        if times[i] >= since
    ]
    return pl.concat(parts) if parts else pl.DataFrame(schema=_diff.CHANGES_SCHEMA)


@pytest.mark.parametrize("batch", [64, 4])
def test_changes_equal_pairwise_diffs(
    store: Path, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_diff, "_BATCH", batch)
    since = day_time(DAYS - 10)
    events = changes(store, since=since)
    assert_frame_equal(events, pairwise(store, since))
    assert set(events["change"]) == {"added", "removed", "changed"}
    assert events[s.FETCHED_AT].min() == since
    assert events["snapshot"].n_unique() == 10
    # from the start: the first snapshot has nothing before it
    assert_frame_equal(changes(store, since=day_time(0)), pairwise(store, day_time(0)))


def test_changes_with_nothing_to_report(store: Path) -> None:
    none = changes(store, since=day_time(DAYS))
    assert none.height == 0
    assert none.schema == pl.Schema(_diff.CHANGES_SCHEMA)
    with pytest.raises(ConfigurationError, match="fields"):
        changes(store, since=day_time(0), fields=["colour"])


def test_changes_with_repeated_codes_compare_pair_by_pair(store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "repeats"
    first = read_snapshot(sorted(store.glob("*.parquet"))[0]).head(50)
    repeated = pl.concat([first, first.head(2)])  # two licenses listed twice
    for day, frame in enumerate([first, repeated, repeated.slice(1), first.tail(40)]):
        when = day_time(day)
        write_snapshot(
            frame.with_columns(pl.lit(when).cast(s.COLUMNS[s.FETCHED_AT]).alias(s.FETCHED_AT)),
            store=folder,
            meta={"fetched_at": when},
        )
    events = changes(folder, since=day_time(1))
    assert_frame_equal(events, pairwise(folder, day_time(1)))
    assert events.filter(pl.col("key").str.contains("#")).height > 0
