"""Snapshots verify themselves: a changed byte is a SnapshotError naming the file, never other data.

Why (issue 16, "A damaged snapshot can read as different data"): of 40 single
byte flips in a snapshot, 13 read back silently as other values. Every flip
here either reads back the very same data or raises SnapshotError.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mining_licenses._errors import SnapshotError, UnverifiedSnapshotWarning
from mining_licenses.store import (
    _catalog,
    _checksum,
    bundled_sample_path,
    history,
    list_snapshots,
    read_snapshot,
    read_snapshot_meta,
    write_snapshot,
)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, bytes, pl.DataFrame]]:
    """A snapshot of 40 licenses, its bytes, and what it reads as."""
    frame = read_snapshot(bundled_sample_path()).head(40)
    folder = tmp_path_factory.mktemp("sealed")
    path = write_snapshot(frame, store=folder, meta={"source": "sample", "complete": True})
    return path, path.read_bytes(), read_snapshot(path)


def _flipped(original: bytes, position: int, mask: int) -> bytes:
    data = bytearray(original)
    data[position] ^= mask
    return bytes(data)


def _outcome(path: Path, expected: pl.DataFrame) -> str:
    """Read the file as every reader does; 'same', 'error' or what went wrong."""
    _catalog._footers.clear()  # the listing would otherwise remember the good footer
    _checksum._verified.clear()
    try:
        frame = read_snapshot(path)
    except SnapshotError as err:
        return "error" if path.name in str(err) else "error not naming the file"
    return "same" if frame.equals(expected) else "DIFFERENT"


def test_every_file_written_carries_a_checksum(small: tuple[Path, bytes, pl.DataFrame]) -> None:
    path, _, _ = small
    value = pq.read_metadata(path).metadata[_checksum.CHECKSUM_KEY].decode()
    assert value.startswith("sha256:")
    assert len(value) == len("sha256:") + 64 + 1 + 64
    assert list_snapshots(path.parent)["checksum"].to_list() == [True]
    assert read_snapshot_meta(bundled_sample_path()).synthetic  # the bundled sample is sealed
    assert list_snapshots(bundled_sample_path().parent)["checksum"].all()


def test_a_flip_at_any_byte_never_reads_as_other_data(
    small: tuple[Path, bytes, pl.DataFrame], tmp_path: Path
) -> None:
    _, original, expected = small
    target = tmp_path / "licenses_20261101T060000Z.parquet"
    outcomes: Counter[str] = Counter()
    step = max(len(original) // 300, 1)  # about 300 positions, every region of the file
    positions = sorted({*range(0, len(original), step), *range(len(original) - 80, len(original))})
    for position in positions:
        target.write_bytes(_flipped(original, position, 0xFF))
        outcomes[_outcome(target, expected)] += 1
    assert outcomes["DIFFERENT"] == 0, outcomes
    assert outcomes["error"] >= 0.95 * len(positions), outcomes


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_generated_flips_read_the_same_or_raise(
    small: tuple[Path, bytes, pl.DataFrame], tmp_path: Path, data: st.DataObject
) -> None:
    _, original, expected = small
    position = data.draw(st.integers(0, len(original) - 1), label="position")
    mask = data.draw(st.integers(1, 255), label="mask")
    target = tmp_path / "licenses_20261101T060000Z.parquet"
    target.write_bytes(_flipped(original, position, mask))
    assert _outcome(target, expected) in ("same", "error")


def test_listing_and_history_name_a_damaged_file(
    small: tuple[Path, bytes, pl.DataFrame], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, original, expected = small
    store = tmp_path / "store"
    store.mkdir()
    damaged = store / path.name
    footer_start = _checksum.read_footer(path).start  # type: ignore[union-attr]
    damaged.write_bytes(_flipped(original, footer_start // 2, 0x10))  # a data page
    assert list_snapshots(store).height == 1  # the footer is whole: listed
    with pytest.raises(SnapshotError, match=damaged.name):
        history(store).collect()
    damaged.write_bytes(_flipped(original, footer_start + 40, 0x10))  # the footer
    _catalog._footers.clear()
    assert list_snapshots(store).height == 0  # skipped, and said so
    assert damaged.name in caplog.text
    assert "differs from its checksum" in caplog.text
    damaged.write_bytes(original)
    assert history(store).collect().drop("snapshot").equals(expected)


def test_an_old_snapshot_without_checksum_still_reads_and_says_so(
    small: tuple[Path, bytes, pl.DataFrame], tmp_path: Path
) -> None:
    path, _, expected = small
    old = tmp_path / path.name
    table = pq.read_table(path)
    metadata = {
        k: v for k, v in table.schema.metadata.items() if k != _checksum.CHECKSUM_KEY
    }  # what a file of the previous version holds
    pq.write_table(table.replace_schema_metadata(metadata), old)
    assert json.loads(pq.read_metadata(old).metadata[b"mining_licenses"])["complete"]
    with pytest.warns(UnverifiedSnapshotWarning, match="no checksum"):
        frame = read_snapshot(old)
    assert frame.equals(expected)
    assert list_snapshots(tmp_path)["checksum"].to_list() == [False]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_snapshot(path)  # a sealed one reads without a word


def test_reading_without_verification_is_possible_but_the_footer_is_always_checked(
    small: tuple[Path, bytes, pl.DataFrame], tmp_path: Path
) -> None:
    path, original, expected = small
    target = tmp_path / path.name
    target.write_bytes(original)
    assert read_snapshot(target, verify=False).equals(expected)
    start = _checksum.read_footer(path).start  # type: ignore[union-attr]
    target.write_bytes(_flipped(original, start + 20, 0x01))
    with pytest.raises(SnapshotError, match="checksum"):
        read_snapshot(target, verify=False)


def test_a_command_says_each_damaged_snapshot_once(tmp_path: Path) -> None:
    """The entry point, as a user runs it: the store is listed more than once, said once."""
    from mining_licenses.store import bundled_sample_path
    from tests._entry import run

    store = tmp_path / "store"
    store.mkdir()
    (store / bundled_sample_path().name).write_bytes(bundled_sample_path().read_bytes())
    (store / "licenses_20261205T000000Z.parquet").write_bytes(b"junk")
    done = run("summary", "--source", "snapshot", "--top", "1", store=store)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("Skipping a snapshot") == 1, done.stderr
    assert "licenses_20261205T000000Z.parquet" in done.stderr
