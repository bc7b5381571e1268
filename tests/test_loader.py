"""load_licenses(): offline paths, filters with the API's semantics, bad input."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import polars as pl
import pyogrio
import pytest
from polars.testing import assert_frame_equal

from mining_licenses import NoMatchWarning
from mining_licenses import schema as s
from mining_licenses._errors import (
    AuthenticationError,
    ConfigurationError,
    SnapshotError,
    StaleSnapshotWarning,
    SyntheticDataWarning,
    forget_warnings,
)
from mining_licenses._filters import apply_filters
from mining_licenses.loader import fetch_licenses, load_licenses, load_with_provenance, pull
from mining_licenses.replica import Replica
from mining_licenses.sample import SAMPLE_REFERENCE_DATE, SAMPLE_SIZE
from mining_licenses.store import export, list_snapshots, read_snapshot_meta
from tests._replica_fixtures import TODAY, make_records
from tests.test_companies import registry


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    forget_warnings()  # set up before the per-test reset
    with pytest.warns(SyntheticDataWarning):
        frame = load_licenses(source="sample", as_="polars")
    assert isinstance(frame, pl.DataFrame)
    return frame


def test_auto_without_key_or_snapshot_gives_the_sample_as_geodataframe() -> None:
    with pytest.warns(SyntheticDataWarning, match="SYNTHETIC"):
        gdf = load_licenses()
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert len(gdf) == SAMPLE_SIZE
    assert gdf.crs.to_epsg() == 4326
    placed = gdf[s.GEOMETRY_SOURCE].notna()
    assert gdf.geometry[placed].notna().all()
    assert gdf.geometry[~placed].isna().all()


def test_polars_output_is_canonical_and_deterministic(sample: pl.DataFrame) -> None:
    assert sample.schema == s.POLARS_SCHEMA
    assert sample.height == SAMPLE_SIZE
    with pytest.warns(SyntheticDataWarning):
        again = load_licenses(source="sample", as_="polars")
    assert isinstance(again, pl.DataFrame)
    assert_frame_equal(sample, again)


def test_sample_as_of_is_its_reference_date(sample: pl.DataFrame) -> None:
    assert {t.date() for t in sample[s.FETCHED_AT].unique()} == {SAMPLE_REFERENCE_DATE}


def test_text_filters_ignore_case(sample: pl.DataFrame) -> None:
    with pytest.warns(SyntheticDataWarning):
        coal = load_licenses(
            source="sample", as_="polars", commodity_type="cOaL", license_type="iup"
        )
    assert isinstance(coal, pl.DataFrame)
    expected = [
        r
        for r in sample.iter_rows(named=True)
        if r[s.COMMODITY] == "Coal" and r[s.LICENSE_TYPE] == "IUP"
    ]
    assert coal.height == len(expected) > 0
    assert set(coal[s.COMMODITY]) == {"Coal"}


def test_province_filter_is_exact_after_alias(sample: pl.DataFrame) -> None:
    with pytest.warns(SyntheticDataWarning):
        babel = load_licenses(source="sample", as_="polars", province="Bangka Belitung")
    assert isinstance(babel, pl.DataFrame)
    expected = sum(p == "Kepulauan Bangka Belitung" for p in sample[s.PROVINCE])
    assert babel.height == expected > 0


def test_expiring_soon_is_inclusive_365_days_from_the_snapshot_date(
    sample: pl.DataFrame,
) -> None:
    with pytest.warns(SyntheticDataWarning):
        soon = load_licenses(source="sample", as_="polars", expiring_soon=True)
    assert isinstance(soon, pl.DataFrame)
    end = SAMPLE_REFERENCE_DATE + dt.timedelta(days=365)
    expected = [
        d for d in sample[s.EXPIRY_DATE] if d is not None and SAMPLE_REFERENCE_DATE <= d <= end
    ]
    assert soon.height == len(expected) > 0
    everything = load_licenses(source="sample", as_="polars", expiring_soon=False)  # told once
    assert isinstance(everything, pl.DataFrame)
    assert everything.height == sample.height


def test_unknown_filter_lists_the_allowed_ones() -> None:
    with pytest.raises(ConfigurationError, match="commodity_type") as info:
        load_licenses(source="sample", commodity="coal")
    assert "Unknown filter(s) commodity" in str(info.value)


def test_bad_filter_value_lists_the_allowed_values() -> None:
    with pytest.raises(ConfigurationError, match="Nickel"):
        load_licenses(source="sample", commodity_type="unobtainium")
    with pytest.raises(ConfigurationError, match="boolean"):
        load_licenses(source="sample", expiring_soon="maybe")


def test_bad_source_and_output_kind() -> None:
    with pytest.raises(ConfigurationError, match="'sample'"):
        load_licenses(source="web")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="'polars'"):
        load_licenses(source="sample", as_="pandas")  # type: ignore[arg-type]


# --------------------------------------------------------- API and snapshots
KEY = "test-key-5f1c0d2e9a"


@pytest.fixture
def replica() -> Iterator[Replica]:
    """A stand-in of the real API: its pages are not marked synthetic."""
    with Replica(make_records(300, seed=7), api_key=KEY, as_of=TODAY, synthetic=False) as server:
        yield server


def test_api_pull_writes_a_complete_snapshot_without_the_key(
    replica: Replica, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    frame = load_licenses(
        source="api",
        api_key=KEY,
        base_url=replica.url,
        store=store,
        as_="polars",
        progress=False,
    )
    assert isinstance(frame, pl.DataFrame)
    assert frame.height == 300
    listing = list_snapshots(store)
    assert listing.height == 1
    row = listing.row(0, named=True)
    assert (row["source"], row["complete"], row["records"], row["total_count"]) == (
        "replica",
        True,
        300,
        300,
    )
    for path in store.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    assert not list((store / "journal").rglob("*.json")), "journal left after the snapshot"


def test_a_pull_from_the_replica_is_synthetic_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    with Replica(make_records(40, seed=2), api_key=KEY, as_of=TODAY) as server:
        pulled = pull(api_key=KEY, base_url=server.url, store=store, progress=False)
    assert pulled.sweep.synthetic
    assert pulled.synthetic
    assert pulled.snapshot is not None
    assert read_snapshot_meta(pulled.snapshot).synthetic
    assert list_snapshots(store)["synthetic"].to_list() == [True]
    with pytest.warns(SyntheticDataWarning, match="SYNTHETIC"):
        frame, meta = load_with_provenance(source="snapshot", store=store)
    assert (meta.source, meta.synthetic, frame.height) == ("replica", True, 40)
    gdf = load_licenses(source="snapshot", store=store)  # told once per process already
    assert gdf.attrs["mining_licenses"]["synthetic"] is True
    assert pyogrio.read_info(export(gdf, tmp_path / "r.gpkg"))["layer_metadata"]["synthetic"] == (
        "true"
    )
    monkeypatch.delenv("SECTORS_API_KEY", raising=False)
    # no key, no real snapshot: the store's synthetic snapshot, before the bundled sample
    fallback = load_licenses(store=store, as_="polars")
    assert fallback.height == 40
    assert load_with_provenance(store=store)[1].source == "replica"
    with pytest.warns(SyntheticDataWarning, match="bundled SYNTHETIC sample"):
        bundled = load_licenses(store=tmp_path / "empty", as_="polars")
    assert bundled.height == SAMPLE_SIZE
    # a real (unmarked) answer stays real
    with Replica(make_records(5, seed=2), api_key=KEY, synthetic=False) as server:
        real = pull(api_key=KEY, base_url=server.url, store=store, progress=False)
    assert not real.synthetic
    assert real.meta().synthetic is False


def test_auto_uses_a_fresh_snapshot_without_asking_the_api(
    replica: Replica, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    pulled = fetch_licenses(api_key=KEY, base_url=replica.url, store=store, progress=False)
    served = replica.requests_served
    monkeypatch.setenv("SECTORS_API_KEY", KEY)
    nickel = load_licenses(base_url=replica.url, store=store, as_="polars", commodity_type="nickel")
    assert isinstance(nickel, pl.DataFrame)
    assert replica.requests_served == served  # nothing bought
    assert nickel.height == pulled.filter(pl.col(s.COMMODITY) == "Nickel").height > 0


def test_auto_refreshes_a_stale_snapshot_when_a_key_is_set(
    replica: Replica, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    fetch_licenses(api_key=KEY, base_url=replica.url, store=store, progress=False)
    served = replica.requests_served
    monkeypatch.setenv("SECTORS_API_KEY", KEY)
    load_licenses(base_url=replica.url, store=store, max_age=dt.timedelta(0), progress=False)
    assert replica.requests_served > served
    assert list_snapshots(store).height == 2


def test_auto_without_key_uses_a_stale_snapshot_with_a_warning(
    replica: Replica, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    fetch_licenses(api_key=KEY, base_url=replica.url, store=store, progress=False)
    with pytest.warns(StaleSnapshotWarning, match="no API key"):
        frame = load_licenses(store=store, max_age=dt.timedelta(0), as_="polars")
    assert isinstance(frame, pl.DataFrame)
    assert frame.height == 300


def test_snapshot_source_applies_filters_locally(replica: Replica, tmp_path: Path) -> None:
    store = tmp_path / "store"
    everything = fetch_licenses(api_key=KEY, base_url=replica.url, store=store, progress=False)
    coal = load_licenses(source="snapshot", store=store, as_="polars", commodity_type="COAL")
    assert isinstance(coal, pl.DataFrame)
    assert coal.height == everything.filter(pl.col(s.COMMODITY) == "Coal").height > 0


def test_snapshot_source_with_empty_store_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="mining-licenses pull"):
        load_licenses(source="snapshot", store=tmp_path / "empty")


def test_api_source_without_a_key_fails_before_any_request() -> None:
    with pytest.raises(AuthenticationError, match="SECTORS_API_KEY"):
        load_licenses(source="api")  # the public URL: the guard blocks any real traffic


def test_wrong_key_is_an_authentication_error(replica: Replica, tmp_path: Path) -> None:
    with pytest.raises(AuthenticationError) as info:
        fetch_licenses(api_key="wrong-key", base_url=replica.url, store=tmp_path, progress=False)
    assert info.value.status_code == 401
    assert "wrong-key" not in str(info.value)


def test_the_synthetic_warning_is_short_and_given_once_per_process():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            load_licenses(source="sample", as_="polars")
    told = [w for w in caught if issubclass(w.category, SyntheticDataWarning)]
    assert len(told) == 1
    assert len(str(told[0].message)) < 200
    assert told[0].filename == __file__  # points at the caller's line


# ------------------------------------------------------- company by name
def test_company_takes_a_slug_a_key_or_a_name_in_any_spelling(sample: pl.DataFrame) -> None:
    slugged = sample.filter(pl.col(s.COMPANY_SLUG).is_not_null()).row(0, named=True)
    body = slugged[s.COMPANY_SLUG].replace("-", " ")
    spellings = [
        slugged[s.COMPANY_SLUG],
        slugged[s.COMPANY_KEY],
        slugged[s.COMPANY_NAME],
        f"PT. {body.upper()} Tbk.",
        f"{body}, P.T.",
        body,
    ]
    expected = sample.filter(pl.col(s.COMPANY_KEY) == slugged[s.COMPANY_KEY])
    assert expected.height > 1
    for spelling in spellings:
        forget_warnings()
        with pytest.warns(SyntheticDataWarning):
            got = load_licenses(source="sample", as_="polars", company=spelling)
        assert_frame_equal(got, expected)


def test_a_near_miss_warns_with_suggestions(sample: pl.DataFrame) -> None:
    name = sample.filter(pl.col(s.COMPANY_KEY) == "multi-bintang")[s.COMPANY_NAME].mode()[0]
    with pytest.warns(SyntheticDataWarning), pytest.warns(NoMatchWarning) as caught:
        got = load_licenses(source="sample", as_="polars", company="PT Multi Bintangg")
    assert got.height == 0
    message = str(next(w.message for w in caught if w.category is NoMatchWarning))
    assert message.startswith("No license matches company='PT Multi Bintangg'; did you mean ")
    assert f"{name!r} (multi-bintang)" in message
    no_sand = sample.filter(pl.col(s.COMMODITY) != "Sand")
    with pytest.warns(NoMatchWarning, match=r"commodity_type='Sand'; did you mean 'Sand, Stone"):
        apply_filters(no_sand, {"commodity_type": "sand"}, as_of=SAMPLE_REFERENCE_DATE)


def test_unknown_values_suggest_and_quote_the_allowed_ones() -> None:
    with pytest.raises(ConfigurationError) as info:
        load_licenses(source="sample", commodity_type="sand stone")
    assert "(did you mean 'Sand, Stone, Gravel', 'Sand'?)" in str(info.value)
    assert "'Sand', 'Sand, Stone, Gravel', 'Tin'." in str(info.value)
    with pytest.raises(ConfigurationError, match=r"did you mean 'Kalimantan Timur'"):
        load_licenses(source="sample", province="Kalimantan Timr")
    with pytest.raises(ConfigurationError, match=r"commodity \(did you mean 'commodity_type'\?\)"):
        load_licenses(source="sample", commodity="coal")


def slugged_registry() -> list[dict[str, Any]]:
    """Company 0 carries a slug unlike its name on some records; company 1 never does."""
    picks = [(0, spelling, spelling % 2 == 0) for spelling in range(6)]
    return registry(picks + [(1, spelling, False) for spelling in range(4)])


def test_api_company_name_is_sent_as_the_slug_a_snapshot_knows(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with Replica(slugged_registry(), api_key=KEY, as_of=TODAY) as server:
        fetch_licenses(api_key=KEY, base_url=server.url, store=store, progress=False)
        by_slug = fetch_licenses(
            api_key=KEY, base_url=server.url, store=store, progress=False, company="mubi"
        )
        for spelling in ("PT Multi Bintang", "multi bintang", "P.T. MULTI BINTANG TBK"):
            server.reset_log()
            frame = load_licenses(
                source="api", api_key=KEY, base_url=server.url, store=store, as_="polars",
                progress=False, company=spelling,
            )  # fmt: skip
            assert_frame_equal(frame.drop(s.FETCHED_AT), by_slug.drop(s.FETCHED_AT))
            assert {r.params.get("company") for r in server.log} == {"mubi"}
        assert by_slug.height == 3
        with pytest.raises(ConfigurationError, match="carries no slug on any record"):
            fetch_licenses(
                api_key=KEY, base_url=server.url, store=store, company="Bara Sumber Makmur"
            )
        server.reset_log()
        with pytest.raises(ConfigurationError) as info:
            fetch_licenses(api_key=KEY, base_url=server.url, store=store, company="PT Multi Bintag")
        assert not server.log  # nothing sent, nothing billed
    message = str(info.value)
    assert "the API filters company by slug only" in message
    assert "Closest known companies: 'Multi Bintang, PT' (mubi)" in message


def test_api_company_name_without_any_snapshot_says_the_api_wants_a_slug(tmp_path: Path) -> None:
    with Replica(slugged_registry(), api_key=KEY, as_of=TODAY) as server:
        with pytest.raises(ConfigurationError, match="filters company by slug only") as info:
            fetch_licenses(api_key=KEY, base_url=server.url, store=tmp_path, company="PT Multi")
        assert server.requests_served == 0
        assert "No snapshot in" in str(info.value)
        frame = fetch_licenses(
            api_key=KEY, base_url=server.url, store=tmp_path, progress=False, company="mubi"
        )  # a slug no snapshot knows is sent as it is
    assert frame.height == 3


def test_readme_example_passes_mypy_strict_as_written() -> None:
    root = Path(__file__).resolve().parents[1]
    example = root / "tests" / "readme_examples.py"
    block = re.search(r"```python\n(.*?)```", (root / "README.md").read_text(), re.DOTALL)
    assert block is not None
    body = textwrap.indent(block.group(1), "    ")
    assert body in example.read_text(), "README and tests/readme_examples.py differ"
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(example)],
        capture_output=True,
        text=True,
        cwd=root,  # the project's mypy settings and cache
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_company_keys_are_learnt_anew_only_for_snapshots_of_an_older_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mining_licenses.normalize import normalize_records
    from mining_licenses.store import write_snapshot

    frame = normalize_records(registry([(0, 0, True), (0, 4, False)]))
    stale = frame.with_columns(pl.lit("stale").alias(s.COMPANY_KEY))
    meta = {"source": "api", "complete": True}
    with monkeypatch.context() as old:
        old.setattr(s, "SCHEMA_VERSION", "1.0")
        write_snapshot(stale, store=tmp_path / "old", meta=meta)
    write_snapshot(stale, store=tmp_path / "new", meta=meta)
    relearnt = load_licenses(source="snapshot", store=tmp_path / "old", as_="polars")
    kept = load_licenses(source="snapshot", store=tmp_path / "new", as_="polars")
    assert sorted(relearnt[s.COMPANY_KEY].unique()) == sorted(frame[s.COMPANY_KEY].unique())
    assert kept[s.COMPANY_KEY].unique().to_list() == ["stale"]  # this schema's keys are trusted
