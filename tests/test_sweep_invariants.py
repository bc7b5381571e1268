"""Invariant 1 on the sweep side, and the journal checked before a credit is spent.

Each test names a way a sweep used to lose or misreport data, reproduced over
loopback HTTP with the replica: a ``total_count`` that falls mid-sweep, a
license the API serves twice, a server that ignores ``offset``, a journal
folder that cannot be written.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from mining_licenses import schema as s
from mining_licenses._errors import (
    ConfigurationError,
    IncompleteSweepError,
    IncompleteSweepWarning,
)
from mining_licenses._wire import license_key
from mining_licenses.cli import main
from mining_licenses.client import SectorsClient
from mining_licenses.client._query import MAX_REPEATED_PAGES
from mining_licenses.loader import pull
from mining_licenses.replica import Exchange, Raw, Replica
from tests._replica_fixtures import TODAY, make_records

KEY = "sk-test-invariants-5d1c9e7a3b"


def pages_for(rows: int) -> int:
    """Credits a default sweep of ``rows`` takes: 30, then 29 new ones a page (the overlap)."""
    return 1 if rows <= 30 else 1 + math.ceil((rows - 30) / 29)


def client_for(replica: Replica, tmp_path: Path, **options: Any) -> SectorsClient:
    settings = {"progress": False, "backoff": 0.01, "backoff_max": 0.05} | options
    return SectorsClient(KEY, base_url=replica.url, journal_dir=tmp_path / "journal", **settings)


def sweep_with(records: list[dict[str, Any]], hook: Any, tmp_path: Path, **options: Any) -> Any:
    """Sweep ``records`` served through ``hook``; return the result."""
    with (
        Replica(records, api_key=KEY, as_of=TODAY, hook=hook) as replica,
        client_for(replica, tmp_path, **options) as client,
    ):
        return client.fetch_all()


def falling_total(after: int, total: int = 0, until: int | None = None) -> Any:
    """A hook: requests past ``after`` (up to ``until``) answer ``total`` and no records."""
    served: list[dict[str, Any]] = []

    def hook(exchange: Exchange) -> Raw | None:
        if exchange.status != 200:
            return None
        body = exchange.page()
        if exchange.number > after and (until is None or exchange.number <= until):
            body["results"] = [] if total == 0 else body["results"]
            body["pagination"]["total_count"] = total
        else:
            served.extend(body["results"])
        return Raw(200, json.dumps(body).encode())

    hook.served = served  # type: ignore[attr-defined]
    return hook


# ------------------------------------------------------------ silent data loss
def test_a_total_count_falling_to_0_mid_sweep_is_never_complete_and_drops_nothing(
    tmp_path: Path,
) -> None:
    records = make_records(300, seed=31)
    with pytest.raises(IncompleteSweepError, match="fell from 300 to 0"):
        sweep_with(records, falling_total(after=5), tmp_path, strict=True, resume=False)
    hook = falling_total(after=5)
    result = sweep_with(records, hook, tmp_path, max_in_flight=2)
    read = {license_key(r) for r in hook.served}
    assert len(read) >= 5 * 29  # five pages were read before the total fell
    assert not result.complete
    assert "shrank" in result.incomplete_reasons
    assert read <= {license_key(r) for r in result.records}  # nothing read was dropped
    assert result.total_count == 300
    assert result.missing == 300 - len(result.records)
    assert result.stale_dropped == 0
    assert any("fell from 300 to 0" in note and "none of the" in note for note in result.notes)


def test_a_total_count_that_shrinks_mid_sweep_is_never_complete(tmp_path: Path) -> None:
    """Any fall of total_count (here 300 to 250, records still served) makes a sweep incomplete."""
    hook = falling_total(after=4, total=250)
    result = sweep_with(make_records(300, seed=32), hook, tmp_path, max_in_flight=1)
    assert not result.complete
    assert "shrank" in result.incomplete_reasons
    assert len({license_key(r) for r in result.records}) == 300  # all still kept
    assert any("fell from 300 to 250" in note for note in result.notes)


def test_a_transient_empty_answer_confirmed_away_by_a_consistent_pass_is_complete(
    tmp_path: Path,
) -> None:
    """A fall that a later pass shows was transient (every record at the largest total)."""
    records = make_records(300, seed=33)
    hook = falling_total(after=5, until=8)
    with Replica(records, api_key=KEY, as_of=TODAY, hook=hook) as replica:
        with client_for(replica, tmp_path, max_in_flight=1) as client:
            result = client.fetch_all()
        truth = {license_key(r) for r in replica.matching_records()}
    assert result.complete, result.notes
    assert {license_key(r) for r in result.records} == truth
    assert result.totals_seen == (0, 300)
    assert result.repaired_by  # the sweep was made whole by another pass, not taken as it was


def test_a_pull_whose_total_fell_writes_an_incomplete_snapshot_with_every_record_read(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    hook = falling_total(after=5)
    with (
        Replica(make_records(300, seed=34), api_key=KEY, as_of=TODAY, hook=hook) as replica,
        pytest.warns(IncompleteSweepWarning, match="incomplete"),
    ):
        pulled = pull(api_key=KEY, base_url=replica.url, store=store, progress=False)
    assert pulled.frame.height == len(pulled.sweep.records) >= 5 * 29
    assert not pulled.meta().complete
    assert pulled.snapshot is not None
    assert "shrank" in pulled.sweep.incomplete_reasons


# -------------------------------------------------------- duplicates upstream
def served_twice(kind: str) -> list[dict[str, Any]]:
    records = make_records(1237, seed=35)
    twin = dict(records[600])
    if kind == "same key, other contents":
        twin[s.COMPANY_NAME] = "PT Tambang Kembar"
    records.append(twin)
    return records


@pytest.mark.parametrize("kind", ["an exact double row", "same key, other contents"])
def test_a_license_served_twice_upstream_costs_one_sweep_and_is_complete(
    tmp_path: Path, kind: str
) -> None:
    records = served_twice(kind)
    store = tmp_path / "store"
    with Replica(records, api_key=KEY, as_of=TODAY) as replica:
        pulled = pull(api_key=KEY, base_url=replica.url, store=store, progress=False)
        billed = replica.billed
    result = pulled.sweep
    assert result.total_count == 1238
    assert (result.complete, result.missing, result.incomplete_reasons) == (True, 0, ())
    assert result.credits_spent == billed == pages_for(1238) == 43  # not ~130
    assert result.repaired_by == ()
    assert result.duplicates_upstream == 1
    assert any("more than once" in note for note in result.notes)
    # both rows kept, and flagged
    code = records[600][s.WIUP_CODE]
    twins = pulled.frame.filter(pl.col(s.WIUP_CODE) == code)
    assert twins.height == 2
    assert twins[s.ISSUES].list.contains(s.ISSUE_DUPLICATE_RECORD).all()
    assert pulled.frame.height == 1238


# ------------------------------------------ one short first page is not a page size
def test_a_first_page_cut_short_once_does_not_replan_the_sweep(tmp_path: Path) -> None:
    """Found by the fuzzer: one first answer of 3 records made the sweep run at 3 a page.

    The first page is read again; only a page size both readings show is followed.
    """

    def short_once(exchange: Exchange) -> Raw | None:
        if exchange.number != 1:
            return None
        body = exchange.page()
        body["results"] = body["results"][:3]
        return Raw(200, json.dumps(body).encode())

    records = make_records(300, seed=38)
    result = sweep_with(records, short_once, tmp_path, max_in_flight=1)
    assert result.complete
    assert len(result.records) == 300
    assert result.credits_spent == 1 + pages_for(300)  # not ~150 pages at 3 a page
    assert any("one short answer, not a page size" in note for note in result.notes)


# --------------------------------------------------- a server ignoring offset
def first_page_always() -> Any:
    """A hook answering every offset with the first page of the same order."""
    firsts: dict[str, bytes] = {}

    def hook(exchange: Exchange) -> Raw | None:
        if exchange.status != 200:
            return None
        order = exchange.params.get("order_by", "")
        if exchange.offset == 0:
            firsts.setdefault(order, exchange.body)
        return Raw(200, firsts.get(order, exchange.body))

    return hook


@pytest.mark.parametrize("max_in_flight", [1, 4])
def test_a_server_that_ignores_offset_is_stopped_after_a_few_pages(
    tmp_path: Path, max_in_flight: int
) -> None:
    """Stopped after the first page, ``MAX_REPEATED_PAGES`` repeats and the pages in flight."""
    with Replica(
        make_records(1237, seed=36), api_key=KEY, as_of=TODAY, hook=first_page_always()
    ) as replica:
        with client_for(replica, tmp_path, max_in_flight=max_in_flight) as client:
            result = client.fetch_all()
        billed = replica.billed
    bound = 1 + MAX_REPEATED_PAGES + (max_in_flight - 1)
    assert result.credits_spent == billed <= bound  # not ~3.8 sweeps (~160 credits)
    assert not result.complete
    assert "repeated" in result.incomplete_reasons
    assert len(result.records) == 30  # the one page it serves, kept
    assert any("ignores offset" in note for note in result.notes)
    assert result.repaired_by == ()


# ------------------------------------------ a journal folder that cannot be written
def read_only_folder(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes through permission bits: use a read-only file system
        folder = Path("/sys/kernel")
        if not folder.is_dir():
            pytest.skip("no read-only folder to test with")
        return folder / "mining-licenses-journal"
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder / "journal"


@pytest.mark.parametrize("case", ["a file", "read-only"])
def test_a_journal_folder_that_cannot_be_written_is_refused_before_a_credit(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: str,
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    if case == "a file":
        journal = store / "journal"
        journal.write_text("not a folder")
    else:
        journal = read_only_folder(tmp_path)
    with Replica(make_records(60, seed=37), api_key=KEY, as_of=TODAY) as replica:
        with SectorsClient(KEY, base_url=replica.url, journal_dir=journal, progress=False) as c:
            with pytest.raises(ConfigurationError, match="journal folder"):
                c.fetch_all()
            with pytest.raises(ConfigurationError, match="no credit was spent"):
                c.estimate()
        if case == "a file":  # the store is fine, its journal folder is not
            with pytest.raises(ConfigurationError, match="journal folder"):
                pull(api_key=KEY, base_url=replica.url, store=store, progress=False)
            monkeypatch.setenv("MINING_LICENSES_DATA", str(store))
            monkeypatch.setenv("SECTORS_API_KEY", KEY)
            assert main(["pull", "--base-url", replica.url, "--no-progress"]) == 2
            assert "no credit was spent" in capsys.readouterr().err
        assert replica.billed == replica.requests_served == 0
        # without a journal, the same sweep runs
        with SectorsClient(KEY, base_url=replica.url, journal_dir=journal, progress=False) as c:
            assert c.fetch_all(resume=False).complete
