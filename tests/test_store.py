"""Snapshot store: round trips, provenance, naming, safety, listing, finding, diffs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import polars as pl
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from mining_licenses import _config, sample
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SchemaError, SnapshotError
from mining_licenses.geo import to_geodataframe
from mining_licenses.store import (
    SnapshotMeta,
    bundled_sample_path,
    diff_snapshots,
    find_snapshot,
    history,
    list_snapshots,
    prune,
    read_snapshot,
    read_snapshot_meta,
    write_snapshot,
)
from mining_licenses.store import _footer as footer
from mining_licenses.store import _geoparquet as gp

FETCHED = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)


def canonical_frame(fetched_at: dt.datetime = FETCHED) -> pl.DataFrame:
    """Every canonical dtype, nulls, an unplaced row, leading zeros, lists empty and full."""
    rows = {
        s.WIUP_CODE: ["0011003442014022", "3411003442014022", None, "6401012015000001"],
        s.LICENSE_NUMBER: ["503/1573/IUP-OP/2015", "007", None, "540/12/IUP"],
        s.LICENSE_TYPE: ["IUP", "KK", None, "IUPK"],
        s.COMPANY_NAME: ["PT A", "PT B", None, "PT Nikel Jaya"],
        s.COMPANY_SLUG: [None, "b", None, None],
        s.COMPANY_KEY: ["a", "b", None, "nikel jaya"],
        s.COMMODITY: ["Coal", "Lithium", None, "Nickel"],
        s.ACTIVITY: ["Eksplorasi", "Operasi Produksi", None, "Operasi Produksi"],
        s.PROVINCE: ["Kalimantan Timur", "Papua Selatan", None, "Sulawesi Tengah"],
        s.CITY: ["Paser", "1234", None, "Morowali"],
        s.EFFECTIVE_DATE: [dt.date(2016, 2, 29), dt.date(1995, 1, 1), None, dt.date(2015, 6, 1)],
        s.EXPIRY_DATE: [dt.date(2026, 2, 28), None, None, dt.date(2035, 6, 1)],
        s.AREA_HA: [1500.5, 0.0, None, 12345.25],
        s.CNC: ["CNC", "non-CNC", None, None],
        s.GENERATION: [None, "GEN I", None, None],
        s.LOCATION_TEXT: [None, "Kabupaten Merauke, Kota X", None, None],
        s.LONGITUDE: [116.123, 140.4, None, 121.9],
        s.LATITUDE: [-1.456, -8.5, None, -2.8],
        s.GEOMETRY_SOURCE: ["api_point", "regency", None, "api_point"],
        s.ISSUES: [[], ["unknown_value:commodity_type", "missing:x"], ["record_not_an_object"], []],
        s.FETCHED_AT: [fetched_at] * 4,
    }
    return pl.DataFrame(rows, schema=s.POLARS_SCHEMA)


def sorted_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(s.WIUP_CODE, s.LICENSE_NUMBER, nulls_last=True)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "snapshots"


# ------------------------------------------------------------------ round trip
def test_round_trip_keeps_every_dtype_and_unplaced_rows(folder: Path) -> None:
    frame = canonical_frame()
    path = write_snapshot(frame, store=folder, meta={"source": "api"})
    back = read_snapshot(path)
    assert isinstance(back, pl.DataFrame)
    assert back.schema == s.POLARS_SCHEMA
    assert_frame_equal(sorted_rows(back), sorted_rows(frame))
    assert back[s.WIUP_CODE].to_list()[-1] is None  # the unplaced row sorts last


_TEXT = st.none() | st.text(max_size=12)
_COORD = st.none() | st.floats(-180, 180, allow_nan=False)


@st.composite
def messy_frames(draw: st.DrawFn) -> pl.DataFrame:
    """Canonical frames with any text, missing values, odd coordinates and lists."""
    n = draw(st.integers(0, 12))
    column = {
        pl.String(): lambda: draw(st.lists(_TEXT, min_size=n, max_size=n)),
        pl.Date(): lambda: draw(
            st.lists(st.none() | st.dates(dt.date(1900, 1, 1)), min_size=n, max_size=n)
        ),
        pl.Float64(): lambda: draw(st.lists(_COORD, min_size=n, max_size=n)),
        pl.List(pl.String()): lambda: draw(
            st.lists(st.lists(st.text(max_size=5), max_size=3), min_size=n, max_size=n)
        ),
        pl.Datetime("us", "UTC"): lambda: [FETCHED] * n,
    }
    data = {name: column[dtype]() for name, dtype in s.COLUMNS.items()}
    return pl.DataFrame(data, schema=s.POLARS_SCHEMA)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=messy_frames())
def test_any_canonical_frame_round_trips_exactly(
    tmp_path_factory: Any, frame: pl.DataFrame
) -> None:
    path = write_snapshot(frame, store=tmp_path_factory.mktemp("prop"))
    x = frame[s.LONGITUDE].fill_null(float("nan")).to_numpy()
    y = frame[s.LATITUDE].fill_null(float("nan")).to_numpy()
    assert_frame_equal(read_snapshot(path), frame[gp.hilbert_order(x, y)])


def test_geodataframe_in_and_out(folder: Path) -> None:
    gdf = to_geodataframe(canonical_frame())
    path = write_snapshot(gdf, store=folder)
    back = read_snapshot(path, as_="geopandas")
    assert isinstance(back, gpd.GeoDataFrame)
    assert back.crs.to_epsg() == 4326
    assert back.geometry.isna().sum() == 1
    assert list(back.columns) == [*s.COLUMNS, s.GEOMETRY]


def test_columns_subset_and_unknown_column(folder: Path) -> None:
    path = write_snapshot(canonical_frame(), store=folder)
    part = read_snapshot(path, columns=[s.AREA_HA, s.WIUP_CODE])
    assert part.columns == [s.AREA_HA, s.WIUP_CODE]
    gdf = read_snapshot(path, columns=[s.WIUP_CODE], as_="geopandas")
    assert list(gdf.columns) == [s.WIUP_CODE, s.GEOMETRY]
    with pytest.raises(ConfigurationError, match="nope"):
        read_snapshot(path, columns=["nope"])


def test_empty_frame_round_trips(folder: Path) -> None:
    path = write_snapshot(s.empty_frame(), store=folder, meta={"fetched_at": FETCHED})
    assert read_snapshot(path).schema == s.POLARS_SCHEMA
    assert read_snapshot(path).height == 0


def test_frame_without_canonical_columns_is_refused(folder: Path) -> None:
    with pytest.raises(SchemaError, match="wiup_code"):
        write_snapshot(pl.DataFrame({"x": [1]}), store=folder)


# ------------------------------------------------------------------ provenance
def test_provenance_block(folder: Path) -> None:
    meta = SnapshotMeta(
        source="api",
        base_url="https://api.sectors.app/",
        filters={"commodity_type": "coal"},
        total_count=4,
        pages=1,
        credits_spent=1,
        complete=True,
    )
    path = write_snapshot(canonical_frame(), store=folder, meta=meta)
    raw = json.loads(pq.read_metadata(path).metadata[b"mining_licenses"])
    assert raw == {
        "base_url": "https://api.sectors.app/",
        "complete": True,
        "credits_spent": 1,
        "fetched_at": "2026-11-01T06:00:00Z",
        "filters": {"commodity_type": "Coal"},
        "package_version": __import__("mining_licenses").__version__,
        "pages": 1,
        "records": 4,
        "schema_version": s.SCHEMA_VERSION,
        "source": "api",
        "synthetic": False,
        "total_count": 4,
    }
    info = read_snapshot_meta(path)
    assert info.fetched_at == FETCHED
    assert info.filters == {"commodity_type": "Coal"}


def test_keys_never_reach_the_file(
    folder: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-live-0123456789abcdef"
    meta: dict[str, Any] = {
        "source": "api",
        "api_key": secret,
        "Authorization": secret,
        "base_url": f"https://user:{secret}@api.sectors.app/v2?api_key={secret}#{secret}",
    }
    with caplog.at_level(logging.WARNING):
        path = write_snapshot(canonical_frame(), store=folder, meta=meta)
    assert secret.encode() not in path.read_bytes()
    assert secret not in caplog.text
    assert read_snapshot_meta(path).base_url == "https://api.sectors.app/v2"
    # The configured key, wherever it hides, makes the writer refuse.
    monkeypatch.setenv(_config.ENV_API_KEY, "PT-Nusantara-key-1")
    with pytest.raises(ConfigurationError, match="API key"):
        write_snapshot(
            canonical_frame(), store=folder, meta={"filters": {"company": "PT-Nusantara-key-1"}}
        )


def test_bad_metadata_is_refused(folder: Path) -> None:
    with pytest.raises(ConfigurationError, match="colour"):
        write_snapshot(canonical_frame(), store=folder, meta={"colour": "red"})
    with pytest.raises(ConfigurationError, match="source"):
        write_snapshot(canonical_frame(), store=folder, meta={"source": "ftp"})
    with pytest.raises(ConfigurationError, match="Unknown filter"):
        write_snapshot(canonical_frame(), store=folder, meta={"filters": {"colour": "red"}})
    assert not list(folder.glob("*"))


# ------------------------------------------------------------- names, safety
def test_names_follow_fetched_at_and_never_overwrite(folder: Path) -> None:
    frame = canonical_frame()
    first = write_snapshot(frame, store=folder)
    second = write_snapshot(frame, store=folder)
    later = write_snapshot(canonical_frame(FETCHED + dt.timedelta(hours=1)), store=folder)
    naive = write_snapshot(frame, store=folder, meta={"fetched_at": dt.datetime(2026, 1, 2, 3)})
    assert first.name == "licenses_20261101T060000Z.parquet"
    assert second.name == "licenses_20261101T060000Z-2.parquet"
    assert later.name == "licenses_20261101T070000Z.parquet"
    assert naive.name == "licenses_20260102T030000Z.parquet"
    listing = list_snapshots(folder)
    assert [Path(p).name for p in listing["path"]] == [
        naive.name,
        first.name,
        second.name,
        later.name,
    ]


def test_default_store_comes_from_the_environment(tmp_path: Path) -> None:
    path = write_snapshot(canonical_frame())
    assert path.parent == tmp_path / "store"  # conftest sets MINING_LICENSES_DATA
    assert read_snapshot().height == 4  # "latest" in the default store


def test_crash_before_publishing_leaves_nothing(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # as if the process died at the rename

    monkeypatch.setattr(os, "link", crash)
    monkeypatch.setattr(Path, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        write_snapshot(canonical_frame(), store=folder)
    assert list(folder.iterdir()) == []
    assert list_snapshots(folder).height == 0


def test_leftover_temp_files_are_ignored_and_pruned(folder: Path) -> None:
    folder.mkdir()
    temp = folder / ".licenses_20261101T060000Z.x1y2.tmp"
    temp.write_bytes(b"PAR1 half a file")
    assert list_snapshots(folder).height == 0
    with pytest.raises(SnapshotError, match="holds no snapshot"):
        read_snapshot(store=folder)
    os.utime(temp, (0, 0))
    assert prune(keep=1, store=folder) == []
    assert not temp.exists()


def test_fallback_without_hard_links(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(*args: object) -> None:
        raise PermissionError("links not supported here")

    monkeypatch.setattr(os, "link", no_links)
    a = write_snapshot(canonical_frame(), store=folder)
    b = write_snapshot(canonical_frame(), store=folder)
    assert (a.name, b.name) == (
        "licenses_20261101T060000Z.parquet",
        "licenses_20261101T060000Z-2.parquet",
    )
    assert sorted(p.name for p in folder.iterdir()) == sorted([a.name, b.name])


def _writer(source: str, folder: str, go: Any, count: int) -> list[str]:
    frame = pl.read_parquet(source)
    go.wait(30)
    return [str(write_snapshot(frame, store=folder)) for _ in range(count)]


def test_concurrent_writers_lose_nothing(tmp_path: Path, folder: Path) -> None:
    source = tmp_path / "frame.parquet"
    canonical_frame().write_parquet(source)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        go = manager.Event()
        with ctx.Pool(2) as pool:
            jobs = [pool.apply_async(_writer, (str(source), str(folder), go, 3)) for _ in range(2)]
            go.set()
            written = [p for job in jobs for p in job.get(timeout=60)]
    assert len(set(written)) == 6
    listing = list_snapshots(folder)
    assert sorted(listing["path"].to_list()) == sorted(written)
    assert all(read_snapshot(p).height == 4 for p in written)


def test_prune_keeps_the_newest(folder: Path) -> None:
    paths = [
        write_snapshot(canonical_frame(FETCHED + dt.timedelta(days=d)), store=folder)
        for d in range(3)
    ]
    assert prune(keep=2, store=folder) == [paths[0]]
    assert [Path(p) for p in list_snapshots(folder)["path"]] == paths[1:]
    with pytest.raises(ConfigurationError, match="keep"):
        prune(keep=0, store=folder)


# -------------------------------------------------------------- bad files
def _snapshot_named(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "licenses_20261101T060000Z.parquet"


def test_truncated_snapshot(folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_snapshot(canonical_frame(), store=folder)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SnapshotError, match="truncated") as err:
        read_snapshot(path)
    assert str(path) in str(err.value)
    with caplog.at_level(logging.WARNING):
        assert list_snapshots(folder).height == 0
    assert path.name in caplog.text


def test_corrupt_footer(folder: Path) -> None:
    path = write_snapshot(canonical_frame(), store=folder)
    data = bytearray(path.read_bytes())
    data[-300:-8] = b"\xff" * 292  # the footer, keeping the length and magic bytes
    path.write_bytes(bytes(data))
    with pytest.raises(SnapshotError, match=path.name):
        read_snapshot(path)


def test_not_parquet(folder: Path) -> None:
    path = _snapshot_named(folder)
    path.write_text("wiup_code,license_number\n1,2\n")
    with pytest.raises(SnapshotError, match="not a readable Parquet file"):
        read_snapshot(path)


def test_parquet_without_geo(folder: Path) -> None:
    path = _snapshot_named(folder)
    canonical_frame().write_parquet(path)
    with pytest.raises(SnapshotError, match="not GeoParquet"):
        read_snapshot(path)
    with pytest.raises(SnapshotError, match="not GeoParquet"):
        read_snapshot_meta(path)


def test_geoparquet_of_another_schema(folder: Path) -> None:
    path = _snapshot_named(folder)
    gdf = to_geodataframe(canonical_frame()).drop(columns=[s.CNC])
    gdf.to_parquet(path)
    with pytest.raises(SnapshotError, match="lacks the column"):
        read_snapshot(path)
    with pytest.raises(SnapshotError, match="not a mining_licenses snapshot"):
        read_snapshot_meta(path)


def test_geoparquet_with_wrong_types(folder: Path) -> None:
    path = _snapshot_named(folder)
    table, geo = gp.to_table(canonical_frame())
    table = table.set_column(0, s.WIUP_CODE, pl.Series([1, 2, 3, None], dtype=pl.Int64).to_arrow())
    gp.write_table(table, path, {footer.GEO_KEY: footer.encode_json(geo)})
    with pytest.raises(SnapshotError, match="wiup_code is Int64, expected String"):
        read_snapshot(path)


def test_missing_file_and_folder(folder: Path) -> None:
    with pytest.raises(SnapshotError, match="does not exist"):
        read_snapshot(folder / "licenses_20990101T000000Z.parquet")
    folder.mkdir()
    with pytest.raises(SnapshotError, match="folder"):
        read_snapshot(folder)


def test_latest_on_an_empty_store_says_how_to_make_one(folder: Path) -> None:
    with pytest.raises(SnapshotError, match="mining-licenses pull"):
        read_snapshot("latest", store=folder)


def test_bare_name_is_looked_up_in_the_store(folder: Path) -> None:
    path = write_snapshot(canonical_frame(), store=folder)
    assert read_snapshot(path.name, store=folder).height == 4


# ------------------------------------------------------------ list, history
def test_list_snapshots_reads_footers(folder: Path) -> None:
    write_snapshot(
        canonical_frame(),
        store=folder,
        meta={"source": "replica", "filters": {"province": "Kalimantan Timur"}, "pages": 2},
    )
    listing = list_snapshots(folder)
    assert listing.columns[:9] == [
        "path",
        "fetched_at",
        "source",
        "filters",
        "records",
        "total_count",
        "complete",
        "synthetic",
        "package_version",
    ]
    row = listing.row(0, named=True)
    assert row["fetched_at"] == FETCHED
    assert json.loads(row["filters"]) == {"province": "Kalimantan Timur"}
    assert (row["source"], row["records"], row["pages"]) == ("replica", 4, 2)
    assert row["complete"] is False
    assert list_snapshots(folder / "nowhere").height == 0


def test_history_stacks_snapshots(folder: Path) -> None:
    write_snapshot(canonical_frame(), store=folder)
    write_snapshot(canonical_frame(FETCHED + dt.timedelta(days=30)).head(2), store=folder)
    stacked = history(folder).collect()
    assert stacked.height == 6
    assert stacked.schema == pl.Schema({**s.POLARS_SCHEMA, "snapshot": pl.String()})
    per_time = stacked.group_by(s.FETCHED_AT).len().sort(s.FETCHED_AT)["len"].to_list()
    assert per_time == [4, 2]
    assert history(folder / "nowhere").collect().height == 0


# -------------------------------------------------------------- find_snapshot
def _snap(folder: Path, days: int, **meta: Any) -> Path:
    meta.setdefault("complete", True)
    meta.setdefault("source", "api")
    frame = canonical_frame(FETCHED + dt.timedelta(days=days))
    return write_snapshot(frame, store=folder, meta=meta)


def test_find_snapshot_filters_and_freshness(folder: Path) -> None:
    now = FETCHED + dt.timedelta(days=10)
    full = _snap(folder, 0)
    coal = _snap(folder, 5, filters={"commodity_type": "Coal"})
    _snap(folder, 6, filters={"commodity_type": "Coal"}, complete=False)
    _snap(folder, 7, synthetic=True)
    soon = _snap(folder, 8, filters={"expiring_soon": True})

    assert find_snapshot(store=folder, now=now) == full
    assert find_snapshot(store=folder, filters={"commodity_type": "coal"}, now=now) == coal
    narrower = {"commodity_type": "Coal", "province": "Kalimantan Timur"}
    assert find_snapshot(store=folder, filters=narrower, now=now) == coal
    assert find_snapshot(store=folder, filters={"commodity_type": "Nickel"}, now=now) == full
    assert find_snapshot(store=folder, filters={"expiring_soon": True}, now=now) == soon
    # expiring_soon=False filters nothing, so the full sweep answers it
    assert find_snapshot(store=folder, filters={"expiring_soon": False}, now=now) == full
    assert find_snapshot(store=folder, max_age=dt.timedelta(days=4), now=now) is None
    nickel = {"commodity_type": "Nickel"}
    recent = dt.timedelta(days=4)
    assert find_snapshot(store=folder, filters=nickel, max_age=recent, now=now) is None
    assert find_snapshot(store=folder, include_synthetic=True, now=now).name.startswith(
        "licenses_20261108"
    )
    with pytest.raises(ConfigurationError):
        find_snapshot(store=folder, filters={"colour": "red"})


# ----------------------------------------------------------------------- diff
def _licenses() -> pl.DataFrame:
    frame = canonical_frame()
    extra = frame.head(2).with_columns(
        pl.Series(s.WIUP_CODE, ["7000000000000005", "7000000000000006"]),
    )
    return pl.concat([frame, extra])


def test_diff_finds_each_kind_of_change() -> None:
    old = _licenses()
    codes = old[s.WIUP_CODE]
    a, b, d, f = codes[0], codes[1], codes[3], codes[5]
    new = old.filter(pl.col(s.WIUP_CODE).ne_missing(f)).with_columns(
        pl.when(pl.col(s.WIUP_CODE) == a)
        .then(pl.lit(dt.date(2036, 2, 28)))
        .otherwise(pl.col(s.EXPIRY_DATE))
        .alias(s.EXPIRY_DATE),
        pl.when(pl.col(s.WIUP_CODE) == b).then(pl.lit("CNC")).otherwise(pl.col(s.CNC)).alias(s.CNC),
        pl.when(pl.col(s.WIUP_CODE) == b)
        .then(pl.lit(250.0))
        .otherwise(pl.col(s.AREA_HA))
        .alias(s.AREA_HA),
        pl.when(pl.col(s.WIUP_CODE) == d)
        .then(pl.lit("PT Nikel Jaya Abadi"))
        .otherwise(pl.col(s.COMPANY_NAME))
        .alias(s.COMPANY_NAME),
        pl.col(s.FETCHED_AT) + dt.timedelta(days=30),
    )
    added = old.head(1).with_columns(pl.lit("9900000000000001").alias(s.WIUP_CODE))
    new = pl.concat([new, added])

    result = diff_snapshots(old, new)
    assert result.summary == {
        "a_records": 6,
        "b_records": 6,
        "added": 1,
        "removed": 1,
        "changed": 3,
        "unchanged": 2,
    }
    assert result.added[s.WIUP_CODE].to_list() == ["9900000000000001"]
    assert result.removed[s.WIUP_CODE].to_list() == [f]
    rows = result.changed.to_dicts()
    changes = {(r[s.WIUP_CODE], r["field"]): (r["old"], r["new"]) for r in rows}
    assert changes == {
        (a, s.EXPIRY_DATE): ("2026-02-28", "2036-02-28"),
        (b, s.CNC): ("non-CNC", "CNC"),
        (b, s.AREA_HA): ("0.0", "250.0"),
        (d, s.COMPANY_NAME): ("PT Nikel Jaya", "PT Nikel Jaya Abadi"),
    }
    assert result.by_field()["licenses"].to_list() == [1, 1, 1, 1]


def test_diff_keys_null_and_repeated_codes_with_the_license_number() -> None:
    old = canonical_frame()  # one row has neither code nor number
    twin = old.head(1).with_columns(pl.lit("503/9999/IUP-OP/2020").alias(s.LICENSE_NUMBER))
    old = pl.concat([old, twin, old.slice(2, 1)])  # a repeated code, an exact repeat
    new = old.with_columns(
        pl.when(pl.col(s.LICENSE_NUMBER) == "503/9999/IUP-OP/2020")
        .then(pl.lit("non-CNC"))
        .otherwise(pl.col(s.CNC))
        .alias(s.CNC)
    )
    result = diff_snapshots(old, new)
    assert result.summary["added"] == result.summary["removed"] == 0
    assert result.changed.select("key", "field", "old", "new").rows() == [
        ("0011003442014022|503/9999/IUP-OP/2020", s.CNC, "CNC", "non-CNC")
    ]
    assert result.summary["unchanged"] == 5  # both rows without code or number paired


def test_diff_reads_paths(folder: Path) -> None:
    first = write_snapshot(canonical_frame(), store=folder)
    second = write_snapshot(canonical_frame().head(3), store=folder)
    result = diff_snapshots(first, second)
    assert result.summary["removed"] == 1
    assert result.changed.height == 0
    assert diff_snapshots(first, "latest", store=folder).summary == result.summary


# -------------------------------------------------------------- bundled sample
def test_bundled_sample_matches_a_fresh_regeneration(tmp_path: Path) -> None:
    committed = bundled_sample_path()
    fresh = sample.write_sample(tmp_path)
    assert fresh.name == committed.name
    assert_frame_equal(read_snapshot(committed), read_snapshot(fresh))
    old, new = read_snapshot_meta(committed), read_snapshot_meta(fresh)
    assert (old.source, old.synthetic, old.complete) == ("sample", True, True)
    assert old.package_version is not None
    assert {**old.to_json(), "package_version": None} == {**new.to_json(), "package_version": None}


def test_sample_regeneration_is_byte_identical(tmp_path: Path) -> None:
    first = sample.write_sample(tmp_path / "a").read_bytes()
    second = sample.write_sample(tmp_path / "b").read_bytes()
    again = sample.write_sample(tmp_path / "a")  # replaces, never adds -2
    assert first == second == again.read_bytes()
    assert [p.name for p in (tmp_path / "a").iterdir()] == [again.name]


def test_diff_needs_known_fields() -> None:
    with pytest.raises(ConfigurationError, match="fields"):
        diff_snapshots(canonical_frame(), canonical_frame(), fields=["colour"])
    with pytest.raises(ConfigurationError, match="fields"):
        diff_snapshots(canonical_frame(), canonical_frame(), fields=[])
    only_area = diff_snapshots(
        canonical_frame(),
        canonical_frame().with_columns(pl.col(s.CNC).reverse(), pl.col(s.AREA_HA) * 2),
        fields=[s.AREA_HA],
    )
    assert only_area.changed["field"].unique().to_list() == [s.AREA_HA]
    assert only_area.summary["changed"] == 2  # 0.0 * 2 and null stay as they were


def test_a_listing_follows_every_change_to_the_folder(folder: Path) -> None:
    """Listed again after each change (added, held back, accepted, replaced, removed): as new."""
    from mining_licenses.store import _catalog, accept_snapshot

    def fresh() -> pl.DataFrame:
        _catalog._footers.clear()
        _catalog._frames.clear()
        return list_snapshots(folder)

    def same() -> None:
        again = list_snapshots(folder)  # from what this process remembers
        assert_frame_equal(again, fresh())

    complete = {"source": "replica", "complete": True}
    first = write_snapshot(canonical_frame(), store=folder, meta=complete)
    same()
    later = FETCHED + dt.timedelta(days=31)
    with pytest.warns(Warning, match="lacks"):
        held = write_snapshot(canonical_frame(later).head(1), store=folder, meta=complete)
    listing = list_snapshots(folder)
    assert listing["held_back"].to_list() == [False, True]
    same()
    accept_snapshot(held, store=folder)
    assert list_snapshots(folder)["held_back"].to_list() == [False, False]
    same()
    other = write_snapshot(canonical_frame(later + dt.timedelta(days=1)), store=folder.parent / "b")
    other.replace(first)  # the same name, other bytes
    listing = list_snapshots(folder)  # fetched later now: listed last
    assert (listing["records"].to_list(), listing["complete"].to_list()) == ([1, 4], [True, False])
    same()
    held.unlink()
    assert list_snapshots(folder).height == 1
    same()
