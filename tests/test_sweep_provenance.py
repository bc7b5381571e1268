"""What an incomplete sweep knew is kept with its snapshot, listed and shown.

Why (issue 16, loose end): a snapshot said ``complete=False`` but not why,
nor how many licenses the API served twice, nor the credits it may have been
billed; the sweep knew, the snapshot forgot. Older snapshots read as before.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, IncompleteSweepWarning, ParameterTypeError
from mining_licenses.cli import main
from mining_licenses.loader import Pull, pull
from mining_licenses.normalize import normalize_records
from mining_licenses.replica import Exchange, Raw, Replica
from mining_licenses.store import (
    SnapshotMeta,
    bundled_sample_path,
    list_snapshots,
    read_snapshot_meta,
    write_snapshot,
)
from tests._replica_fixtures import make_records

KEY = "sk-test-0123456789abcdef"


@pytest.fixture(scope="module")
def incomplete(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pull, Pull, Path]:
    """One license never served, another served twice (other content): written, and not."""
    store = tmp_path_factory.mktemp("store")
    with Replica(make_records(60, seed=21), api_key=KEY) as replica:
        served = replica.matching_records()
        hidden, twice = served[45][s.WIUP_CODE], copy.deepcopy(served[5])
        twice[s.CNC] = "non-CNC"

        def hook(exchange: Exchange) -> Raw | None:
            if exchange.status != 200:
                return None
            body: dict[str, Any] = exchange.page()
            body["results"] = [r for r in body["results"] if r[s.WIUP_CODE] != hidden]
            if any(r[s.WIUP_CODE] == twice[s.WIUP_CODE] for r in body["results"]):
                body["results"].append(twice)
            return Raw(200, json.dumps(body).encode())

        replica.hook = hook
        quick = {"progress": False, "max_repair_credits": 2, "backoff": 0.01}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IncompleteSweepWarning)
            written = pull(api_key=KEY, base_url=replica.url, store=store, **quick)
            unwritten = pull(api_key=KEY, base_url=replica.url, store=store, write=False, **quick)
    return written, unwritten, store


def test_the_snapshot_keeps_why_the_sweep_was_incomplete(
    incomplete: tuple[Pull, Pull, Path],
) -> None:
    written, unwritten, _ = incomplete
    sweep = written.sweep
    assert not sweep.complete
    assert sweep.incomplete_reasons
    assert sweep.duplicates_upstream == 1
    assert written.snapshot is not None
    stored = read_snapshot_meta(written.snapshot)  # from the GeoParquet footer
    assert stored.incomplete_reasons == sweep.incomplete_reasons
    assert stored.notes == sweep.notes
    assert any("more than once" in note for note in stored.notes)
    assert stored.duplicates_upstream == 1
    assert stored.credits_spent == sweep.credits_spent
    assert stored.credits_upper_bound == sweep.credits_upper_bound
    assert stored.credits_spent <= stored.credits_upper_bound  # type: ignore[operator]
    assert written.meta() == stored
    from_sweep = unwritten.meta()  # no snapshot: the sweep's own account
    assert from_sweep.incomplete_reasons == unwritten.sweep.incomplete_reasons
    assert from_sweep.duplicates_upstream == 1
    assert from_sweep.credits_upper_bound == unwritten.sweep.credits_upper_bound


def test_the_listing_and_the_command_line_show_it(
    incomplete: tuple[Pull, Pull, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    written, _, store = incomplete
    row = list_snapshots(store).row(0, named=True)
    assert row["incomplete_reasons"] == ", ".join(written.sweep.incomplete_reasons)
    assert json.loads(row["notes"]) == list(written.sweep.notes)
    assert row["duplicates_upstream"] == 1
    assert row["credits_upper_bound"] == written.sweep.credits_upper_bound
    assert main(["snapshots", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "| credits" in out
    assert f"{written.snapshot.name}: incomplete (" in out  # type: ignore[union-attr]
    assert "more than once" in out


def test_older_snapshots_read_with_the_fields_empty(tmp_path: Path) -> None:
    frame = normalize_records(make_records(5, seed=2))
    old_style = {"source": "api", "complete": True, "credits_spent": 1}  # as written before
    path = write_snapshot(frame, store=tmp_path, meta=old_style)
    meta = read_snapshot_meta(path)
    assert (meta.incomplete_reasons, meta.notes) == ((), ())
    assert (meta.duplicates_upstream, meta.credits_upper_bound) == (None, None)
    assert "notes" not in meta.to_json()  # a complete sweep's block is as before
    assert list_snapshots(tmp_path)["notes"].to_list() == [None]
    sample = read_snapshot_meta(bundled_sample_path())  # written by an older version
    assert sample.incomplete_reasons == ()
    assert SnapshotMeta.from_json({"source": "api", "future_field": 1}).notes == ()


def test_the_fields_are_checked_and_round_trip() -> None:
    meta = SnapshotMeta(
        incomplete_reasons=["short"],  # type: ignore[arg-type]  # as JSON gives it
        notes=("a note",),
        duplicates_upstream=0,
        credits_spent=3,
        credits_upper_bound=5,
    )
    assert meta.incomplete_reasons == ("short",)
    assert SnapshotMeta.from_json(json.loads(json.dumps(meta.to_json()))) == meta
    with pytest.raises(ParameterTypeError, match="notes"):
        SnapshotMeta(notes=(1,))  # type: ignore[arg-type]
    with pytest.raises(ParameterTypeError, match="incomplete_reasons"):
        SnapshotMeta(incomplete_reasons="short")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="duplicates_upstream"):
        SnapshotMeta(duplicates_upstream=-1)
    assert dataclasses.replace(meta, notes=()).to_json().get("notes") is None
