"""A hostile upstream: one test per row of the issue's table, over loopback HTTP.

Every server misbehaviour is played by the replica (its ``Faults`` or a
``hook`` answering with a ``Raw`` response). Credits are counted on the
server's side (``replica.billed``), time is bounded by short deadlines and
counters (never by asserting elapsed time), memory by running the client in
a subprocess under ``RLIMIT_AS``, and after each failure the same client is
used again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import struct
import subprocess
import sys
import textwrap
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from mining_licenses import schema as s
from mining_licenses._errors import (
    ApiError,
    BadResponseError,
    BudgetExceededError,
    ConfigurationError,
    IncompleteSweepError,
    RateLimitedError,
    SchemaError,
    SnapshotError,
)
from mining_licenses._wire import license_key
from mining_licenses.cli import main
from mining_licenses.client import PullOptions, SectorsClient
from mining_licenses.client._http import proxy_for
from mining_licenses.client._journal import journal_pages
from mining_licenses.loader import pull
from mining_licenses.normalize import normalize_records
from mining_licenses.replica import Exchange, Faults, Raw, Replica
from mining_licenses.store import history, write_snapshot
from tests._replica_fixtures import TODAY, make_records

KEY = "sk-hostile-3e1f9a7c5b2d4e6f"
REPO = Path(__file__).resolve().parents[1]
MEMORY_CEILING = 1536 * 2**20  # RLIMIT_AS of the client's subprocess: 1.5 GiB
MIB = 2**20


def client_for(replica: Replica, tmp_path: Path, **options: Any) -> SectorsClient:
    settings = {"progress": False, "backoff": 0.01, "backoff_max": 0.05} | options
    return SectorsClient(KEY, base_url=replica.url, journal_dir=tmp_path / "journal", **settings)


def journaled(root: Path) -> list[int]:
    """The offsets of the whole pages in every journal under ``root``."""
    folders = root.iterdir() if root.is_dir() else ()
    return sorted(o for f in folders for o, body in journal_pages(f).items() if body is not None)


def rewrite(change: Callable[[dict[str, Any], Exchange], None]) -> Callable[[Exchange], Raw | None]:
    """A hook that edits every page body (parsed) before it is sent."""

    def hook(exchange: Exchange) -> Raw | None:
        if exchange.status != 200:
            return None
        body = exchange.page()
        change(body, exchange)
        return Raw(200, json.dumps(body).encode())

    return hook


def eventually(condition: Callable[[], bool]) -> bool:
    """Poll ``condition`` for up to 5 s (the server side finishes in its own time)."""
    for _ in range(500):
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_a_well_behaved_replica_sweeps_exactly(tmp_path: Path) -> None:
    """The fixtures themselves: a plain sweep through a hook-less replica is exact."""
    with Replica(make_records(90, seed=1), api_key=KEY, as_of=TODAY) as replica:
        with client_for(replica, tmp_path) as client:
            result = client.fetch_all()
        # 90 records: 30, then 29 new ones a page (each page repeats the last one before it)
        assert (result.complete, result.credits_spent, replica.billed) == (True, 4, 4)
        assert result.incomplete_reasons == ()
        assert result.credits_upper_bound == 4


# ------------------------------------------------------------------ row 1
def test_lone_surrogate_in_a_record_is_kept_flagged_and_never_blocks_a_pull(
    tmp_path: Path,
) -> None:
    records = make_records(95, seed=2)
    records[40][s.COMPANY_NAME] = json.loads('"\\ud83d PT Tambang Surrogat"')  # valid JSON
    records[41][s.LOCATION] = json.loads('"Kabupaten \\udc00 Paser"')
    store = tmp_path / "store"
    with Replica(records, api_key=KEY, as_of=TODAY) as replica:
        pulled = pull(api_key=KEY, base_url=replica.url, store=store, progress=False)
        assert replica.billed == pulled.sweep.credits_spent == 4
        frame = pulled.frame
        assert frame.height == 95
        name = "\ufffd PT Tambang Surrogat"
        row = frame.filter(pl.col(s.COMPANY_NAME) == name).row(0, named=True)
        assert row[s.ISSUES] == ["invalid_text:company_name"]
        place = frame.filter(pl.col(s.LOCATION_TEXT) == "Kabupaten \ufffd Paser")
        assert place[s.ISSUES].to_list() == [["invalid_text:location"]]
        assert pulled.snapshot is not None
        assert pulled.snapshot.exists()

        # invalid UTF-8 bytes in a body are kept the same way (not a failed page); served the
        # same way in every answer (a record served differently by two answers has changed)
        def broken_bytes(exchange: Exchange) -> Raw | None:
            body = exchange.body.replace(b"PT Tambang A0", b"PT \xff\xfe Tambang A0")
            return Raw(200, body) if exchange.status == 200 else None

        replica.hook = broken_bytes
        again = pull(api_key=KEY, base_url=replica.url, store=store, progress=False)
        assert again.sweep.complete
        assert (
            again.frame.filter(pl.col(s.ISSUES).list.contains("invalid_text:company_name")).height
            >= 1
        )

        # a journal whose records cannot be normalised is discarded, not replayed forever
        def unforeseen(*_: object, **__: object) -> pl.DataFrame:
            raise UnicodeEncodeError("utf-8", "\ud83d", 0, 1, "surrogates not allowed")

        replica.hook = None
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("mining_licenses.normalize.normalize_records", unforeseen)
            with pytest.raises(SchemaError, match="journal was discarded"):
                pull(api_key=KEY, base_url=replica.url, store=store, progress=False)
        assert not journaled(store / "journal")
        billed = replica.billed
        final = pull(api_key=KEY, base_url=replica.url, store=store, progress=False)
        assert final.sweep.complete
        assert replica.billed == billed + 4


# ------------------------------------------------------ subprocess clients
CHILD = textwrap.dedent(
    """
    import json, resource, sys
    ceiling = int(sys.argv[4])
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    from mining_licenses.client import SectorsClient

    url, journal, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    out = {}
    with SectorsClient("k", base_url=url, journal_dir=journal, progress=False, backoff=0.01,
                       backoff_max=0.02, **options["client"]) as client:
        try:
            result = client.fetch_all(**options["sweep"])
            out.update(complete=result.complete, records=len(result.records))
        except BaseException as err:
            out.update(error=type(err).__name__, message=str(err)[:600])
        out["credits"] = client.credits_spent
    # VmHWM, not ru_maxrss: after fork and exec, ru_maxrss still counts the parent's pages
    status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
    out["peak_mib"] = int(status) / 1024
    print(json.dumps(out))
    """
)


def run_client(
    replica: Replica, tmp_path: Path, *, client: dict[str, Any] | None = None, **sweep: Any
) -> dict[str, Any]:
    """Run one fetch_all in a subprocess whose address space is capped at MEMORY_CEILING."""
    options = json.dumps({"client": client or {}, "sweep": sweep})
    args = [replica.url, str(tmp_path / "journal"), options, str(MEMORY_CEILING)]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    outcome: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


# ------------------------------------------------------------------ row 2
def test_total_count_of_a_billion_is_refused_at_once_in_bounded_memory(tmp_path: Path) -> None:
    def billion(body: dict[str, Any], _: Exchange) -> None:
        body["pagination"]["total_count"] = 10**9

    with Replica(make_records(60, seed=3), as_of=TODAY, hook=rewrite(billion)) as replica:
        # no budget: an implausible total is refused after the one page that reported it
        default = run_client(replica, tmp_path)
        assert default["error"] == "BadResponseError", default
        assert "max_total_count=100,000" in default["message"]
        assert "offset 0" in default["message"]
        assert default["credits"] == replica.billed == 1
        # a caller who allows such totals: the budget is checked by arithmetic, not a list
        capped = run_client(replica, tmp_path, client={}, budget=50, max_total_count=10**9)
        assert capped["error"] == "BudgetExceededError", capped
        assert "34,482,758 more credit" in capped["message"]  # 29 new records a page
        assert capped["credits"] == 1
        assert replica.billed == 2
    assert max(default["peak_mib"], capped["peak_mib"]) < 400


# ------------------------------------------------------------------ row 3
def test_total_count_of_10000_over_1237_records_stops_after_a_few_empty_pages(
    tmp_path: Path,
) -> None:
    def overstated(body: dict[str, Any], _: Exchange) -> None:
        body["pagination"]["total_count"] = 10_000

    records = make_records(1237, seed=4)
    with (
        Replica(records, api_key=KEY, as_of=TODAY, hook=rewrite(overstated)) as replica,
        client_for(replica, tmp_path) as client,
    ):
        result = client.fetch_all()
        assert result.credits_spent == replica.billed
        # 43 pages of data, then at most max_empty_pages + what was in flight
        assert 43 + 2 <= result.credits_spent <= 43 + 2 + client.max_in_flight
        assert len(result.records) == 1237
        assert (result.complete, result.missing) == (False, 10_000 - 1237)
        assert result.incomplete_reasons == ("short",)
        assert any("overstated" in note for note in result.notes)
        assert result.repaired_by == ()
        replica.hook = None
        assert client.fetch_all().complete  # the same client, the data as it really is


# ------------------------------------------------------------------ row 4
@pytest.mark.parametrize(
    ("header", "shown"),
    [("3600", "3,600 s"), ("1e308", "an unbounded time"), ("1e999", "an unbounded time")],
)
def test_retry_after_of_an_hour_or_huge_ends_the_sweep_and_the_client_stays_usable(
    tmp_path: Path, header: str, shown: str
) -> None:
    first = [True]

    def rate_limit_once(exchange: Exchange) -> Raw | None:
        if first[0]:
            first[0] = False
            body = b'{"error": "RATE_LIMIT_EXCEEDED", "message": "Rate limit exceeded."}'
            return Raw(429, body, headers={"Retry-After": header})
        return None

    with Replica(make_records(60, seed=5), api_key=KEY, as_of=TODAY) as replica:
        replica.hook = rate_limit_once
        with client_for(replica, tmp_path, max_retry_seconds=120) as client:
            with pytest.raises(RateLimitedError) as caught:
                client.fetch_all()
            err = caught.value
            assert shown in str(err)
            assert f"Retry-After: {header}" in str(err)
            assert "max_retry_seconds=120" in str(err)
            assert (err.status_code, replica.requests_served, replica.billed) == (429, 1, 0)
            if header == "3600":
                assert err.retry_at is not None
                assert "Try again after" in str(err)
                assert err.retry_after == 3600
            else:
                assert err.retry_at is None
            assert client._transport.paused_for == 0  # the pause was never taken up
            result = client.fetch_all()  # the next call on the same client: no hang
        assert result.complete
        assert replica.billed == 3  # 60 records: 30, 29, then 1 new one


# ------------------------------------------------------------------ row 5
def test_server_that_sends_one_byte_at_a_time_is_cut_off_by_the_whole_request_deadline(
    tmp_path: Path,
) -> None:
    trickling = [True]

    def trickle(exchange: Exchange) -> Raw | None:
        # at 20 ms a byte, this ~1.5 kB answer would take about 30 s to arrive
        return Raw(200, exchange.body, byte_delay=0.02) if trickling[0] else None

    with (
        Replica(make_records(5, seed=6), api_key=KEY, as_of=TODAY, hook=trickle) as replica,
        client_for(replica, tmp_path, timeout=0.2, max_attempts=2) as client,
    ):
        with pytest.raises(ApiError, match="timed out") as caught:
            client.fetch_all()
        assert caught.value.status_code is None
        assert replica.requests_served == client.requests_sent == 2
        # each answer was cut off while it trickled: the client closed the connection
        assert client._transport.on_the_wire == 0
        assert eventually(lambda: sorted(replica.aborted) == [1, 2])
        assert client.credits_spent <= replica.billed <= client.credits_upper_bound
        trickling[0] = False
        assert client.fetch_all().complete


# ------------------------------------------------------------------ row 6
def gzip_bomb(expanded: int) -> bytes:
    """A valid gzip stream of ``expanded`` zero bytes, built without compressing them all."""
    block = bytes(MIB)
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    middle = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)  # the same every MiB
    end = deflate.flush()[:-8]
    crc = 0
    for _ in range(expanded // MIB):
        crc = zlib.crc32(block, crc)
    trailer = struct.pack("<II", crc, expanded & 0xFFFFFFFF)
    return head + middle * (expanded // MIB - 1) + end + trailer


def test_gzip_bomb_helper_is_a_valid_stream() -> None:
    small = gzip_bomb(4 * MIB)
    assert zlib.decompress(small, 31) == bytes(4 * MIB)


def endless() -> Iterator[bytes]:
    chunk = b'{"results": [' + b" " * (64 * 1024)
    yield chunk
    while True:
        yield b" " * (64 * 1024)


def hundred_mib() -> Iterator[bytes]:
    for _ in range(100):
        yield b" " * MIB


@pytest.mark.parametrize(
    ("case", "make", "bound"),
    [
        ("endless body", lambda: Raw(200, endless), "larger than 4,194,304 bytes on the wire"),
        (
            "100 MB body",
            lambda: Raw(200, hundred_mib, headers={"Content-Length": str(100 * MIB)}),
            "by its Content-Length",
        ),
        (
            "2 MB gzip of 2 GiB",
            lambda: Raw(200, gzip_bomb(2 * 2**30), headers={"Content-Encoding": "gzip"}),
            "larger than 16,777,216 bytes once decompressed",
        ),
    ],
)
def test_endless_100mb_or_gzip_bomb_bodies_are_refused_while_streaming(
    tmp_path: Path, case: str, make: Callable[[], Raw], bound: str
) -> None:
    raw = make()
    with Replica(make_records(30, seed=7), as_of=TODAY, hook=lambda _: raw) as replica:
        outcome = run_client(replica, tmp_path)
        assert outcome["error"] == "BadResponseError", (case, outcome)
        assert bound in outcome["message"]
        assert "offset 0" in outcome["message"]
        assert outcome["credits"] == replica.billed == 1  # a 200 is billed, body or not
        assert outcome["peak_mib"] < 400, case  # and nothing near the body's size was held
        replica.hook = None
        with client_for(replica, tmp_path) as client:
            assert client.fetch_all().complete


# ------------------------------------------------------------------ row 7
@pytest.mark.parametrize(
    ("case", "body", "why"),
    [
        (
            "non-objects",
            b'{"results": ["x", null, 5], "pagination": {"total_count": 3}}',
            "results[0] is a str, not an object",
        ),
        (
            "100k deep",
            b'{"results": ['
            + b"[" * 100_000
            + b"]" * 100_000
            + b'], "pagination": {"total_count": 1}}',
            "nested too deeply to parse",
        ),
        (
            "40 deep in a record",
            b'{"results": [{"wiup_code": '
            + b"[" * 40
            + b"]" * 40
            + b'}], "pagination": {"total_count": 1}}',
            "nests deeper than 32 levels",
        ),
    ],
)
def test_results_of_non_objects_or_json_nested_100k_deep_are_a_typed_error(
    tmp_path: Path, case: str, body: bytes, why: str
) -> None:
    with Replica(make_records(30, seed=8), api_key=KEY, as_of=TODAY) as replica:
        replica.hook = lambda _: Raw(200, body)
        with client_for(replica, tmp_path) as client:
            with pytest.raises(BadResponseError) as caught:
                client.fetch_all()
            assert why in str(caught.value), case
            assert (caught.value.offset, caught.value.status_code) == (0, 200)
            assert replica.billed == client.credits_spent == 1
            assert not journaled(tmp_path / "journal")  # nothing kept
            replica.hook = None
            assert client.fetch_all().complete


@pytest.mark.parametrize(
    ("encoding", "body", "why"),
    [
        ("gzip", b"\x1f\x8b\x08\x00not gzip at all", "does not decompress"),
        ("br", b"\x0b\x02\x80hello", "compressed as br"),
    ],
)
def test_corrupt_or_unasked_compression_is_a_typed_error(
    tmp_path: Path, encoding: str, body: bytes, why: str
) -> None:
    raw = Raw(200, body, headers={"Content-Encoding": encoding})
    with (
        Replica(make_records(30, seed=8), api_key=KEY, as_of=TODAY, hook=lambda _: raw) as rep,
        client_for(rep, tmp_path) as client,
    ):
        with pytest.raises(BadResponseError, match=why):
            client.fetch_all()
        deep = b"[" * 900 + b"]" * 900  # parses, but no message to show: the client copes
        rep.hook = lambda _: Raw(503, deep, headers={"Retry-After": "0"})
        with pytest.raises(ApiError, match="503"):
            client.fetch_all(max_repair_rounds=0)
        rep.hook = None
        assert client.fetch_all().complete


# ------------------------------------------------------------------ row 8
@pytest.mark.parametrize("total", [-5, True, 4151.0, "4151", None])
def test_total_count_that_is_not_a_count_is_refused(tmp_path: Path, total: object) -> None:
    def lie(body: dict[str, Any], _: Exchange) -> None:
        body["pagination"]["total_count"] = total

    with (
        Replica(make_records(30, seed=9), api_key=KEY, as_of=TODAY, hook=rewrite(lie)) as rep,
        client_for(rep, tmp_path) as client,
    ):
        with pytest.raises(BadResponseError, match="is not a count"):
            client.fetch_all()
        assert rep.billed == client.credits_spent == 1


# ------------------------------------------------------------------ row 9
def churn_runs(runs: int = 20, **options: Any) -> list[tuple[bool, int, int, bool]]:
    """Sweep ``runs`` times while one record is removed and one added mid-sweep.

    Returns, per run: (complete, distinct licenses, total_count, set == a state
    the server held during the sweep).
    """
    out = []
    for run in range(runs):
        records = make_records(301, seed=100 + run, dates=25)
        extra, records = records[-1], records[:-1]
        removed = records[(run * 37) % 300]
        with Replica(records, as_of=TODAY, faults=Faults(latency=0.002)) as replica:
            before = {license_key(r) for r in replica.matching_records()}
            replica.schedule_change(1 + run % 9, insert=[extra], remove=[removed[s.WIUP_CODE]])
            client = SectorsClient(
                base_url=replica.url, journal_dir=None, progress=False, resume=False,
                max_in_flight=2, **options,
            )  # fmt: skip
            with client:
                result = client.fetch_all()
            after = {license_key(r) for r in replica.matching_records()}
        got = {license_key(r) for r in result.records}
        out.append((result.complete, len(got), result.total_count, got in (before, after)))
    return out


def test_records_churning_during_the_sweep_are_never_reported_complete_with_a_wrong_set() -> None:
    # without a record repeated per page, a remove-plus-add can pass for complete (wrongly)
    for complete, distinct, total, _ in churn_runs(overlap=0):
        assert not (complete and distinct != total)  # never more (or fewer) than total_count
    # by default each page repeats the last record of the page before, in an order that
    # (nearly) never ties: a mismatch at a boundary is movement, and it is repaired
    runs = churn_runs()
    wrong = [run for run, (complete, _, _, real) in enumerate(runs) if complete and not real]
    assert wrong == []
    for complete, distinct, total, a_real_state in runs:
        assert not complete or (a_real_state and distinct == total)
    assert sum(complete for complete, *_ in runs) >= 18  # and the repairs make it whole


def test_a_journal_from_another_state_of_the_data_is_never_taken_as_complete(
    tmp_path: Path,
) -> None:
    records = make_records(300, seed=20)
    with Replica(records[:290], api_key=KEY, as_of=TODAY) as replica:
        replica.faults = Faults(server_error_every=4)
        with client_for(replica, tmp_path, max_attempts=1, max_in_flight=2) as client:
            with pytest.raises(ApiError):
                client.fetch_all()
            assert journaled(tmp_path / "journal")
            replica.faults = Faults()
            replica.schedule_change(0, insert=records[290:])  # ten licenses added meanwhile
            result = client.fetch_all()
        now = {license_key(r) for r in replica.matching_records()}
    assert result.pages_from_journal > 0
    assert result.totals_seen == (290, 300)
    assert result.repaired_by  # the mixed pages were not trusted as they stood
    assert result.complete
    assert {license_key(r) for r in result.records} == now


# ----------------------------------------------------------------- row 10
def test_server_sending_20_records_when_asked_for_30_is_followed(tmp_path: Path) -> None:
    records = make_records(600, seed=10)
    with Replica(records, api_key=KEY, as_of=TODAY, faults=Faults(page_cap=20)) as replica:
        with client_for(replica, tmp_path) as client:
            result = client.fetch_all()
        assert result.complete
        assert len(result.records) == 600
        # the first page read twice (one short answer is not a page size), then 20 a page,
        # 19 new ones after the first: no other page bought twice
        assert result.credits_spent == replica.billed == 2 + -(-(600 - 20) // 19)
        assert any("sent 20 records a page when asked for 30" in n for n in result.notes)


def test_server_sending_50_records_when_asked_for_30_is_followed_too(tmp_path: Path) -> None:
    def fifty(exchange: Exchange) -> Raw | None:
        body = exchange.page()
        offset = exchange.offset or 0
        body["results"] = replica.matching_records()[offset : offset + 50]
        return Raw(200, json.dumps(body).encode())

    with Replica(make_records(600, seed=10), api_key=KEY, as_of=TODAY) as replica:
        replica.hook = fifty
        with client_for(replica, tmp_path) as client:
            result = client.fetch_all()
        assert result.complete
        assert len(result.records) == 600
        assert result.credits_spent == replica.billed == 2 + -(-(600 - 50) // 49)


# ----------------------------------------------------------------- row 11
def test_http_proxy_in_the_environment_never_sees_a_plain_http_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Replica([]) as proxy, Replica(make_records(60, seed=11), api_key=KEY) as replica:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with client_for(replica, tmp_path) as client:
            assert client.fetch_all().complete
        assert proxy.requests_served == 0
        assert replica.requests_served == 3
        # an https API may use the environment's HTTPS proxy: its traffic stays encrypted
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
        assert proxy_for("https://api.sectors.app") == "http://proxy.example:3128"
        assert proxy_for(replica.url) is None


# ----------------------------------------------------------------- row 12
def test_allow_insecure_no_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    with Replica([]) as replica:
        with pytest.raises(ConfigurationError, match="allow_insecure='no' must be True or False"):
            PullOptions(allow_insecure="no")
        with pytest.raises(ConfigurationError, match="allow_insecure"):
            SectorsClient(KEY, base_url="http://api.example.com", allow_insecure="no")
        with pytest.raises(ConfigurationError, match="allow_insecure"):
            pull(api_key=KEY, base_url=replica.url, allow_insecure="no", progress=False)
        assert replica.requests_served == 0
    # the command line's flags come from PullOptions, new ones included
    with pytest.raises(SystemExit) as done:
        main(["pull", "--help"])
    assert done.value.code == 0


# ----------------------------------------------------------------- row 13
def unwritable_folder(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes through permission bits: use a read-only file system
        folder = Path("/sys/kernel")
        if not folder.is_dir():
            pytest.skip("no read-only folder to test with")
        return folder
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


@pytest.mark.parametrize("case", ["read-only", "a file", "under a file"])
def test_store_read_only_or_a_file_is_refused_before_a_credit_is_spent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    store = {
        "read-only": lambda: unwritable_folder(tmp_path),
        "a file": lambda: a_file,
        "under a file": lambda: a_file / "store",
    }[case]()
    monkeypatch.setenv("MINING_LICENSES_DATA", str(store))
    monkeypatch.setenv("SECTORS_API_KEY", KEY)
    with Replica(make_records(30, seed=12), api_key=KEY) as replica:
        with pytest.raises(ConfigurationError, match="MINING_LICENSES_DATA"):
            pull(base_url=replica.url, progress=False)
        code = main(["pull", "--base-url", replica.url, "--no-progress"])
        assert replica.requests_served == 0
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("error: The snapshot store")
    assert "\n" not in err
    assert "no credit was spent" in err


# ----------------------------------------------------------------- row 14
def test_every_repair_request_failing_keeps_the_main_sweeps_records(tmp_path: Path) -> None:
    main_sweep = 43  # 1,237 records: 30, then 29 new ones a page
    since = [0]

    def hide_one_then_fail(exchange: Exchange) -> Raw | None:
        if exchange.number - since[0] > main_sweep:
            return Raw(500, b'{"error": "SERVER_ERROR", "message": "down"}')
        body = exchange.page()
        body["results"] = [r for r in body["results"] if r[s.WIUP_CODE] != hidden]
        return Raw(200, json.dumps(body).encode())

    with Replica(make_records(1237, seed=13), api_key=KEY, as_of=TODAY) as replica:
        hidden = replica.matching_records()[620][s.WIUP_CODE]  # in the page at offset 609
        replica.hook = hide_one_then_fail
        with client_for(replica, tmp_path, max_attempts=2) as client:
            result = client.fetch_all()
            assert (len(result.records), result.total_count, result.missing) == (1236, 1237, 1)
            assert not result.complete
            assert result.incomplete_reasons == ("short", "refused")
            assert any("failed" in note and "500" in note for note in result.notes)
            assert result.credits_spent == replica.billed == main_sweep
            since[0] = replica.requests_served
            with pytest.raises(IncompleteSweepError, match="refused"):
                client.fetch_all(strict=True)


# ----------------------------------------------------------------- row 15
@pytest.mark.parametrize("latency", [0.35, 1.0])
def test_timeouts_while_answers_are_still_produced_are_counted_and_bounded(
    tmp_path: Path, latency: float
) -> None:
    """timeout=0.3: a request is retried after 0.3 s and kept open until 0.6 s.

    At 0.35 s the late answer arrives while its connection is still held: it
    is counted exactly, and used. At 1.0 s every attempt is closed before the
    server answers (and bills): those are counted as possibly billed. The
    margins lie on the side a busy machine cannot cross: an answer is never
    earlier than its latency, and a late one has 0.25 s to spare (0.1 s, with
    timeout=0.2, failed once under load).
    """
    with Replica(make_records(60, seed=14), api_key=KEY, as_of=TODAY) as replica:
        replica.faults = Faults(latency=latency)
        with client_for(replica, tmp_path, timeout=0.3, max_attempts=2, max_in_flight=2) as client:
            try:
                result = client.fetch_all()
            except ApiError:
                result = None
            requests = client.requests_sent
        replica.faults = Faults()
        # the server finishes producing what the client gave up on (each takes `latency`)
        assert eventually(lambda: replica.requests_served == requests)
        assert replica.max_on_wire <= 2
        assert client.credits_spent <= replica.billed <= client.credits_upper_bound
        if latency < 0.6:
            assert result is not None
            assert result.complete
            assert client.credits_spent == replica.billed  # late answers seen, so exact
            assert result.credits_upper_bound == result.credits_spent
        else:
            assert result is None
            assert client.credits_spent == 0 < replica.billed == client.credits_upper_bound


# ---------------------------------------------------------- beyond the table
def test_damaged_snapshot_is_named_by_history(tmp_path: Path) -> None:
    frame = normalize_records(make_records(200, seed=15), fetched_at=dt.datetime(2026, 8, 1))
    path = write_snapshot(frame, store=tmp_path)
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 4, len(data) // 2):
        data[i] = 0x55  # the footer survives, the data pages do not
    path.write_bytes(bytes(data))
    lazy = history(tmp_path)  # still lazy: nothing read yet
    with pytest.raises(SnapshotError, match=path.name):
        lazy.collect()


def test_schema_errors_cut_long_values() -> None:
    record = make_records(1, seed=16)[0] | {s.COMMODITY: "Lithium" * 10_000}
    with pytest.raises(SchemaError) as caught:
        normalize_records([record], strict=True)
    assert len(str(caught.value)) < 600
    assert "..." in str(caught.value)


@pytest.mark.parametrize(
    ("location", "placed_by"),
    [
        (
            {
                "type": "Polygon",
                "coordinates": [[[116, -1], [117, -1], [116, -2], [116, -1]]],
                "properties": {"type": "Point", "coordinates": [116.5, -1.5]},
            },
            "regency",
        ),
        (
            {"type": "Point", "crs": {"type": "name"}, "coordinates": [13_000_000, -160_000]},
            "regency",
        ),
        ({"type": "Point", "coordinates": [116.5, "-1.5"]}, "regency"),
        ({"type": "Point", "coordinates": [116.5, -1.5]}, "api_point"),
    ],
)
def test_locations_are_parsed_not_pattern_matched(location: object, placed_by: str) -> None:
    record = make_records(1, seed=17)[0] | {s.LOCATION: location, s.CITY: "Paser"}
    record[s.PROVINCE] = "Kalimantan Timur"
    row = normalize_records([record]).row(0, named=True)
    assert row[s.GEOMETRY_SOURCE] == placed_by
    assert (s.ISSUE_LOCATION_MALFORMED in row[s.ISSUES]) == (placed_by != "api_point")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-05", dt.date(2025, 1, 5)),
        ("2025-01-05T10:00:00+07:00", dt.date(2025, 1, 5)),
        ("2025-01-05 garbage", None),
        ("2025-1-5", None),
        ("20250105", None),
    ],
)
def test_dates_are_parsed_not_pattern_matched(text: str, expected: dt.date | None) -> None:
    record = make_records(1, seed=18)[0] | {s.EXPIRY_DATE: text}
    row = normalize_records([record]).row(0, named=True)
    assert row[s.EXPIRY_DATE] == expected
    assert ("invalid_date:license_expiry_date" in row[s.ISSUES]) == (expected is None)


def test_a_default_pull_has_a_credit_ceiling(tmp_path: Path) -> None:
    """Without budget=, repairs and growth stop at auto_budget_factor x the sweep's pages."""
    with Replica(make_records(300, seed=19), api_key=KEY, as_of=TODAY) as replica:
        replica.faults = Faults(unstable_ties=True)
        with client_for(replica, tmp_path) as client:
            result = client.fetch_all(auto_budget_factor=1.0, max_repair_credits=1000)
        # 10 pages + one page a province at most; the unstable order makes repairs needed
        assert result.credits_spent == replica.billed <= 10 + len(s.PROVINCES)
        with client_for(replica, tmp_path) as client, pytest.raises(BudgetExceededError):
            client.fetch_all(budget=5)
