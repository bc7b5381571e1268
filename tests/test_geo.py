"""to_geodataframe / to_polars: vectorised, EPSG:4326, lossless both ways."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import polars as pl
import pyogrio
import pytest
import shapely
from polars.testing import assert_frame_equal

from mining_licenses import schema as s
from mining_licenses._errors import SchemaError, SyntheticDataWarning
from mining_licenses.geo import points_from_frame, to_geodataframe, to_polars
from mining_licenses.loader import load_licenses


def canonical_rows() -> pl.DataFrame:
    """Every canonical dtype, with nulls, empty lists and number-like strings."""
    rows = {
        s.WIUP_CODE: ["0011003442014022", "3411003442014022", None],
        s.LICENSE_NUMBER: ["503/1573/IUP-OP/2015", "007", None],
        s.LICENSE_TYPE: ["IUP", "KK", None],
        s.COMPANY_NAME: ["PT A", "PT B", None],
        s.COMPANY_SLUG: [None, "b", None],
        s.COMPANY_KEY: ["a", "b", None],
        s.COMMODITY: ["Coal", "Lithium", None],
        s.ACTIVITY: ["Eksplorasi", "Operasi Produksi", None],
        s.PROVINCE: ["Kalimantan Timur", "Papua Selatan", None],
        s.CITY: ["Paser", "1234", None],
        s.EFFECTIVE_DATE: [dt.date(2016, 2, 29), dt.date(1995, 1, 1), None],
        s.EXPIRY_DATE: [dt.date(2026, 2, 28), None, None],
        s.AREA_HA: [1500.5, 0.0, None],
        s.CNC: ["CNC", "non-CNC", None],
        s.GENERATION: [None, "GEN I", None],
        s.LOCATION_TEXT: [None, "Kabupaten Merauke, Kota X", None],
        s.LONGITUDE: [116.123, 140.4, None],
        s.LATITUDE: [-1.456, -8.5, None],
        s.GEOMETRY_SOURCE: ["api_point", "regency", None],
        s.ISSUES: [[], ["unknown_value:commodity_type", "missing:x"], ["record_not_an_object"]],
        s.FETCHED_AT: [dt.datetime(2026, 8, 1, 12, tzinfo=dt.UTC)] * 3,
    }
    return pl.DataFrame(rows, schema=s.POLARS_SCHEMA)


def test_geodataframe_has_points_in_epsg4326_and_keeps_unplaced_rows() -> None:
    gdf = to_geodataframe(canonical_rows())
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) == 3
    assert gdf.geometry.iloc[0].equals(shapely.Point(116.123, -1.456))
    assert gdf.geometry.iloc[2] is None
    assert list(gdf.columns) == [*s.COLUMNS, "geometry"]


def test_round_trip_is_lossless() -> None:
    frame = canonical_rows()
    back = to_polars(to_geodataframe(frame))
    assert_frame_equal(back, frame)
    assert back.schema == s.POLARS_SCHEMA


def test_round_trip_after_filtering_in_pandas() -> None:
    gdf = to_geodataframe(canonical_rows())
    subset = gdf[gdf[s.LICENSE_TYPE] == "KK"]
    back = to_polars(subset)
    assert_frame_equal(back, canonical_rows().slice(1, 1))


def test_geometry_is_authoritative() -> None:
    gdf = to_geodataframe(canonical_rows())
    gdf.loc[0, "geometry"] = shapely.Point(117.0, -2.0)
    back = to_polars(gdf)
    assert back.row(0, named=True)[s.LONGITUDE] == 117.0
    assert back.row(0, named=True)[s.LATITUDE] == -2.0


def test_reprojected_and_non_point_geometries_come_back_as_wgs84_points() -> None:
    gdf = to_geodataframe(canonical_rows()).to_crs(3857)
    back = to_polars(gdf)
    assert back[s.LONGITUDE][0] == pytest.approx(116.123)
    assert back[s.LATITUDE][1] == pytest.approx(-8.5)
    buffered = to_geodataframe(canonical_rows())
    buffered["geometry"] = shapely.buffer(buffered.geometry.to_numpy(), 0.01)
    back = to_polars(buffered)
    assert back[s.LONGITUDE][0] == pytest.approx(116.123, abs=0.02)


def test_points_need_coordinate_columns() -> None:
    with pytest.raises(SchemaError, match="longitude or latitude"):
        points_from_frame(pl.DataFrame({"a": [1]}))


def test_geodataframe_survives_geopandas_own_parquet_round_trip(tmp_path: Path) -> None:
    gdf = to_geodataframe(canonical_rows())
    gdf.to_parquet(tmp_path / "g.parquet")
    back = gpd.read_parquet(tmp_path / "g.parquet")
    assert back.crs.to_epsg() == 4326
    assert_frame_equal(to_polars(back), canonical_rows())


@pytest.fixture(scope="module")
def loaded() -> gpd.GeoDataFrame:
    with pytest.warns(SyntheticDataWarning):
        return load_licenses(source="sample", province="Kalimantan Timur")


def test_geopandas_to_file_writes_typed_fields(loaded: gpd.GeoDataFrame, tmp_path: Path) -> None:
    path = tmp_path / "licenses.gpkg"
    loaded.to_file(path)
    info = pyogrio.read_info(path)
    dtypes = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert dtypes[s.EFFECTIVE_DATE] == dtypes[s.EXPIRY_DATE] == "datetime64[ms]"
    assert dtypes[s.FETCHED_AT] == "datetime64[ms]"
    assert dtypes[s.AREA_HA] == "float64"
    assert info["features"] == len(loaded)
    back = pyogrio.read_dataframe(path)
    flagged = loaded[s.ISSUES] != ""
    assert flagged.any()
    assert back[s.ISSUES].tolist() == loaded[s.ISSUES].tolist()  # "a;b", never "['a' 'b']"
    assert "[" not in "".join(back[s.ISSUES])
    assert_frame_equal(to_polars(back).select(list(s.COLUMNS)), to_polars(loaded))


def test_geopandas_to_parquet_and_to_json_work_as_they_are(
    loaded: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    loaded.to_parquet(tmp_path / "g.parquet")
    assert_frame_equal(to_polars(gpd.read_parquet(tmp_path / "g.parquet")), to_polars(loaded))
    features = json.loads(loaded.to_json(default=str))["features"]
    assert len(features) == len(loaded)
    first = features[0]["properties"]
    assert first[s.EXPIRY_DATE].startswith(str(loaded[s.EXPIRY_DATE].iloc[0].date()))
    assert isinstance(first[s.AREA_HA], float)


def test_nan_and_null_stay_apart_in_a_round_trip() -> None:
    frame = canonical_rows().with_columns(pl.Series(s.AREA_HA, [float("nan"), 2.0, None]))
    back = to_polars(to_geodataframe(frame))
    assert back[s.AREA_HA].is_nan().to_list() == [True, False, None]
    assert_frame_equal(back, frame)
