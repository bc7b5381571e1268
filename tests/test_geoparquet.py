"""The snapshot file as other readers see it: GeoParquet 1.1, geopandas, pyarrow, DuckDB."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import shapely
from polars.testing import assert_frame_equal

from mining_licenses import schema as s
from mining_licenses.geo import points_from_frame
from mining_licenses.store import _geoparquet as gp
from mining_licenses.store import bundled_sample_path, read_snapshot, write_snapshot
from tests.test_store import canonical_frame

DATA = Path(__file__).parent / "data"
#: A box over East Kalimantan and the Makassar Strait.
BOX = (115.0, -3.0, 118.5, 1.5)
#: A smaller box over Central and South-East Sulawesi (Morowali, Kolaka).
SMALL_BOX = (121.0, -3.5, 123.0, -1.5)


@pytest.fixture(scope="module")
def sample_file() -> Path:
    return bundled_sample_path()


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    return write_snapshot(canonical_frame(), store=tmp_path)


def _geo(path: Path) -> dict[str, Any]:
    return dict(json.loads(pq.read_metadata(path).metadata[b"geo"]))


def _in_box(frame: pl.DataFrame, box: tuple[float, ...] = BOX) -> pl.DataFrame:
    xmin, ymin, xmax, ymax = box
    return frame.filter(
        pl.col(s.LONGITUDE).is_between(xmin, xmax) & pl.col(s.LATITUDE).is_between(ymin, ymax)
    )


# ------------------------------------------------------------ the geo metadata
def test_geo_metadata_is_valid_geoparquet_1_1(sample_file: Path, small_file: Path) -> None:
    import jsonschema
    from referencing import Registry, Resource

    schema = json.loads((DATA / "geoparquet-1.1.0.schema.json").read_text())
    projjson = json.loads((DATA / "projjson-0.7.schema.json").read_text())
    registry = Registry().with_resource(projjson["$id"], Resource.from_contents(projjson))
    validator = jsonschema.Draft7Validator(schema, registry=registry)
    for path in (sample_file, small_file):
        errors = sorted(validator.iter_errors(_geo(path)), key=str)
        assert errors == []
    broken = _geo(small_file)
    broken["columns"]["geometry"]["covering"]["bbox"]["xmin"] = ["bbox", "left"]
    assert list(validator.iter_errors(broken))


def test_geo_metadata_content(sample_file: Path) -> None:
    geo = _geo(sample_file)
    column = geo["columns"][s.GEOMETRY]
    assert (geo["version"], geo["primary_column"]) == ("1.1.0", s.GEOMETRY)
    assert column["encoding"] == "WKB"
    assert column["geometry_types"] == ["Point"]
    assert column["crs"]["id"] == {"authority": "EPSG", "code": 4326}
    assert column["covering"] == {
        "bbox": {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}
    }
    frame = read_snapshot(sample_file)
    lon, lat = frame[s.LONGITUDE], frame[s.LATITUDE]
    assert column["bbox"] == [lon.min(), lat.min(), lon.max(), lat.max()]


# --------------------------------------------------------------------- pyarrow
def test_pyarrow_sees_plain_types_zstd_and_statistics(sample_file: Path) -> None:
    footer = pq.read_metadata(sample_file)
    schema = footer.schema.to_arrow_schema()
    assert schema.field(s.WIUP_CODE).type == pa.string()
    assert schema.field(s.ISSUES).type == pa.list_(pa.string())
    assert schema.field(s.EFFECTIVE_DATE).type == pa.date32()
    assert schema.field(s.FETCHED_AT).type == pa.timestamp("us", tz="UTC")
    assert schema.field(s.GEOMETRY).type == pa.binary()
    assert schema.field("bbox").type == pa.struct(
        [(k, pa.float64()) for k in ("xmin", "ymin", "xmax", "ymax")]
    )
    assert schema.names == [*s.COLUMNS, s.GEOMETRY, "bbox"]
    chunks = [footer.row_group(0).column(i) for i in range(footer.num_columns)]
    assert {c.compression for c in chunks} == {"ZSTD"}
    stats = {c.path_in_schema: c.statistics for c in chunks}
    for leaf in ("bbox.xmin", "bbox.ymin", "bbox.xmax", "bbox.ymax"):
        assert stats[leaf].has_min_max
    assert b"mining_licenses" in footer.metadata


def test_rows_are_in_hilbert_order_with_unplaced_rows_last(sample_file: Path) -> None:
    frame = read_snapshot(sample_file)
    placed = frame.filter(pl.col(s.LONGITUDE).is_not_null() & pl.col(s.LATITUDE).is_not_null())
    assert frame.head(placed.height).equals(placed)  # every unplaced row comes after
    points = gpd.GeoSeries(shapely.points(placed[s.LONGITUDE], placed[s.LATITUDE]))
    distance = points.hilbert_distance().to_numpy()
    assert (np.diff(distance) >= 0).all()


def test_hilbert_index_equals_geopandas() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.uniform(94, 141.5, 5000), rng.uniform(-11.5, 6.5, 5000)
    expected = gpd.GeoSeries(shapely.points(x, y)).hilbert_distance().to_numpy()
    order = gp.hilbert_order(x, y)
    assert (np.diff(expected[order]) >= 0).all()


def test_bbox_statistics_prune_row_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gp, "ROW_GROUP_ROWS", 200)
    frame = read_snapshot(bundled_sample_path())
    path = write_snapshot(frame, store=tmp_path)
    xmin, ymin, xmax, ymax = SMALL_BOX
    box = (
        (ds.field("bbox", "xmax") >= xmin)
        & (ds.field("bbox", "xmin") <= xmax)
        & (ds.field("bbox", "ymax") >= ymin)
        & (ds.field("bbox", "ymin") <= ymax)
    )
    fragment = next(ds.dataset(path).get_fragments())
    kept = fragment.split_by_row_group(box)
    total = pq.read_metadata(path).num_row_groups
    assert total == -(-frame.height // 200)
    # In Hilbert order the box's rows sit in a few groups (in input order, in nearly all).
    assert 0 < len(kept) <= total // 3
    rows = pl.from_arrow(ds.dataset(path).to_table(filter=box, columns=[s.WIUP_CODE]))
    expected = _in_box(frame, SMALL_BOX)[s.WIUP_CODE]
    assert sorted(rows[s.WIUP_CODE].to_list()) == sorted(expected.to_list())


# ------------------------------------------------------------------- geopandas
def test_geopandas_reads_the_snapshot(small_file: Path) -> None:
    gdf = gpd.read_parquet(small_file)
    assert gdf.crs.to_epsg() == 4326
    assert gdf.geometry.name == s.GEOMETRY
    frame = read_snapshot(small_file)
    expected = shapely.points(frame[s.LONGITUDE].to_numpy(), frame[s.LATITUDE].to_numpy())
    placed = gdf.geometry.notna().to_numpy()
    assert placed.tolist() == [True, True, True, False]
    assert shapely.equals(gdf.geometry.to_numpy()[placed], expected[placed]).all()
    assert gdf[s.WIUP_CODE].tolist()[:3] == frame[s.WIUP_CODE].to_list()[:3]
    assert gdf[s.ISSUES].map(list).tolist() == frame[s.ISSUES].to_list()


def test_geopandas_bbox_read_uses_the_covering(sample_file: Path) -> None:
    gdf = gpd.read_parquet(sample_file, bbox=BOX)
    expected = _in_box(read_snapshot(sample_file))
    assert 0 < len(gdf) < pq.read_metadata(sample_file).num_rows
    assert sorted(gdf[s.WIUP_CODE].dropna()) == sorted(expected[s.WIUP_CODE].drop_nulls())


def test_polars_reads_the_file_directly(small_file: Path) -> None:
    frame = pl.read_parquet(small_file, columns=list(s.COLUMNS))
    assert frame.schema == s.POLARS_SCHEMA
    assert_frame_equal(frame, read_snapshot(small_file))


# ---------------------------------------------------------------------- DuckDB
def test_duckdb_reads_geometry_with_its_crs(sample_file: Path) -> None:
    duckdb = pytest.importorskip("duckdb", minversion="1.5")  # core GEOMETRY since 1.5
    con = duckdb.connect()
    source = f"read_parquet('{sample_file}')"
    kind = con.sql(f"SELECT typeof(geometry) FROM {source} LIMIT 1").fetchall()[0][0]
    assert kind.startswith("GEOMETRY(")
    crs = con.sql(f"SELECT ST_CRS(geometry) FROM {source} LIMIT 1").fetchall()[0][0]
    assert json.loads(crs)["id"] == {"authority": "EPSG", "code": 4326}
    rows = con.sql(
        f"SELECT wiup_code, longitude, latitude, ST_AsText(geometry) FROM {source}"
    ).fetchall()
    assert len(rows) == pq.read_metadata(sample_file).num_rows
    placed = [r for r in rows if r[3] is not None]
    assert len(placed) == sum(r[1] is not None for r in rows)
    points = shapely.from_wkt([r[3] for r in placed])
    assert shapely.get_x(points).tolist() == [r[1] for r in placed]
    assert shapely.get_y(points).tolist() == [r[2] for r in placed]


def test_duckdb_bbox_filter_returns_the_right_rows(sample_file: Path) -> None:
    duckdb = pytest.importorskip("duckdb", minversion="1.5")
    xmin, ymin, xmax, ymax = BOX
    found = (
        duckdb.connect()
        .sql(
            f"SELECT wiup_code, license_number FROM read_parquet('{sample_file}') "
            f"WHERE bbox.xmax >= {xmin} AND bbox.xmin <= {xmax} "
            f"AND bbox.ymax >= {ymin} AND bbox.ymin <= {ymax}"
        )
        .pl()
    )
    expected = _in_box(read_snapshot(sample_file)).select(s.WIUP_CODE, s.LICENSE_NUMBER)
    assert found.height > 0
    assert_frame_equal(found, expected, check_row_order=False)


def test_point_wkb_equals_shapely() -> None:
    frame = canonical_frame().with_columns(
        pl.when(pl.col(s.WIUP_CODE) == "6401012015000001")
        .then(None)
        .otherwise(pl.col(s.LATITUDE))
        .alias(s.LATITUDE)  # a longitude without latitude is no point
    )
    x = frame[s.LONGITUDE].fill_null(np.nan).to_numpy()
    y = frame[s.LATITUDE].fill_null(np.nan).to_numpy()
    expected = shapely.to_wkb(points_from_frame(frame), output_dimension=2, byte_order=1)
    assert gp.point_wkb(x, y).to_pylist() == list(expected)


def test_geoparquet_validator_finds_no_failure(
    sample_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gpv = pytest.importorskip("geoparquet_validator")  # dev extra: geoparquet-validator
    monkeypatch.setattr(gp, "ROW_GROUP_ROWS", 500)  # several groups: spatial order is judged
    grouped = write_snapshot(read_snapshot(sample_file), store=tmp_path)
    for path in (sample_file, grouped):
        report = gpv.check(str(path))
        assert gpv.failed(report) == []
    outcomes = {o["id"]: o["status"] for o in gpv.check(str(grouped))["outcomes"]}
    assert outcomes["/conf/distribution/spatial-order"] == "pass"
    assert outcomes["/conf/covering/bbox-column-type"] == "pass"


# ------------------------------------------- missing geometries: no NaN arithmetic, no warning
_ODD = (np.nan, np.inf, -np.inf, 1e308, -1e308, 0.0, -0.0, 5e-324)


@pytest.mark.filterwarnings("error")  # a RuntimeWarning (NaN, overflow) fails the test
@pytest.mark.parametrize("seed", range(12))
def test_hilbert_order_sorts_missing_points_last_without_a_warning(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))
    x, y = rng.uniform(94, 141.5, n), rng.uniform(-11.5, 6.5, n)
    for values in (x, y):  # some rows missing (NaN, inf), some absurdly far, some fine
        odd = rng.random(n) < 0.4
        values[odd] = rng.choice(_ODD, int(odd.sum()))
    order = gp.hilbert_order(x, y)
    placed = np.isfinite(x) & np.isfinite(y)
    assert sorted(order.tolist()) == list(range(n))  # a permutation: no row lost
    assert placed[order].tolist() == sorted(placed.tolist(), reverse=True)  # placed first
    unplaced = order[~placed[order]]
    assert unplaced.tolist() == sorted(unplaced.tolist())  # in their input order


@pytest.mark.filterwarnings("error")
def test_a_snapshot_with_missing_points_writes_and_reads_without_a_warning(
    tmp_path: Path,
) -> None:
    frame = canonical_frame()
    lon = [1e308, -1e308, float("nan"), None, *frame[s.LONGITUDE].to_list()[4:]]
    frame = frame.with_columns(pl.Series(s.LONGITUDE, lon, dtype=pl.Float64))
    back = read_snapshot(write_snapshot(frame, store=tmp_path))
    assert back.height == frame.height
    unplaced = ~(back[s.LONGITUDE].is_finite().fill_null(False) & back[s.LATITUDE].is_not_null())
    assert unplaced.arg_true().to_list() == list(range(back.height - unplaced.sum(), back.height))
