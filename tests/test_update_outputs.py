"""What ``update`` and ``events`` write: checked before a credit, published together, CSV safe.

Issue 16's one output path, applied to issue 17's outputs: the feed folder is
proved writable before the schedule is asked or any credit spent (counted on
the replica); the digests and both feeds are published all together or not at
all; ``events --csv`` goes through the one CSV writer (formulas neutralised
unless ``--raw-csv``) with its provenance sidecar; empty answers exit 1.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from mining_licenses import _atomic
from mining_licenses._errors import OutputError
from mining_licenses._update import update
from mining_licenses.changes import update_ledger
from mining_licenses.cli import main
from mining_licenses.feeds import ATOM_NAME, DIGESTS, JSON_NAME, write_feeds
from mining_licenses.normalize import normalize_records
from mining_licenses.replica import Replica
from mining_licenses.store import sidecar_path, write_snapshot
from tests import _scripted as sc
from tests._replica_fixtures import make_records
from tests.test_hostile import unwritable_folder

KEY = "sk-test-0123456789abcdef"
FORMULA = '=HYPERLINK("http://evil.example/x","PT Aman")'


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scripted three days, license 7's new holder named like a spreadsheet formula."""
    folder = tmp_path_factory.mktemp("store")
    days = sc.days()
    for later in days[1:]:
        next(r for r in later if r["wiup_code"] == sc.code(7))["company_name"] = FORMULA
    for when, records in zip(sc.DAYS, days, strict=True):
        frame = normalize_records(records, fetched_at=when)
        write_snapshot(frame, store=folder, meta={**sc.META, "fetched_at": when})
    update_ledger(folder)
    return folder


@pytest.mark.parametrize("case", ["read-only", "a file", "digests a file"])
def test_an_unwritable_feed_folder_is_refused_before_a_credit_is_spent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    if case == "read-only":
        feeds = unwritable_folder(tmp_path)  # root: a read-only file system
    elif case == "a file":
        feeds = tmp_path / "feeds"
        feeds.write_text("not a folder")
    else:
        feeds = tmp_path / "feeds"
        feeds.mkdir()
        (feeds / DIGESTS).write_text("not a folder")
    monkeypatch.setenv("SECTORS_API_KEY", KEY)
    store = tmp_path / "store"
    with Replica(make_records(30, seed=4), api_key=KEY) as replica:
        with pytest.raises(OutputError):
            update(store=store, feed_dir=feeds, base_url=replica.url, progress=False)
        for due in ((), ("--if-due",)):
            code = main(
                ["update", "--store", str(store), "--feed-dir", str(feeds),
                 "--base-url", replica.url, "--no-progress", *due]
            )  # fmt: skip
            err = capsys.readouterr().err.strip()
            assert code == 2
            assert err.startswith("error: ")
            assert "\n" not in err
            assert str(feeds) in err
        assert replica.requests_served == 0  # not one request, so not one credit
    assert not (store / "events.parquet").exists()


def test_the_digests_and_both_feeds_are_published_together_or_not_at_all(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "feeds"
    real = _atomic._publish

    def full_at_the_last(temp: Path, target: Path, *, overwrite: bool) -> bool:
        if target.name == ATOM_NAME:
            raise OSError(28, "No space left on device")
        return real(temp, target, overwrite=overwrite)

    monkeypatch.setattr(_atomic, "_publish", full_at_the_last)
    with pytest.raises(OutputError, match="No space left"):
        write_feeds(store, out)
    assert not (out / JSON_NAME).exists()
    assert not list((out / DIGESTS).glob("*.html"))  # no page without its feed
    assert not [p for p in out.rglob("*") if _atomic.TEMP_SUFFIX in p.name]
    monkeypatch.setattr(_atomic, "_publish", real)
    done = write_feeds(store, out)
    assert len(done.digests) == len(done.entries) == 2
    assert {p.name for p in out.iterdir()} == {ATOM_NAME, JSON_NAME, DIGESTS}


def test_events_csv_neutralises_formulas_unless_raw_and_names_its_sidecar(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    safe, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
    base = ["events", "--store", str(store), "--event", "holder_changed"]
    assert main([*base, "--csv", str(safe)]) == 0
    said = capsys.readouterr().out
    assert said.splitlines()[0].startswith("SYNTHETIC DATA")
    assert said.splitlines()[1].startswith("as of 2027-01-01 (fetched 2027-01-01 06:00 UTC")
    assert f"and its provenance {sidecar_path(safe)}" in said
    assert sidecar_path(safe).exists()
    assert pl.read_csv(safe, infer_schema=False)["company_name"].to_list() == ["'" + FORMULA]
    assert main([*base, "--csv", str(raw), "--raw-csv"]) == 0
    assert pl.read_csv(raw, infer_schema=False)["company_name"].to_list() == [FORMULA]
    assert main([*base, "--csv", str(safe)]) == 2  # exists: refused before any work
    assert "--overwrite" in capsys.readouterr().err


def test_events_says_an_empty_answer_and_why_with_exit_1(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["events", "--store", str(store)]
    assert main([*base, "--event", "reappeared", "--province", "Aceh"]) == 1
    said = capsys.readouterr().out
    assert "as of 2027-01-01" in said
    held = sum(len(keys) for keys in sc.EXPECTED.values())
    assert f"Empty answer: no event of the {held} in" in said
    assert "--event reappeared alone matches 1; --province Aceh alone matches 0" in said
    assert main([*base, "--rebuild", "--limit", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("SYNTHETIC DATA")
    assert lines[1].startswith("as of 2027-01-01")
    assert lines[2].startswith("rebuilt ")
    assert main(["events", "--store", str(tmp_path / "none")]) == 1
    assert "Empty answer: no ledger in" in capsys.readouterr().out


def test_update_exit_codes_are_the_commands_own() -> None:
    from mining_licenses import _update
    from mining_licenses.cli import _args

    assert (_update.EXIT_QUIET, _update.EXIT_NOT_COMPARED, _update.EXIT_ERROR) == (
        _args.EXIT_OK,
        _args.EXIT_EMPTY,
        _args.EXIT_ERROR,
    )
    assert _update.EXIT_WATCHED not in (_args.EXIT_OK, _args.EXIT_EMPTY, _args.EXIT_ERROR)


def test_an_update_whose_snapshot_is_held_back_compares_nothing_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SECTORS_API_KEY", KEY)
    store, feeds = tmp_path / "store", tmp_path / "feeds"
    records = make_records(30, seed=5)
    by_day = {sc.DAYS[0].date(): records, sc.DAYS[1].date(): records[:10]}  # 2/3 gone at once
    with Replica(records_by_day=by_day, api_key=KEY, as_of=sc.DAYS[0].date()) as replica:
        base = ["update", "--store", str(store), "--feed-dir", str(feeds),
                "--base-url", replica.url, "--no-progress"]  # fmt: skip
        assert main(base) == 0
        capsys.readouterr()
        replica.as_of = sc.DAYS[1].date()
        assert main(base) == 1
        said = capsys.readouterr().out
    assert said.splitlines()[1].startswith("as of ")
    assert "held back" in said
    assert "0 events: the new snapshot was not compared" in said
    assert said.rstrip().endswith("exit 1: nothing compared")
