"""What a full sweep costs: credits against ceil(total / 30), under stable and unstable ties.

A sweep without ``order_by`` runs by area (nearly unique, so few ties sit at
page boundaries); each page repeats the last record of the page before, so a
record that moved between two requests shows at their boundary; tie groups
that lost records there (the API ordered the ties anew between requests) are
read again in one page each, checked against the pages around them.
"""

from __future__ import annotations

import math

import pytest

from mining_licenses import schema as s
from mining_licenses._wire import license_key
from mining_licenses.client import SectorsClient
from mining_licenses.client._query import Page, Query
from mining_licenses.client._ties import TieGroup, boundaries
from mining_licenses.client._windows import _agrees
from mining_licenses.replica import Faults, Replica
from mining_licenses.sample import generate_records
from tests._replica_fixtures import TODAY, make_records

AUTO = f"-{s.AREA_HA}"


@pytest.fixture(scope="module")
def sample() -> list[dict]:
    return generate_records()


def sweep(records: list[dict], faults: Faults, seed: int = 0, **options: object):
    with Replica(records, faults=faults, seed=seed, as_of=TODAY) as replica:
        settings = {"journal_dir": None, "resume": False, "progress": False}
        # faults fall on every n-th request the replica counts, whichever page it is for: one
        # page can draw several in a row, so it may try more often than by default
        settings |= {"backoff": 0.01, "backoff_max": 0.05, "max_in_flight": 8, "max_attempts": 20}
        settings |= options
        with SectorsClient(base_url=replica.url, **settings) as client:
            result = client.fetch_all()
        truth = {license_key(r) for r in replica.matching_records()}
        billed = replica.billed
    assert result.credits_spent == billed
    return result, truth


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_sample_costs_at_most_1_3_times_its_pages_under_unstable_ties_429s_and_500s(
    sample, seed
):
    faults = Faults(unstable_ties=True, rate_limit_every=7, server_error_every=11)
    result, truth = sweep(sample, faults, seed)
    minimum = math.ceil(len(sample) / 30)  # 140
    assert result.complete
    assert {license_key(r) for r in result.records} == truth
    assert result.order_by == AUTO
    assert result.credits_spent <= 1.3 * minimum
    # the pages (145: each repeats one record), then one page per tie group that lost records
    assert result.credits_spent - result.pages == result.credits_spent - 145 < 0.15 * minimum
    assert result.repaired_by in ((), ("tie groups",))


def test_the_sample_costs_its_pages_and_one_in_29_more_under_stable_ties(sample):
    result, truth = sweep(sample, Faults(rate_limit_every=7, server_error_every=11))
    assert result.complete
    assert {license_key(r) for r in result.records} == truth
    # 4,200 records: 30, then 29 new ones a page; ties straddle boundaries, but a server
    # that breaks them the same way each time loses nothing there: no page is read again
    assert result.credits_spent == result.pages == 1 + math.ceil((4200 - 30) / 29) == 145
    assert result.repaired_by == ()
    assert result.retries > 0


def test_a_first_page_that_ties_heavily_makes_the_sweep_try_the_next_order():
    records = make_records(300, seed=7, dates=300)
    for record in records[:40]:  # the forty largest areas are all the same
        record[s.AREA_HA] = 999_999
    with Replica(records, as_of=TODAY) as replica:
        with SectorsClient(base_url=replica.url, journal_dir=None, progress=False) as client:
            result = client.fetch_all()
        firsts = [e.params["order_by"] for e in replica.log if e.offset == 0]
    assert firsts == [AUTO, f"-{s.EFFECTIVE_DATE}"]
    assert result.order_by == f"-{s.EFFECTIVE_DATE}"
    assert result.complete
    assert result.credits_spent == 1 + 1 + math.ceil((300 - 30) / 29)  # one page to learn it


def test_a_first_page_holding_everything_needs_no_choice():
    records = make_records(25, seed=8)
    for record in records:
        record[s.AREA_HA] = 5
    with (
        Replica(records, as_of=TODAY) as replica,
        SectorsClient(base_url=replica.url, journal_dir=None, progress=False) as client,
    ):
        result = client.fetch_all()
    assert (result.complete, result.credits_spent, result.order_by) == (True, 1, AUTO)


def page(offset: int, areas: list[float], tag: str = "") -> Page:
    records = [{s.WIUP_CODE: f"{offset + i}{tag}", s.AREA_HA: area} for i, area in enumerate(areas)]
    return Page(offset=offset, limit=30, records=records, total_count=59)


def test_a_mismatch_on_a_tie_is_noise_and_on_the_sort_key_is_movement():
    query = Query((), AUTO, 30, overlap=1)
    first = page(0, [100.0 - i for i in range(27)] + [50.0, 50.0, 50.0])
    tied = page(29, [50.0, 50.0] + [40.0 - i for i in range(28)], tag="b")  # ties reordered
    found = boundaries({0: first, 29: tied}, query, 30)
    assert found.moved == []
    assert found.ties == [TieGroup(29, 27, 30, matched=False)]  # places 27-30, both sides
    shifted = page(29, [49.0] + [40.0 - i for i in range(29)], tag="c")
    assert boundaries({0: first, 29: shifted}, query, 30).moved == [29]


def test_a_window_that_shows_the_data_moved_is_never_used():
    first = page(0, [100.0 - i for i in range(27)] + [50.0, 50.0, 50.0])
    second = page(29, [50.0, 50.0] + [40.0 - i for i in range(28)])
    second.records[1] = {s.WIUP_CODE: "30", s.AREA_HA: 50.0}
    group = TieGroup(29, 27, 30, matched=True)
    observed = {
        q: [r for o, p in ((0, first), (29, second)) for i, r in enumerate(p.records) if o + i == q]
        for q in range(24, 34)
    }
    members = [first.records[27], first.records[28], first.records[29], second.records[1]]
    good = Page(26, 30, [first.records[26], *members, second.records[2]], 59)
    assert _agrees(group, good, observed, s.AREA_HA)
    # one record removed before the group between the pages and the window: all shift by one
    moved = Page(26, 30, [*members, second.records[2], second.records[3]], 59)
    assert not _agrees(group, moved, observed, s.AREA_HA)
    # a member replaced by another record with the same area: the data changed
    other = {s.WIUP_CODE: "new", s.AREA_HA: 50.0}
    replaced = Page(26, 30, [first.records[26], *members[:3], other, second.records[2]], 59)
    assert not _agrees(group, replaced, observed, s.AREA_HA)
