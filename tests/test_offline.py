"""Offline first: with the API down, the newest stale snapshot (said so), then the sample.

Why (issue 16, "No offline fallback"): with a key set, only a stale snapshot
and the API down, ``load_licenses()`` raised instead of returning the stale
snapshot with a ``StaleSnapshotWarning``; ``max_age=0`` gave a raw TypeError.
"""

from __future__ import annotations

import datetime as dt
import math
import socket
import warnings
from pathlib import Path

import polars as pl
import pytest

from mining_licenses._errors import (
    ApiError,
    AuthenticationError,
    BudgetExceededError,
    ConfigurationError,
    StaleSnapshotWarning,
    SyntheticDataWarning,
)
from mining_licenses.loader import load_licenses, load_with_provenance
from mining_licenses.store import find_snapshot, read_snapshot, write_snapshot
from tests._replica_fixtures import make_records

KEY = "sk-test-0123456789abcdef"
QUICK = {"max_attempts": 1, "progress": False}  # one try a page: the test needs no patience


def closed_port() -> str:
    """A loopback URL nobody listens on: every connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def stale_store(tmp_path: Path) -> tuple[Path, pl.DataFrame]:
    from mining_licenses.normalize import normalize_records

    month_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    frame = normalize_records(make_records(40, seed=9), fetched_at=month_ago)
    write_snapshot(frame, store=tmp_path, meta={"source": "api", "complete": True})
    return tmp_path, frame


def test_api_down_gives_the_stale_snapshot_and_names_the_failure(tmp_path: Path) -> None:
    store, frame = stale_store(tmp_path)
    with pytest.warns(StaleSnapshotWarning) as said:
        loaded = load_licenses(
            api_key=KEY, base_url=closed_port(), store=store, as_="polars", **QUICK
        )
    assert loaded.equals(read_snapshot(find_snapshot(store=store)))  # type: ignore[arg-type]
    assert loaded.height == frame.height
    message = str(said[0].message)
    assert "could not be reached or failed" in message
    assert "ApiError" in message
    assert "strict=True" in message
    assert KEY not in message


def test_api_down_and_no_snapshot_gives_the_sample_labelled(tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        frame, meta = load_with_provenance(
            api_key=KEY, base_url=closed_port(), store=tmp_path, **QUICK
        )
    assert meta.synthetic
    assert meta.source == "sample"
    assert frame.height == 4200
    kinds = {w.category for w in said}
    assert {SyntheticDataWarning, StaleSnapshotWarning} <= kinds
    why = next(str(w.message) for w in said if w.category is StaleSnapshotWarning)
    assert "SYNTHETIC" in why
    assert "could not be reached" in why


def test_strict_or_source_api_raise_instead(tmp_path: Path) -> None:
    store, _ = stale_store(tmp_path)
    url = closed_port()
    with pytest.raises(ApiError):
        load_licenses(api_key=KEY, base_url=url, store=store, strict=True, **QUICK)
    with pytest.raises(ApiError):
        load_licenses(source="api", api_key=KEY, base_url=url, store=store, **QUICK)


@pytest.mark.parametrize(
    "odd", [-1, dt.timedelta(days=-1), "7d", True, math.nan, math.inf, [1], 10**15]
)
def test_odd_max_age_values_are_a_clear_error(odd: object, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="max_age") as caught:
        load_licenses(source="snapshot", store=tmp_path, max_age=odd)  # type: ignore[arg-type]
    assert "timedelta" in str(caught.value)


def test_max_age_zero_and_seconds_have_a_meaning(tmp_path: Path) -> None:
    store, frame = stale_store(tmp_path)
    assert find_snapshot(store=store, max_age=0) is None  # nothing is that fresh
    assert find_snapshot(store=store, max_age=dt.timedelta(days=31)) is not None
    assert find_snapshot(store=store, max_age=31 * 86_400.0) is not None  # seconds
    with pytest.warns(StaleSnapshotWarning, match="no API key"):
        loaded = load_licenses(store=store, max_age=0, as_="polars")
    assert loaded.height == frame.height


# An outage (worth waiting out) falls back; a refusal (the key, the request, the credit) is shown.
_DOWN = b'{"error": "SERVER_ERROR", "message": "down"}'
_REFUSED = b'{"error": "NO", "message": "refused"}'


@pytest.mark.parametrize(
    ("answer", "falls_back"),
    [
        ((500, _DOWN), True),
        ((503, _DOWN), True),
        ((429, b'{"error": "RATE_LIMIT_EXCEEDED"}'), True),
        ((200, b"<html>not a page</html>"), True),
        ((401, _REFUSED), False),
        ((403, _REFUSED), False),
        ((402, b'{"message": "Insufficient credits"}'), False),
        ((400, _REFUSED), False),
        ((404, _REFUSED), False),
    ],
    ids=lambda x: str(x[0]) if isinstance(x, tuple) else str(x),
)
def test_only_an_outage_falls_back_to_the_stale_snapshot(
    answer: tuple[int, bytes], falls_back: bool, tmp_path: Path
) -> None:
    from mining_licenses.replica import Raw, Replica

    store, frame = stale_store(tmp_path)
    with Replica(make_records(60, seed=4), api_key=KEY) as replica:
        replica.hook = lambda exchange: Raw(*answer)
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            try:
                loaded = load_licenses(
                    api_key=KEY, base_url=replica.url, store=store, as_="polars", **QUICK
                )
            except ApiError as err:
                raised: ApiError | None = err
            else:
                raised = None
    stale = [w for w in said if w.category is StaleSnapshotWarning]
    if falls_back:
        assert raised is None, raised
        assert loaded.height == frame.height
        assert len(stale) == 1
        assert KEY not in str(stale[0].message)
    else:
        assert raised is not None
        assert raised.status_code == answer[0]
        assert not stale  # the real error, not old data
        if answer[0] in (401, 403):
            assert isinstance(raised, AuthenticationError)
        assert KEY not in str(raised)


def test_a_budget_too_small_is_raised_not_hidden(tmp_path: Path) -> None:
    from mining_licenses.replica import Replica

    store, _ = stale_store(tmp_path)
    with (
        Replica(make_records(200, seed=4), api_key=KEY) as replica,
        warnings.catch_warnings(record=True) as said,
    ):
        warnings.simplefilter("always")
        with pytest.raises(BudgetExceededError, match="budget"):
            load_licenses(api_key=KEY, base_url=replica.url, store=store, budget=2, **QUICK)
    assert not [w for w in said if w.category is StaleSnapshotWarning]
