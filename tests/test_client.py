"""SectorsClient against the replica over real loopback HTTP."""

from __future__ import annotations

import email.utils
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from mining_licenses import schema as s
from mining_licenses._errors import (
    ApiError,
    AuthenticationError,
    BudgetExceededError,
    ConfigurationError,
    IncompleteSweepError,
)
from mining_licenses._wire import ENDPOINT_PATH, license_key
from mining_licenses.client import SectorsClient, SweepResult
from mining_licenses.client._http import FRESH_SECONDS, _Stream
from mining_licenses.client._journal import LOG_NAME, Journal, frame, journal_pages
from mining_licenses.client._ratelimit import parse_retry_after
from mining_licenses.client._repair import repair_orders
from mining_licenses.replica import Faults, Replica
from mining_licenses.sample import generate_records
from tests._replica_fixtures import TODAY, make_records

KEY = "sk-live-7f3a9c1e5b2d4f60a8c7e9d1b3f5a7c9"  # a fake, distinctive enough to grep for
N = 600  # 20 pages of 30; 21 as the client sweeps them (each repeats one record)
PAGES = 21
GRID = list(range(0, PAGES * 29, 29))  # the offsets of a sweep that repeats one record a page
AUTO = f"-{s.AREA_HA}"  # the order a sweep without order_by runs in (areas rarely tie)
REPO = Path(__file__).resolve().parents[1]


def cost(records: int) -> int:
    """Pages (credits) a default sweep of ``records`` takes: 30, then 29 new ones a page."""
    return 1 if records <= 30 else 1 + -(-(records - 30) // 29)


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return make_records(N, seed=11, dates=25)


@pytest.fixture
def replica(records):
    with Replica(records, api_key=KEY, as_of=TODAY) as server:
        yield server


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    return tmp_path / "journal"


def make_client(replica: Replica, journal_dir: Path, **options) -> SectorsClient:
    settings = {"progress": False, "backoff": 0.01, "backoff_max": 0.05} | options
    return SectorsClient(KEY, base_url=replica.url, journal_dir=journal_dir, **settings)


def journaled(journal_dir: Path) -> list[int]:
    """The offsets of the whole pages in every journal under ``journal_dir``."""
    return sorted(
        offset
        for folder in (journal_dir.iterdir() if journal_dir.is_dir() else ())
        for offset, body in journal_pages(folder).items()
        if body is not None
    )


def offsets_served(replica: Replica, since: int = 0) -> list[int]:
    return sorted(e.offset for e in replica.log[since:] if e.status == 200 and e.offset is not None)


# ------------------------------------------------------------------ sweeps
def test_full_sweep_equals_the_replicas_set_exactly(replica, journal_dir):
    with make_client(replica, journal_dir) as client:
        result = client.fetch_all()
    assert result.order_by == AUTO
    assert result.records == replica.matching_records(order_by=AUTO)
    assert (result.total_count, result.pages, result.complete, result.missing) == (N, 21, True, 0)
    assert result.credits_spent == replica.billed == PAGES == cost(N)
    assert result.requests == replica.requests_served == PAGES
    assert result.duplicates_dropped == 0  # the record each page repeats on purpose is not one
    assert result.repaired_by == ()
    assert client.credits_spent == PAGES
    assert offsets_served(replica) == GRID
    assert not journaled(journal_dir)  # cleaned up on success
    shown = repr(result)
    assert shown.startswith(f"SweepResult({N} records of {N}, complete, 21 pages, 21 credits")
    assert s.WIUP_CODE not in shown  # the records themselves are never in the repr


def test_the_bundled_sample_sweeps_exactly(journal_dir):
    sample = generate_records()
    assert len(sample) == 4200
    cases = [{}, {"province": "Kalimantan Timur"}, {"commodity_type": "nickel", "cnc": "CNC"}]
    with (
        Replica(sample, api_key=KEY, as_of=TODAY) as server,
        make_client(server, journal_dir, max_in_flight=16) as client,
    ):
        for filters in cases:
            result = client.fetch_all(**filters)
            expected = server.matching_records(order_by=result.order_by, **filters)
            assert result.complete
            assert result.records == expected
            assert result.credits_spent == cost(len(expected))
        assert server.billed == client.credits_spent


@pytest.mark.parametrize(
    "filters",
    [
        {"province": "Jawa Barat"},
        {"commodity_type": "coal"},
        {"cnc": "CnC", "activity": "operasi produksi"},
        {"license_type": "IUP", "expiring_soon": True},
        {"expiring_soon": False},
        {"company": "jasa-tambang-nusantara"},
        {"province": "Papua Selatan"},  # nothing there: one empty, billed page
    ],
)
def test_filtered_sweeps_equal_the_replicas_filtered_set(replica, journal_dir, filters):
    with make_client(replica, journal_dir) as client:
        result = client.fetch_all(**filters)
    expected = replica.matching_records(order_by=AUTO, **filters)
    assert result.records == expected
    assert result.total_count == len(expected)
    assert result.complete
    assert result.credits_spent == cost(len(expected))
    sent = replica.log[0].params
    if "expiring_soon" in filters:
        assert sent["expiring_soon"] == str(filters["expiring_soon"]).lower()
    if "commodity_type" in filters:
        assert sent["commodity_type"] == "Coal"


def test_iter_pages_yields_in_offset_order(replica, journal_dir):
    with make_client(replica, journal_dir, max_in_flight=8) as client:
        pages = list(client.iter_pages(order_by="-licensed_area_ha", province="Kalimantan Timur"))
    expected = replica.matching_records(order_by="-licensed_area_ha", province="Kalimantan Timur")
    assert [p.offset for p in pages] == list(range(0, len(expected), 30))
    assert [r for p in pages for r in p.records] == expected
    assert not journal_dir.exists()  # iter_pages does not journal


def test_stopping_iteration_stops_buying_pages(replica, journal_dir):
    replica.faults = Faults(latency=0.05)
    with make_client(replica, journal_dir, max_in_flight=2) as client:
        pages = client.iter_pages()
        first = next(pages)
        second = next(pages)
        pages.close()
        time.sleep(0.15)
    assert (first.offset, second.offset) == (0, 30)
    assert replica.requests_served <= 1 + 2 + 2  # page 0, then at most two rounds in flight


def test_estimate_costs_one_page_which_the_sweep_then_reuses(replica, journal_dir):
    with make_client(replica, journal_dir) as client:
        estimate = client.estimate()
        assert (estimate.total_count, estimate.pages, estimate.credits) == (N, PAGES, PAGES - 1)
        assert estimate.credits_spent == replica.billed == 1
        assert estimate.order_by == AUTO
        result = client.fetch_all(budget=PAGES - 1)
    assert result.credits_spent == PAGES - 1
    assert result.pages_from_journal == 1
    assert replica.billed == PAGES
    assert result.records == replica.matching_records(order_by=AUTO)


# ----------------------------------------------------------------- budget
def test_budget_refuses_before_spending_beyond_page_one(replica, journal_dir):
    with make_client(replica, journal_dir) as client:
        with pytest.raises(BudgetExceededError, match="20 more credit"):
            client.fetch_all(budget=10)
        assert (replica.requests_served, replica.billed, client.credits_spent) == (1, 1, 1)
        with pytest.raises(BudgetExceededError):
            client.fetch_all(budget=0, resume=False)
        assert replica.requests_served == 1
        # the refused sweep's first page was journaled: the real one pays 20
        result = client.fetch_all(budget=PAGES)
    assert result.credits_spent == PAGES - 1
    assert replica.billed == PAGES


# --------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda c: c.fetch_all(order_by="company_name"), "order_by"),
        (lambda c: c.fetch_all(province="Atlantis"), "province"),
        (lambda c: c.fetch_all(colour="red"), "Unknown filter"),
        (lambda c: c.fetch_all(expiring_soon="maybe"), "boolean"),
        (lambda c: c.fetch_all(budget=-1), "budget"),
        (lambda c: c.estimate(commodity_type="Unobtainium"), "commodity_type"),
        (lambda c: c.iter_pages(order_by="-"), "order_by"),  # at the call, not at next()
    ],
)
def test_parameters_are_validated_before_any_request(replica, journal_dir, call, match):
    with (
        make_client(replica, journal_dir) as client,
        pytest.raises(ConfigurationError, match=match),
    ):
        call(client)
    assert replica.requests_served == 0


def test_client_settings_are_validated(replica, journal_dir):
    with pytest.raises(ConfigurationError, match="page_size=31 is out of range"):
        make_client(replica, journal_dir, page_size=31)
    with pytest.raises(ConfigurationError, match="max_in_flight"):
        make_client(replica, journal_dir, max_in_flight=0)
    with pytest.raises(ConfigurationError, match="max_in_flight=1000 is out of range"):
        make_client(replica, journal_dir, max_in_flight=1000)
    with pytest.raises(ConfigurationError, match="allow_insecure='no' must be True or False"):
        make_client(replica, journal_dir, allow_insecure="no")
    with pytest.raises(ConfigurationError, match="timeout=inf is out of range"):
        make_client(replica, journal_dir, timeout=float("inf"))
    with pytest.raises(ConfigurationError, match=r"budget=2\.5 must be a whole number"):
        make_client(replica, journal_dir, budget=2.5)
    with pytest.raises(ConfigurationError, match="Unknown option"):
        make_client(replica, journal_dir, max_inflight=2)
    with pytest.raises(ConfigurationError, match="max_in_flight configure the client"):
        make_client(replica, journal_dir).fetch_all(max_in_flight=2)
    with pytest.raises(ConfigurationError, match="http"):
        SectorsClient(KEY, base_url="http://api.sectors.app")
    with pytest.raises(ConfigurationError, match="http"):
        SectorsClient(KEY, base_url="ftp://api.sectors.app")
    SectorsClient(KEY, base_url="http://api.sectors.app", allow_insecure=True).close()
    SectorsClient(KEY, base_url="http://localhost:1").close()
    # no key for the real API: refused before any connection is attempted
    with pytest.raises(AuthenticationError, match="SECTORS_API_KEY"):
        SectorsClient(base_url="https://api.sectors.app").fetch_all()
    assert replica.requests_served == 0


# ----------------------------------------------------------- errors
def test_bad_key_is_a_typed_error_with_help_and_never_retried(replica, journal_dir):
    client = SectorsClient(
        "wrong-key", base_url=replica.url, journal_dir=journal_dir, progress=False
    )
    with pytest.raises(AuthenticationError, match="SECTORS_API_KEY") as caught:
        client.fetch_all()
    assert caught.value.status_code == 401
    assert "Invalid or missing API key" in str(caught.value)
    assert "wrong-key" not in str(caught.value)
    assert (replica.requests_served, client.credits_spent) == (1, 0)


@pytest.mark.parametrize(("status", "billed"), [(400, 0), (403, 0), (404, 1), (422, 0)])
def test_client_errors_are_not_retried(replica, journal_dir, status, billed):
    replica.fail_next(status)
    with make_client(replica, journal_dir) as client, pytest.raises(ApiError) as caught:
        client.fetch_all()
    assert caught.value.status_code == status
    assert replica.requests_served == 1
    assert client.credits_spent == billed == replica.billed


def retry_waits(caplog: pytest.LogCaptureFixture) -> list[float]:
    """The waits the client chose before each retry, as it logged them."""
    found = (
        re.search(r"retrying offset=\d+ in ([\d.]+) s", r.getMessage()) for r in caplog.records
    )
    return [float(m.group(1)) for m in found if m]


def test_retry_after_in_seconds_is_honoured_and_429_is_free(replica, journal_dir, caplog):
    caplog.set_level(logging.INFO, logger="mining_licenses.client")
    replica.fail_next(429, retry_after=0.4)
    with make_client(replica, journal_dir) as client:
        result = client.fetch_all()
    assert retry_waits(caplog) == [0.4]
    assert result.complete
    assert result.retries == 1
    assert result.credits_spent == PAGES
    assert result.requests == PAGES + 1
    assert replica.billed == PAGES


def test_retry_after_as_http_date_is_honoured(replica, journal_dir, caplog):
    caplog.set_level(logging.INFO, logger="mining_licenses.client")
    replica.faults = Faults(retry_after_http_date=True)
    replica.fail_next(429, retry_after=1.5)
    with make_client(replica, journal_dir) as client:
        result = client.fetch_all(province="Jawa Barat")
    (wait,) = retry_waits(caplog)
    assert 0 < wait <= 2  # HTTP dates have whole seconds: 1.5 s ahead is 1 or 2 s away
    assert result.complete
    assert result.retries == 1


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("tomorrow") is None
    soon = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert 55 < parse_retry_after(soon) <= 60
    assert parse_retry_after(email.utils.formatdate(0, usegmt=True)) == 0.0


@pytest.mark.parametrize(
    "faults",
    [
        Faults(rate_limit_every=3),  # 429 without Retry-After: exponential backoff
        Faults(server_error_every=4),
        Faults(drop_every=5),
        Faults(latency=0.01, rate_limit_every=7, retry_after=0.05, server_error_every=5),
    ],
    ids=["429", "500", "dropped", "mixed"],
)
def test_transient_faults_are_retried_and_cost_nothing(replica, journal_dir, faults):
    replica.faults = faults
    # Faults fall on every n-th request the replica counts, whichever page it is for: with
    # four in flight, one page can draw several in a row, so allow more attempts than usual.
    with make_client(replica, journal_dir, max_in_flight=4, max_attempts=20) as client:
        result = client.fetch_all()
    assert result.records == replica.matching_records(order_by=AUTO)
    assert result.retries > 0
    assert result.credits_spent == replica.billed == PAGES
    assert result.requests == replica.requests_served


def test_retries_are_bounded_in_attempts(replica, journal_dir):
    replica.faults = Faults(server_error_every=1)
    with (
        make_client(replica, journal_dir, max_attempts=3) as client,
        pytest.raises(ApiError) as caught,
    ):
        client.fetch_all()
    assert caught.value.status_code == 500
    assert "3 attempt" in str(caught.value)
    assert replica.requests_served == 3
    assert client.credits_spent == 0


def test_retries_are_bounded_in_time(replica, journal_dir, caplog):
    caplog.set_level(logging.INFO, logger="mining_licenses.client")
    replica.faults = Faults(rate_limit_every=1, retry_after=30)
    with (
        make_client(replica, journal_dir, max_retry_seconds=1) as client,
        pytest.raises(ApiError, match="Gave up") as caught,
    ):
        client.fetch_all()
    assert retry_waits(caplog) == []  # a 30 s wait beyond the 1 s allowed is not even started
    assert replica.requests_served == 1
    assert caught.value.status_code == 429


def test_timeouts_are_retried_then_reported(replica, journal_dir):
    replica.faults = Faults(latency=0.5)
    with (
        make_client(replica, journal_dir, timeout=0.1, max_attempts=2) as client,
        pytest.raises(ApiError, match="timed out") as caught,
    ):
        client.fetch_all()
    assert caught.value.status_code is None
    assert client.requests_sent == 2


def test_a_connection_just_used_is_not_polled_for_a_close_and_an_idle_one_is():
    class Inner:
        polls = 0

        def get_extra_info(self, info):
            Inner.polls += 1
            return True  # "readable": the server closed it

    stream = _Stream(Inner())
    assert stream.get_extra_info("is_readable") is False  # just made (or used): no poll
    assert Inner.polls == 0
    stream._used -= FRESH_SECONDS  # idle since: ask the socket
    assert stream.get_extra_info("is_readable") is True
    assert Inner.polls == 1


def test_a_server_closing_idle_connections_costs_no_credit(replica, journal_dir):
    with make_client(replica, journal_dir) as client:
        first = client.fetch_all(province="Jawa Barat")
        with replica._server.sockets_lock:  # the server drops every idle connection
            for sock in replica._server.open_sockets:
                sock.shutdown(socket.SHUT_RDWR)
        time.sleep(FRESH_SECONDS + 0.05)
        again = client.fetch_all(province="Jawa Barat")
    assert first.complete
    assert again.complete
    assert again.credits_spent == again.credits_upper_bound == again.pages
    assert again.retries == 0  # the closed connections were seen as closed, not tried


# ------------------------------------------------------- completeness
def naive_sweep(url: str) -> list[dict]:
    """What a careless client does: follow next_offset one page after another."""
    records, offset = [], 0
    with httpx.Client(headers={"Authorization": KEY}) as http:
        while offset is not None:
            body = http.get(url + ENDPOINT_PATH, params={"limit": 30, "offset": offset}).json()
            records += body["results"]
            offset = body["pagination"]["next_offset"]
    return records


def test_unstable_ties_lose_records_for_a_naive_loop_not_for_the_client(replica, journal_dir):
    replica.faults = Faults(unstable_ties=True)
    naive = naive_sweep(replica.url)
    distinct = {license_key(r) for r in naive}
    assert len(naive) == N  # the right number of rows...
    assert len(distinct) < N  # ...but some are duplicates and others were never seen

    # the client sweeps by area, which (nearly) never ties: nothing to lose, nothing to repair
    with make_client(replica, journal_dir) as client:
        result = client.fetch_all()
    assert result.complete
    assert result.missing == 0
    assert result.repaired_by == ()
    assert sorted(map(license_key, result.records)) == sorted(
        map(license_key, replica.matching_records())
    )
    assert len(result.records) == N
    assert result.credits_spent == PAGES
    assert replica.billed == 20 + PAGES  # the naive loop's 20, then the client's


def test_unstable_ties_in_an_order_that_ties_are_repaired_by_reading_the_tie_groups(
    journal_dir,
):
    # 600 records on 40 expiry dates: groups of up to 23, straddling most page boundaries
    records = make_records(N, seed=11, dates=40)
    with Replica(records, as_of=TODAY, faults=Faults(unstable_ties=True)) as server:
        with make_client(server, journal_dir) as client:
            result = client.fetch_all(order_by=s.EXPIRY_DATE)
        expected = server.matching_records()
        billed = server.billed
    assert result.complete
    assert result.repaired_by == ("tie groups",)
    assert sorted(map(license_key, result.records)) == sorted(map(license_key, expected))
    assert len(result.records) == N
    windows = result.credits_spent - PAGES  # one page per group that lost records
    assert 0 < windows < PAGES
    assert result.credits_spent == billed


def test_a_tie_group_too_large_for_one_page_is_repaired_by_another_order(replica, journal_dir):
    # 25 dates: some groups of 29 and 38 records, which no page of 30 holds with a neighbour
    replica.faults = Faults(unstable_ties=True)
    with make_client(replica, journal_dir) as client:
        result = client.fetch_all(order_by=s.EXPIRY_DATE)
    assert result.complete
    assert result.repaired_by == ("order_by=licensed_area_ha",)  # no window read in vain
    assert len(result.records) == N
    assert result.credits_spent == replica.billed == 2 * PAGES


def test_repair_by_province_when_every_order_ties(journal_dir):
    # every sort key ties: no re-sweep order helps, a split by province does
    records = make_records(180, seed=2)
    for record in records:
        record[s.EXPIRY_DATE], record[s.EFFECTIVE_DATE] = "2027-01-01", "2017-01-01"
        record[s.AREA_HA], record[s.COMMODITY] = 100.0, "Coal"
    # and the endpoint refuses two provinces (the provider lists 36 of 38): skipped, free
    listed = s.PROVINCES[:-2]
    with Replica(
        records, as_of=TODAY, faults=Faults(unstable_ties=True), seed=4, provinces=listed
    ) as server:
        client = SectorsClient(base_url=server.url, journal_dir=journal_dir, progress=False)
        result = client.fetch_all()
        expected = server.matching_records()
        billed = server.billed
        refused = [e for e in server.log if e.status == 400]
    assert sorted(e.params["province"] for e in refused) == sorted(s.PROVINCES[-2:])
    assert result.complete
    assert result.repaired_by == ("province",)  # the first pages showed every order tying
    assert sorted(map(license_key, result.records)) == sorted(map(license_key, expected))
    # each province holds fewer than 30 here: one page per province settles it, after
    # the first page of each sweep order (3) and the rest of the main sweep (6)
    assert result.credits_spent == billed == 3 + 6 + len(listed)


def test_repairs_prefer_the_area_then_another_sort_field():
    assert repair_orders("license_expiry_date")[:2] == [s.AREA_HA, s.EFFECTIVE_DATE]
    assert repair_orders(f"-{s.AREA_HA}")[:3] == [s.AREA_HA, s.EFFECTIVE_DATE, s.EXPIRY_DATE]
    assert repair_orders(s.AREA_HA)[0] == f"-{s.AREA_HA}"  # areas rarely tie: reversed, first
    assert repair_orders(s.EXPIRY_DATE)[-1] == f"-{s.EXPIRY_DATE}"  # its own field: last
    # fields the first pages showed tying heavily go last
    assert repair_orders(f"-{s.AREA_HA}", heavy={s.AREA_HA})[-1] == s.AREA_HA


def test_an_unrepairable_shortfall_is_reported_and_strict_raises(replica, journal_dir):
    replica.faults = Faults(unstable_ties=True)
    with make_client(replica, journal_dir) as client:
        result = client.fetch_all(max_repair_rounds=0, order_by=s.EXPIRY_DATE)
        assert not result.complete
        assert result.missing == N - len({license_key(r) for r in result.records}) > 0
        assert result.credits_spent == PAGES
        with pytest.raises(IncompleteSweepError, match="missing"):
            client.fetch_all(max_repair_credits=0, strict=True, order_by=s.EXPIRY_DATE)
    # a strict failure keeps the journal, so a rerun costs less
    assert journaled(journal_dir)


def test_repairs_respect_the_budget(replica, journal_dir):
    replica.faults = Faults(unstable_ties=True)
    with make_client(replica, journal_dir) as client:
        result = client.fetch_all(budget=25, order_by=s.EXPIRY_DATE)
    assert not result.complete
    # reading the tie groups, or another sweep, did not fit in the 4 credits left
    assert result.credits_spent == replica.billed == PAGES


def test_data_changing_between_pages_is_caught(replica, journal_dir, records):
    extra = make_records(N + 15, seed=11, dates=25)[N:]
    removed = [r[s.WIUP_CODE] for r in records[:5]]
    replica.faults = Faults(latency=0.01)
    replica.schedule_change(6, insert=extra, remove=removed)
    with make_client(replica, journal_dir, max_in_flight=2) as client:
        result = client.fetch_all()
    now = replica.matching_records()
    assert len(now) == N + 10
    assert result.complete
    assert not result.data_changed
    assert result.total_count == N + 10
    assert len(result.totals_seen) > 1
    assert result.repaired_by[0] == "order_by=licensed_area_ha"
    # exactly the current set: nothing current missing, nothing removed kept
    assert sorted(map(license_key, result.records)) == sorted(map(license_key, now))


def test_records_without_wiup_code_are_counted_by_content(journal_dir):
    records = make_records(40, seed=5)
    for i, record in enumerate(records[:3]):
        record[s.WIUP_CODE] = None
        record[s.LICENSE_NUMBER] = f"no-code-{i}"
    with Replica(records, as_of=TODAY) as server:
        client = SectorsClient(base_url=server.url, journal_dir=journal_dir, progress=False)
        result = client.fetch_all()
    assert result.complete
    assert len(result.records) == 40


# ------------------------------------------------------------- resume
def test_resume_after_an_error_fetches_only_missing_pages(replica, journal_dir):
    replica.faults = Faults(server_error_every=9)
    with make_client(replica, journal_dir, max_attempts=1, max_in_flight=2) as client:
        with pytest.raises(ApiError):
            client.fetch_all()
        kept = journaled(journal_dir)
        assert kept == offsets_served(replica)  # every page paid for was kept
        first_run = len(replica.log)
        replica.faults = Faults()
        result = client.fetch_all()
    assert result.records == replica.matching_records(order_by=AUTO)
    again = offsets_served(replica, since=first_run)
    assert sorted(set(again) | set(kept)) == GRID
    assert not set(again) & set(kept)
    assert result.pages_from_journal == len(kept)
    assert replica.billed == PAGES


CHILD = textwrap.dedent(
    """
    import sys
    from mining_licenses.client import SectorsClient

    client = SectorsClient(
        sys.argv[3], base_url=sys.argv[1], journal_dir=sys.argv[2], max_in_flight=2,
        progress=False,
    )
    client.fetch_all(province=None)
    print("finished")
    """
)


def test_a_killed_sweep_resumes_without_buying_pages_twice(replica, journal_dir):
    replica.faults = Faults(latency=0.08)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, replica.url, str(journal_dir), KEY],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while replica.billed < 9 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    out, _ = child.communicate(timeout=10)
    assert b"finished" not in out
    time.sleep(0.2)  # requests in flight at the kill finish on the server side
    billed_first = replica.billed
    kept = journaled(journal_dir)
    assert 9 - 2 <= len(kept) < PAGES  # at most max_in_flight paid for but lost
    assert set(kept) <= set(offsets_served(replica))
    first_run = len(replica.log)

    replica.faults = Faults()
    with make_client(replica, journal_dir) as client:
        result = client.fetch_all()
    again = offsets_served(replica, since=first_run)
    assert result.records == replica.matching_records(order_by=AUTO)
    assert not set(again) & set(kept)  # no journaled page bought again
    assert sorted(again + kept) == GRID
    assert result.credits_spent == PAGES - len(kept)
    assert result.pages_from_journal == len(kept)
    # the figures, shown with a failure's report (not among pytest's dots)
    logging.getLogger(__name__).info(
        "resume: first run billed %d (journaled %d), rerun billed %d, total %d for %d pages",
        billed_first,
        len(kept),
        result.credits_spent,
        replica.billed,
        PAGES,
    )


TORN_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    import mining_licenses.client._journal as journal
    from mining_licenses.client import SectorsClient

    appended, write_whole = [0], journal._append

    def killed_mid_append(fd, parts):
        appended[0] += 1
        if appended[0] == int(sys.argv[4]):  # half of this page's frame, then SIGKILL
            data = b"".join(parts)
            os.write(fd, data[: len(data) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
        write_whole(fd, parts)

    journal._append = killed_mid_append
    client = SectorsClient(
        sys.argv[3], base_url=sys.argv[1], journal_dir=sys.argv[2], max_in_flight=2,
        progress=False,
    )
    client.fetch_all()
    print("finished")
    """
)


def test_a_sweep_killed_mid_append_never_replays_the_torn_page(replica, journal_dir):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.run(
        [sys.executable, "-c", TORN_CHILD, replica.url, str(journal_dir), KEY, "8"],
        env=env, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert child.returncode == -signal.SIGKILL
    assert b"finished" not in child.stdout
    (folder,) = journal_dir.iterdir()
    log = (folder / LOG_NAME).read_bytes()
    kept = journaled(journal_dir)
    assert len(kept) == 7  # the seven pages appended whole before the kill
    whole = sum(len(frame(o, body or b"")) for o, body in journal_pages(folder).items())
    assert len(log) > whole  # and half of the eighth: a torn tail
    first_run = len(replica.log)

    with make_client(replica, journal_dir) as client:
        result = client.fetch_all()
    again = offsets_served(replica, since=first_run)
    assert result.complete
    assert result.records == replica.matching_records(order_by=AUTO)
    assert result.pages_from_journal == 7  # the torn page was not replayed...
    assert sorted(again + kept) == GRID  # ...but bought again, with every page not kept
    assert result.credits_spent == PAGES - 7


def test_the_journal_cuts_a_torn_tail_before_appending_again(tmp_path):
    journal = Journal(tmp_path, {"sweep": 1}, max_age=60)
    journal.save(0, b'{"results": [], "pagination": {"total_count": 0}}')
    journal.close()
    log = journal.path / LOG_NAME
    whole = log.read_bytes()
    log.write_bytes(whole + frame(29, b'{"results": []}')[:-5])  # killed mid-append
    again = Journal(tmp_path, {"sweep": 1}, max_age=60)
    assert list(again.load()) == [0]
    assert log.read_bytes() == whole  # cut off before anything is appended
    again.save(29, b"{}")
    again.close()
    assert list(journal_pages(journal.path)) == [0, 29]


def test_keep_journal_until_discarded(replica, journal_dir):
    with make_client(replica, journal_dir) as client:
        result = client.fetch_all(keep_journal=True, province="Jawa Barat")
        assert result.journal_paths
        assert all(p.is_dir() and p.parent == journal_dir for p in result.journal_paths)
        again = client.fetch_all(province="Jawa Barat")
        assert again.credits_spent == 0
        assert again.pages_from_journal == again.pages
        client.discard_journal(result)
    assert not any(p.exists() for p in result.journal_paths)


def test_stale_or_damaged_journal_pages_are_bought_again(replica, journal_dir):
    with make_client(replica, journal_dir, journal_max_age=0.2) as client:
        kept = client.fetch_all(keep_journal=True, province="Jawa Barat")
        (folder,) = kept.journal_paths
        log = folder / LOG_NAME
        pages = journal_pages(folder)
        last = max(pages)
        pages[last] = b"{not json"  # a whole frame (right checksum) that is not a page
        log.write_bytes(b"".join(frame(o, body or b"") for o, body in pages.items()))
        again = client.fetch_all(keep_journal=True, province="Jawa Barat")
        assert again.credits_spent == 1  # only the damaged page
        assert again.records == kept.records
        time.sleep(0.3)
        stale = client.fetch_all(province="Jawa Barat")
    assert stale.pages_from_journal == 0
    assert stale.credits_spent == stale.pages


def test_journals_do_not_mix_filter_sets(replica, journal_dir):
    with make_client(replica, journal_dir) as client:
        a = client.fetch_all(keep_journal=True, province="Jawa Barat")
        b = client.fetch_all(keep_journal=True, province="Maluku Utara")
        c = client.fetch_all(keep_journal=True, province="Jawa Barat", order_by=s.AREA_HA)
    assert len({a.journal_paths, b.journal_paths, c.journal_paths}) == 3
    assert c.pages_from_journal == 0
    assert {r[s.PROVINCE] for r in b.records} == {"Maluku Utara"}


# ----------------------------------------------------------- secrecy
def test_the_key_never_appears_in_files_logs_reprs_or_errors(
    replica, journal_dir, tmp_path, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    replica.faults = Faults(rate_limit_every=4, drop_every=7)
    with make_client(replica, journal_dir, progress=True) as client:
        texts += [repr(client), str(vars(client)), str(vars(client._transport))]
        result = client.fetch_all(keep_journal=True)
        texts += [repr(result), str(result.metadata())]
        texts.append(repr(client.estimate(province="Jawa Barat")))
        replica.fail_next(400)
        with pytest.raises(ApiError) as bad:
            client.fetch_all(province="Maluku Utara")
        texts += [str(bad.value), repr(bad.value)]
    wrong = KEY[::-1]
    with pytest.raises(AuthenticationError) as refused:
        SectorsClient(
            wrong, base_url=replica.url, journal_dir=journal_dir, progress=False
        ).fetch_all(resume=False)
    texts += [str(refused.value), repr(refused.value)]
    captured = capsys.readouterr()
    texts += [captured.out, captured.err, caplog.text]
    texts += [str(r.__dict__) for r in caplog.records]
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == LOG_NAME for p in written)  # the scan saw the journal
    assert "page" in captured.err  # and the progress bar
    for path in written:
        data = path.read_bytes()
        assert KEY.encode() not in data, path
        assert wrong.encode() not in data, path
    for text in texts:
        assert KEY not in text
        assert wrong not in text


def test_sweep_result_repr_is_short_and_metadata_is_json_ready(replica, journal_dir):
    with make_client(replica, journal_dir) as client:
        result = client.fetch_all()
    assert isinstance(result, SweepResult)
    assert len(repr(result)) < 200
    meta = result.metadata()
    assert meta["records"] == N
    assert meta["complete"] is True
    assert meta["credits_spent"] == PAGES
