"""Never replace good data with less silently: a snapshot that drops too much is held back.

Why (issue 16, "Silent data loss", the snapshot side): a server whose
``total_count`` fell to 0 made a complete snapshot of 0 rows, and from then on
``load_licenses()`` returned 0 rows, without a word. A new complete snapshot
that lacks more than a fifth of the previous one's licenses is written, but
held back until accepted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from mining_licenses import schema as s
from mining_licenses._errors import ShrunkSnapshotWarning, StaleSnapshotWarning, forget_warnings
from mining_licenses.loader import load_licenses, pull
from mining_licenses.replica import Exchange, Raw, Replica
from mining_licenses.replica._http import page_body
from mining_licenses.store import (
    MAX_DROPPED_SHARE,
    accept_snapshot,
    find_snapshot,
    list_snapshots,
    prune,
    read_snapshot,
    read_snapshot_meta,
    write_snapshot,
)
from tests._replica_fixtures import make_records

ENTRY_POINT = Path(sys.executable).with_name("mining-licenses")
KEY = "sk-test-0123456789abcdef"


def licenses(n: int, *, day: int = 1, start: int = 0) -> pl.DataFrame:
    """``n`` canonical licenses fetched on November ``day``, 2026."""
    from mining_licenses.normalize import normalize_records

    records = make_records(start + n, seed=3)[start:]
    import datetime as dt

    return normalize_records(records, fetched_at=dt.datetime(2026, 11, day, 6, tzinfo=dt.UTC))


def complete(frame: pl.DataFrame, store: Path, **meta: object) -> Path:
    info = {"source": "api", "complete": True, "total_count": frame.height, **meta}
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        return write_snapshot(frame, store=store, meta=info)


def test_a_snapshot_that_drops_every_license_is_held_back(tmp_path: Path) -> None:
    good = complete(licenses(50), tmp_path)
    with pytest.warns(ShrunkSnapshotWarning, match=r"holds 0 licenses and lacks 50 of the 50"):
        empty = write_snapshot(
            licenses(0),
            store=tmp_path,
            meta={"source": "api", "complete": True, "fetched_at": "2026-11-02T06:00:00+00:00"},
        )
    shrink = read_snapshot_meta(empty).shrink
    assert shrink is not None
    assert shrink["held_back"]
    assert shrink["previous"] == good.name
    assert shrink["share"] == 1.0
    listing = list_snapshots(tmp_path)
    assert listing["held_back"].to_list() == [False, True]
    assert find_snapshot(store=tmp_path) == good
    assert find_snapshot(store=tmp_path, accept_shrink=True) == empty
    with pytest.warns(ShrunkSnapshotWarning, match=empty.name):
        frame = load_licenses(source="snapshot", store=tmp_path, as_="polars")
    assert frame.height == 50
    forget_warnings()  # said once a process; again for "latest"
    with pytest.warns(ShrunkSnapshotWarning):
        assert read_snapshot("latest", store=tmp_path).height == 50


def test_accepting_later_needs_no_new_pull(tmp_path: Path) -> None:
    complete(licenses(50), tmp_path)
    smaller = complete(licenses(10, day=2), tmp_path)
    assert find_snapshot(store=tmp_path) != smaller
    assert accept_snapshot(smaller.name, store=tmp_path) == smaller
    record = json.loads(smaller.with_name(smaller.name + ".accepted").read_text())
    assert record["shrink"]["dropped"] == 40
    assert find_snapshot(store=tmp_path) == smaller
    assert list_snapshots(tmp_path)["held_back"].to_list() == [False, False]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_licenses(source="snapshot", store=tmp_path, as_="polars").height == 10
    prune(keep=1, store=tmp_path)
    prune(keep=1, store=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([smaller.name, record["snapshot"]
                                                                 + ".accepted"])  # fmt: skip


def test_the_rule_is_a_fifth_of_the_licenses_of_the_same_filters(tmp_path: Path) -> None:
    assert MAX_DROPPED_SHARE == 0.2
    complete(licenses(50), tmp_path)
    fifth = complete(licenses(50, day=2, start=10), tmp_path)  # 10 of 50 gone, 10 new: kept
    assert read_snapshot_meta(fifth).shrink is None
    more = complete(licenses(39, day=3, start=10), tmp_path)  # 11 of the 50 before it gone
    assert read_snapshot_meta(more).shrink["dropped"] == 11  # type: ignore[index]
    assert find_snapshot(store=tmp_path) == fifth
    coal = complete(licenses(3, day=4), tmp_path, filters={"commodity_type": "Coal"})
    assert read_snapshot_meta(coal).shrink is None  # other filters: another series
    partial = write_snapshot(licenses(1, day=5), store=tmp_path, meta={"source": "api"})
    assert read_snapshot_meta(partial).shrink is None  # incomplete: never the truth anyway
    fake = complete(licenses(1, day=6), tmp_path, synthetic=True)
    assert read_snapshot_meta(fake).shrink is None  # synthetic data is its own series
    with pytest.warns(ShrunkSnapshotWarning, match="it was accepted"):
        accepted = write_snapshot(
            licenses(1, day=7),
            store=tmp_path,
            meta={"source": "api", "complete": True},
            accept_shrink=True,
        )
    assert read_snapshot_meta(accepted).shrink["held_back"] is False  # type: ignore[index]
    assert find_snapshot(store=tmp_path) == accepted


@pytest.fixture
def registry() -> Iterator[Replica]:
    with Replica(make_records(90, seed=5), api_key=KEY, synthetic=False) as server:
        yield server


def test_a_registry_that_falls_to_zero_never_becomes_the_truth(
    registry: Replica, tmp_path: Path
) -> None:
    first = pull(api_key=KEY, base_url=registry.url, store=tmp_path, progress=False)
    assert first.sweep.complete
    assert first.frame.height == 90

    def gone(exchange: Exchange) -> Raw:  # the whole registry answers "0 licenses"
        limit, offset = int(exchange.params["limit"]), int(exchange.params.get("offset", 0))
        return Raw(200, page_body([], 0, limit, offset))

    registry.hook = gone
    with pytest.warns(ShrunkSnapshotWarning), pytest.warns(StaleSnapshotWarning, match="held"):
        frame = load_licenses(
            api_key=KEY, base_url=registry.url, store=tmp_path, max_age=0, as_="polars",
            progress=False,
        )  # fmt: skip
    assert frame.height == 90  # the pull of 0 rows was kept, held back, and not used
    from mining_licenses.changes import read_ledger

    assert read_ledger(tmp_path).height == 0  # nor did 90 licenses "vanish" from the ledger
    forget_warnings()
    with pytest.warns(ShrunkSnapshotWarning):
        assert load_licenses(source="snapshot", store=tmp_path, as_="polars").height == 90


def test_a_total_that_falls_to_zero_mid_sweep_leaves_the_good_snapshot_in_use(
    registry: Replica, tmp_path: Path
) -> None:
    pull(api_key=KEY, base_url=registry.url, store=tmp_path, progress=False)

    before = registry.requests_served

    def falls(exchange: Exchange) -> Raw | None:
        if exchange.number - before <= 2:  # the first pages of the new sweep are fine
            return None
        limit, offset = int(exchange.params["limit"]), int(exchange.params.get("offset", 0))
        return Raw(200, page_body([], 0, limit, offset))

    registry.hook = falls
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        pull(api_key=KEY, base_url=registry.url, store=tmp_path, progress=False)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        frame = load_licenses(source="snapshot", store=tmp_path, as_="polars")
    assert frame.height == 90
    newest = list_snapshots(tmp_path)[-1]
    if newest["complete"].item():  # the sweep called it complete: then it is held back, said so
        assert newest["held_back"].item()
        assert any(issubclass(w.category, ShrunkSnapshotWarning) for w in said)


def cli(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MINING_LICENSES_DATA": str(store), "SECTORS_API_KEY": KEY}
    return subprocess.run(
        [str(ENTRY_POINT), *args], capture_output=True, text=True, env=env, timeout=240, check=False
    )


def test_the_command_line_says_held_back_and_accepts(registry: Replica, tmp_path: Path) -> None:
    assert cli("pull", "--base-url", registry.url, "--no-progress", store=tmp_path).returncode == 0
    with Replica(make_records(9, seed=5), api_key=KEY, synthetic=False) as smaller:
        done = cli("pull", "--base-url", smaller.url, "--no-progress", store=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    held = [line for line in done.stdout.splitlines() if line.startswith("held back: ")]
    assert len(held) == 1
    assert "lacks 81 of the 90" in held[0]
    assert "--accept" in held[0]
    listed = cli("snapshots", store=tmp_path)
    assert "held back: " in listed.stdout
    name = Path(list_snapshots(tmp_path)[-1, "path"]).name
    summary = cli("summary", "--source", "snapshot", store=tmp_path)
    assert "| licenses" in summary.stdout
    assert "| 90 " in summary.stdout.replace(",", "")
    assert "ShrunkSnapshotWarning" in summary.stderr
    accepted = cli("snapshots", "--accept", name, store=tmp_path)
    assert accepted.returncode == 0
    assert f"accepted {name}" in accepted.stdout
    # it joins its chain at once: the ledger compares it now, not at the next command
    assert "ledger: 81 events added" in accepted.stdout, accepted.stdout
    ledger = pl.read_parquet(tmp_path / "events.parquet")
    assert ledger.filter(pl.col("snapshot_after") == name).height == 81
    after = cli("summary", "--source", "snapshot", store=tmp_path)
    assert "| 9 " in after.stdout
    assert "ShrunkSnapshotWarning" not in after.stderr
    assert read_snapshot("latest", store=tmp_path)[s.WIUP_CODE].n_unique() == 9
