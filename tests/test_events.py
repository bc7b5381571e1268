"""Typed events on scripted upstream changes: every type, and the noise that must raise none."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import polars as pl
import pytest

from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError
from mining_licenses.changes import EVENT_COLUMNS, EVENT_TYPES, events, events_between
from mining_licenses.normalize import normalize_records
from mining_licenses.store import list_snapshots, read_snapshot, write_snapshot
from tests import _scripted as sc

NEXT_DAY = sc.DAYS[0] + dt.timedelta(days=1)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sc.write_store(tmp_path_factory.mktemp("scripted"))


@pytest.fixture(scope="module")
def found(store: Path) -> pl.DataFrame:
    return events(store)


def test_every_event_type_is_raised_by_its_scripted_change_and_nothing_else(
    store: Path, found: pl.DataFrame
) -> None:
    names = list_snapshots(store)["path"].map_elements(lambda p: Path(p).name, pl.String)
    got: dict[tuple[int, str], list[str]] = {}
    for after, kind, key in found.select("snapshot_after", "event", "key").iter_rows():
        got.setdefault((names.to_list().index(after), kind), []).append(key)
    expected = {k: sorted(sc.code(i) for i in v) for k, v in sc.EXPECTED.items()}
    assert {k: sorted(v) for k, v in got.items()} == expected
    assert {kind for _, kind in expected} == set(EVENT_TYPES)  # the script covers every type


def test_one_row_per_event_with_exactly_the_columns(found: pl.DataFrame) -> None:
    assert found.schema == pl.Schema(dict(EVENT_COLUMNS))
    assert found.columns == [
        "event",
        "key",
        "wiup_code",
        "license_number",
        "company_name",
        "company_key",
        "province",
        "commodity_type",
        "old",
        "new",
        "detail",
        "snapshot_before",
        "snapshot_after",
        "observed_at",
    ]
    assert found["observed_at"].is_sorted()
    assert found.filter(pl.col("snapshot_after").is_null()).height == 0


def _one(found: pl.DataFrame, kind: str) -> dict[str, object]:
    rows = found.filter(pl.col("event") == kind).sort("key")
    return rows.row(0, named=True)


def test_details_say_what_a_watcher_needs(found: pl.DataFrame) -> None:
    early = found.filter((pl.col("event") == "vanished_early") & (pl.col("key") == sc.code(0)))
    detail = early["detail"].item()
    assert "revoked" in detail
    assert "blank" in detail
    assert "2090-06-30" in detail
    assert _one(found, "vanished_expired")["detail"] == "no longer listed; expired on 2001-01-31"
    assert _one(found, "expired")["detail"] == "expired on 2026-11-15; still listed"
    assert _one(found, "extended")["detail"] == "+365 days"
    assert _one(found, "shortened")["detail"] == "-365 days"
    assert _one(found, "stage_changed")["detail"] == "exploration -> production"
    assert _one(found, "cnc_changed")["detail"] == "lost Clear & Clean (CNC -> non-CNC)"
    holder = _one(found, "holder_changed")
    assert (holder["old"], holder["new"]) == ("PT Tambang Nomor 7", "PT Pendatang Baru")
    assert _one(found, "area_changed")["detail"] == "+90.0 ha (+8.9%)"
    moved = _one(found, "moved")
    assert moved["new"] == "Papua Barat Daya / Kabupaten Raja Ampat"
    assert "province:" in str(moved["detail"])
    assert (_one(found, "type_changed")["old"], _one(found, "type_changed")["new"]) == (
        "IUP",
        "IUPK",
    )
    assert _one(found, "commodity_changed")["new"] == "Nickel"
    back = _one(found, "reappeared")
    assert back["detail"] == "listed again; last seen in the snapshot of 2026-11-01"
    others = found.filter(pl.col("event") == "other")["detail"].to_list()
    assert any(d.startswith("company_slug: (none) -> sinarjaya-cv-2") for d in others)
    assert any(d.startswith("license_number: ") for d in others)


def test_respellings_duplicates_and_spelling_noise_raise_nothing(found: pl.DataFrame) -> None:
    quiet = [sc.code(i) for i in (8, 15, 16, 20)]
    assert found.filter(pl.col("key").is_in(quiet)).height == 0
    # the slug learnt for record 9 is an `other`, never a holder change
    assert found.filter((pl.col("key") == sc.code(9)) & (pl.col("event") != "other")).height == 0


def test_first_snapshot_and_identical_snapshots_have_no_events(tmp_path: Path) -> None:
    frame = normalize_records(sc.days()[0], fetched_at=sc.DAYS[0])
    write_snapshot(frame, store=tmp_path, meta=sc.META)
    assert events(tmp_path).height == 0
    next_day = sc.DAYS[0] + dt.timedelta(days=1)
    again = frame.with_columns(pl.lit(next_day).cast(s.COLUMNS[s.FETCHED_AT]).alias(s.FETCHED_AT))
    write_snapshot(again.reverse(), store=tmp_path, meta=sc.META)  # another file order too
    assert events(tmp_path).height == 0
    assert events_between(frame, again).height == 0
    # the same content a month later: only the license whose date fell in between
    later = frame.with_columns(pl.lit(sc.DAYS[1]).cast(s.COLUMNS[s.FETCHED_AT]).alias(s.FETCHED_AT))
    assert events_between(frame, later).select("event", "key").rows() == [("expired", sc.code(2))]


def test_a_license_duplicated_upstream_with_different_copies_stays_quiet(tmp_path: Path) -> None:
    records = sc.days()[0]
    twin = {**records[3], s.LICENSE_NUMBER: "OTHER/NUMBER", s.AREA_HA: 1}
    first = normalize_records([*records, twin], fetched_at=sc.DAYS[0])
    second = normalize_records([twin, *records[::-1]], fetched_at=NEXT_DAY)
    assert "duplicate_wiup_code" in first["issues"].explode().to_list()
    assert events_between(first, second).height == 0


def test_a_license_without_a_code_is_followed_by_its_number(tmp_path: Path) -> None:
    records = sc.days()[0]
    records[4][s.WIUP_CODE] = None
    later = [dict(r) for r in records]
    later[4] = {**later[4], s.CNC: "non-CNC"}
    found = events_between(
        normalize_records(records, fetched_at=sc.DAYS[0]),
        normalize_records(later, fetched_at=NEXT_DAY),
    )
    assert found.select("event", "key").rows() == [
        ("cnc_changed", f"license_number:{records[4][s.LICENSE_NUMBER]}")
    ]


def test_events_since_and_until_pick_pairs_and_still_know_older_keys(store: Path) -> None:
    last = events(store, since=dt.date(2026, 12, 15))
    assert last["event"].to_list() == ["reappeared"]  # not "new": the older snapshot was read
    assert events(store, until=dt.date(2026, 12, 1))["snapshot_after"].n_unique() == 1
    assert events(store, until=dt.date(2026, 11, 30)).height == 0
    with pytest.raises(ConfigurationError, match="since"):
        events(store, since="2026-12-01")  # type: ignore[arg-type]


def test_incomplete_and_filtered_snapshots_are_other_chains(tmp_path: Path) -> None:
    records = sc.days()[0]
    full = normalize_records(records, fetched_at=sc.DAYS[0])
    write_snapshot(full, store=tmp_path, meta=sc.META)
    short = normalize_records(records[:5], fetched_at=sc.DAYS[1])
    write_snapshot(short, store=tmp_path, meta={**sc.META, "complete": False})
    coal = normalize_records(records[:10], fetched_at=sc.DAYS[1])
    write_snapshot(coal, store=tmp_path, meta={**sc.META, "filters": {"commodity_type": "Coal"}})
    assert events(tmp_path).height == 0  # never 25 licenses "vanished"


def test_events_between_snapshot_files_names_them(store: Path) -> None:
    paths = list_snapshots(store)["path"].to_list()
    found = events_between(paths[1], paths[2])
    assert found["snapshot_before"].unique().to_list() == [Path(paths[1]).name]
    assert found["event"].to_list() == ["new"]  # two snapshots alone: no history to reappear from
    assert read_snapshot(paths[2]).height == read_snapshot(paths[1]).height + 1


def test_events_agree_with_diff_snapshots_pair_by_pair(tmp_path: Path) -> None:
    """An independent check: every license diff_snapshots finds added, removed or changed has
    an event of that pair, and every event but ``expired`` is about such a license."""
    from benchmarks._history_store import build_store
    from mining_licenses.store import diff_snapshots

    store = build_store(tmp_path, 5)
    found = events(store)
    paths = list_snapshots(store)["path"].to_list()
    for before, after in itertools.pairwise(paths):
        diff = diff_snapshots(before, after)
        touched = set(diff.added["key"]) | set(diff.removed["key"]) | set(diff.changed["key"])
        pair = found.filter(pl.col("snapshot_after") == Path(after).name)
        raised = set(pair.filter(pl.col("event") != "expired")["key"])
        assert raised == touched
        assert pair.height >= len(touched)
