"""The package answers like the API: local filters and analytics vs the replica.

A full sweep pulled through the client and filtered (or analysed) locally
must give exactly the licenses the endpoint returns for the same filters on
the same day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import polars as pl
import pytest

from mining_licenses import schema as s
from mining_licenses._filters import apply_filters
from mining_licenses.analytics import expiring_soon
from mining_licenses.loader import fetch_licenses
from mining_licenses.replica import Replica
from mining_licenses.sample import generate_records


@pytest.fixture(scope="module")
def replica() -> Iterator[Replica]:
    today = dt.datetime.now(dt.UTC).date()
    # The sample is dated 2026-11-01; re-date it so "today" falls inside its range.
    with Replica(generate_records(), as_of=today) as server:
        yield server


@pytest.fixture(scope="module")
def full_sweep(replica: Replica, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    store = tmp_path_factory.mktemp("store")  # its journal too: never the user's data folder
    return fetch_licenses(base_url=replica.url, store=store, write=False, progress=False)


def codes(frame: pl.DataFrame) -> list[tuple[str | None, str | None]]:
    return sorted(
        frame.select(s.WIUP_CODE, s.LICENSE_NUMBER).iter_rows(),
        key=lambda r: (str(r[0]), str(r[1])),
    )


def served(replica: Replica, **filters: object) -> list[tuple[str | None, str | None]]:
    records = replica.matching_records(**filters)
    return sorted(
        ((r.get(s.WIUP_CODE), r.get(s.LICENSE_NUMBER)) for r in records),
        key=lambda r: (str(r[0]), str(r[1])),
    )


def test_full_sweep_is_the_whole_registry(replica: Replica, full_sweep: pl.DataFrame) -> None:
    assert full_sweep.height == len(replica.records)
    assert codes(full_sweep) == served(replica)


def test_expiring_soon_equals_the_api_on_the_same_day(
    replica: Replica, full_sweep: pl.DataFrame
) -> None:
    local = expiring_soon(full_sweep)  # as of the sweep's fetched_at: today
    assert isinstance(local, pl.DataFrame)
    api = served(replica, expiring_soon=True)
    assert len(api) > 0
    assert codes(local) == api
    pulled = fetch_licenses(base_url=replica.url, write=False, progress=False, expiring_soon=True)
    assert codes(pulled) == api


@pytest.mark.parametrize(
    "filters",
    [
        {"province": "Kalimantan Timur"},
        {"commodity_type": "nickel"},
        {"license_type": "iupk"},
        {"activity": "eksplorasi"},
        {"cnc": "cnc"},
        {"cnc": "non-CNC"},
        {"commodity_type": "Coal", "province": "Kalimantan Selatan", "expiring_soon": True},
    ],
    ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()),
)
def test_local_filters_equal_the_api(
    replica: Replica, full_sweep: pl.DataFrame, filters: dict[str, object]
) -> None:
    today = dt.datetime.now(dt.UTC).date()
    local = apply_filters(full_sweep, filters, as_of=today)
    api = served(replica, **filters)
    assert len(api) > 0
    assert codes(local) == api
