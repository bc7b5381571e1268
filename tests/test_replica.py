"""The replica answers like the endpoint: filters, ordering, paging, errors, faults."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError
from mining_licenses._wire import ENDPOINT_PATH
from mining_licenses.normalize import normalize_records
from mining_licenses.replica import DROP, Faults, Replica, records_from_frame, serve
from tests._replica_fixtures import TODAY, make_records

KEY = "replica-test-key"


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return make_records(200, seed=3, dates=12)


@pytest.fixture
def replica(records):
    with Replica(records, api_key=KEY, as_of=TODAY) as server:
        yield server


def get(replica: Replica, key: str | None = KEY, **params) -> httpx.Response:
    headers = {"Authorization": key} if key is not None else {}
    return httpx.get(replica.url + ENDPOINT_PATH, params=params, headers=headers, timeout=10)


def test_envelope_first_middle_last_and_past_the_end(replica, records):
    first = get(replica, limit=30).json()
    assert first["pagination"] == {
        "total_count": 200, "showing": 30, "limit": 30, "offset": 0, "has_next": True,
        "has_previous": False, "next_offset": 30, "previous_offset": None,
    }  # fmt: skip
    middle = get(replica, limit=30, offset=60).json()["pagination"]
    assert (middle["next_offset"], middle["previous_offset"], middle["has_previous"]) == (
        90, 30, True,
    )  # fmt: skip
    last = get(replica, limit=30, offset=180).json()
    assert last["pagination"]["showing"] == 20
    assert (last["pagination"]["has_next"], last["pagination"]["next_offset"]) == (False, None)
    beyond = get(replica, limit=30, offset=500).json()
    assert beyond["results"] == []
    assert beyond["pagination"]["previous_offset"] == 470
    default = get(replica).json()["pagination"]
    assert (default["limit"], default["offset"]) == (s.DEFAULT_PAGE_LIMIT, 0)
    # records are served exactly as given: raw spellings, not normalised
    served = {r[s.WIUP_CODE]: r for r in first["results"]}
    originals = {r[s.WIUP_CODE]: r for r in records}
    assert all(served[code] == originals[code] for code in served)
    assert replica.requests_served == 5
    assert replica.billed == 5  # an empty 200 page is billed too


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"limit": 31}, "limit=31"),
        ({"limit": 0}, "limit=0"),
        ({"limit": "x"}, "integer"),
        ({"offset": -1}, "negative"),
        ({"order_by": "company_name"}, "order_by"),
        ({"order_by": "+licensed_area_ha"}, "order_by"),
        ({"province": "Atlantis"}, "province"),
        ({"commodity_type": "Unobtainium"}, "commodity_type"),
        ({"expiring_soon": "maybe"}, "boolean"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_parameters_get_a_400_json_message_unbilled(replica, params, fragment):
    response = get(replica, **params)
    assert response.status_code == 400
    assert fragment in response.json()["message"]
    assert replica.billed == 0


def test_a_province_outside_the_providers_list_is_a_400(records):
    with Replica(records, provinces=["Jawa Barat"]) as server:
        assert get(server, key=None, province="Jawa Barat").status_code == 200
        refused = get(server, key=None, province="Papua Selatan")
    assert refused.status_code == 400
    assert "Papua Selatan" in refused.json()["message"]


def test_key_is_required_raw_without_bearer(replica):
    assert get(replica, key=None).status_code == 401
    assert get(replica, key="wrong").status_code == 401
    assert get(replica, key=f"Bearer {KEY}").status_code == 401
    assert get(replica).status_code == 200
    assert (replica.requests_served, replica.billed) == (4, 1)
    assert all(KEY not in str(entry) for entry in replica.log)


def test_unknown_path_is_404_and_billed(replica):
    response = httpx.get(replica.url + "/v2/mining/licences/", headers={"Authorization": KEY})
    assert response.status_code == 404
    assert replica.billed == 1


def test_filters_follow_the_api_semantics(replica, records):
    raw = normalize_records(records)

    def codes(**filters):
        body = get(replica, limit=30, **filters).json()
        total = body["pagination"]["total_count"]
        found = []
        for offset in range(0, total, 30):
            found += [
                r[s.WIUP_CODE]
                for r in get(replica, limit=30, offset=offset, **filters).json()["results"]
            ]
        return sorted(found)

    assert codes(province="Jawa Barat") == sorted(
        raw.filter(raw[s.PROVINCE] == "Jawa Barat")[s.WIUP_CODE]
    )
    # case-insensitive text filters; cnc spelling is noise
    assert codes(commodity_type="coal") == codes(commodity_type="COAL")
    assert codes(commodity_type="coal") == sorted(
        raw.filter(raw[s.COMMODITY] == "Coal")[s.WIUP_CODE]
    )
    clean = sorted(r[s.WIUP_CODE] for r in records if r[s.CNC] in ("CNC", "CnC"))
    assert codes(cnc="cnc") == clean
    assert codes(activity="eksplorasi") == sorted(
        r[s.WIUP_CODE] for r in records if r[s.ACTIVITY] == "Eksplorasi"
    )
    assert codes(license_type="iupk") == sorted(
        r[s.WIUP_CODE] for r in records if r[s.LICENSE_TYPE] == "IUPK"
    )
    # company matches the slug only, never the company name
    slugged = sorted(
        r[s.WIUP_CODE] for r in records if r[s.COMPANY_SLUG] == "jasa-tambang-nusantara"
    )
    assert slugged
    assert codes(company="jasa-tambang-nusantara") == slugged
    assert codes(company=records[1][s.COMPANY_NAME]) == []
    # expiring_soon: today <= expiry <= today + 365 (inclusive), as of the replica's today
    soon = sorted(
        r[s.WIUP_CODE]
        for r in records
        if TODAY <= dt.date.fromisoformat(r[s.EXPIRY_DATE]) <= TODAY + dt.timedelta(days=365)
    )
    assert codes(expiring_soon="true") == soon
    assert codes(expiring_soon="false") == sorted(r[s.WIUP_CODE] for r in records)
    replica.as_of = TODAY + dt.timedelta(days=4000)
    assert codes(expiring_soon="true") == []


def test_order_by_with_descending_and_stable_ties(replica, records):
    def sweep(order_by):
        out = []
        for offset in range(0, 200, 30):
            out += get(replica, limit=30, offset=offset, order_by=order_by).json()["results"]
        return out

    by_expiry = sweep("license_expiry_date")
    keys = [(r[s.EXPIRY_DATE], r[s.WIUP_CODE]) for r in by_expiry]
    assert keys == sorted(keys)  # ties broken by wiup_code
    areas = [float(r[s.AREA_HA]) for r in sweep("-licensed_area_ha")]
    assert areas == sorted(areas, reverse=True)
    commodities = [r[s.COMMODITY] for r in sweep("commodity_type")]
    assert commodities == sorted(commodities)
    effective = [r[s.EFFECTIVE_DATE] for r in sweep("-license_effective_date")]
    assert effective == sorted(effective, reverse=True)
    assert sweep("license_expiry_date") == by_expiry  # stable across requests
    assert replica.matching_records() == by_expiry


def test_unstable_ties_reorder_within_ties_only(replica):
    replica.faults = Faults(unstable_ties=True)
    pages = [get(replica, limit=30).json()["results"] for _ in range(4)]
    orders = {tuple(r[s.WIUP_CODE] for r in page) for page in pages}
    assert len(orders) > 1  # a different order from one request to the next
    for page in pages:
        dates = [r[s.EXPIRY_DATE] for r in page]
        assert dates == sorted(dates)  # but the sort key itself is respected


def test_faults_429_with_and_without_retry_after_500_and_drop(replica):
    replica.faults = Faults(rate_limit_every=2, retry_after=3)
    assert get(replica).status_code == 200
    limited = get(replica)
    assert limited.status_code == 429
    assert limited.json()["error"] == "RATE_LIMIT_EXCEEDED"
    assert limited.headers["Retry-After"] == "3"

    replica.faults = Faults(rate_limit_every=1)
    assert "Retry-After" not in get(replica).headers

    replica.faults = Faults(rate_limit_every=1, retry_after=30, retry_after_http_date=True)
    when = get(replica).headers["Retry-After"]
    assert when.endswith("GMT")

    replica.faults = Faults(server_error_every=1)
    assert get(replica).status_code == 500

    replica.faults = Faults(drop_every=1)
    with pytest.raises(httpx.RemoteProtocolError):
        get(replica)

    replica.faults = Faults()
    replica.fail_next(503, DROP, 429, retry_after=1)
    assert get(replica).status_code == 503
    with pytest.raises(httpx.RemoteProtocolError):
        get(replica)
    assert get(replica).headers["Retry-After"] == "1"
    assert get(replica).status_code == 200
    statuses = [entry.status for entry in replica.log]
    assert statuses == [200, 429, 429, 429, 500, None, 503, None, 429, 200]
    assert replica.billed == 2  # only the two 200s


def test_concurrent_service(replica, monkeypatch):
    # Eight requests answered side by side: each answer waits until all eight are
    # being answered at once (a barrier), which a one-at-a-time server never reaches.
    together = threading.Barrier(8, timeout=20)
    answer = replica._answer

    def answer_together(*args, **kwargs):
        together.wait()
        return answer(*args, **kwargs)

    monkeypatch.setattr(replica, "_answer", answer_together)
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: get(replica).status_code, range(8)))
    assert statuses == [200] * 8
    assert not together.broken


def test_data_changes_between_pages(replica, records):
    extra = make_records(205, seed=3, dates=12)[200:]
    gone = records[0][s.WIUP_CODE]
    replica.schedule_change(2, insert=extra, remove=[gone])
    assert get(replica).json()["pagination"]["total_count"] == 200
    assert get(replica).json()["pagination"]["total_count"] == 200
    assert get(replica).json()["pagination"]["total_count"] == 204
    codes = {r[s.WIUP_CODE] for r in replica.records}
    assert gone not in codes
    assert {r[s.WIUP_CODE] for r in extra} <= codes


def test_serves_a_canonical_frame(records):
    frame = normalize_records(records)
    back = records_from_frame(frame)
    assert [r[s.WIUP_CODE] for r in back] == [r[s.WIUP_CODE] for r in records]
    point = next(
        r for r, raw in zip(back, records, strict=True) if isinstance(raw[s.LOCATION], dict)
    )
    assert point[s.LOCATION]["type"] == "Point"
    with Replica(frame, as_of=TODAY) as server:
        body = get(server, key=None, province="Jawa Barat", limit=30).json()
    expected = frame.filter(frame[s.PROVINCE] == "Jawa Barat").height
    assert body["pagination"]["total_count"] == expected
    assert all(isinstance(r[s.EXPIRY_DATE], str) for r in body["results"])


def test_refuses_non_loopback_hosts_and_reports_when_stopped(records):
    with pytest.raises(ConfigurationError, match="loopback"):
        Replica(records, host="0.0.0.0")
    stopped = Replica(records)
    with pytest.raises(ConfigurationError, match="not running"):
        _ = stopped.url
    assert "stopped" in repr(stopped)


def test_serve_runs_until_stopped(records):
    stop = threading.Event()
    seen: list[str] = []

    def ready(server: Replica) -> None:
        seen.append(get(server, key=None).json()["pagination"]["total_count"])
        stop.set()

    thread = threading.Thread(
        target=serve, args=(records,), kwargs={"port": 0, "on_ready": ready, "stop": stop}
    )
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert seen == [200]
