"""Exports for GIS users, read back with GDAL (pyogrio) and polars."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from polars.testing import assert_frame_equal

from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SyntheticDataWarning
from mining_licenses._version import __version__
from mining_licenses.geo import to_geodataframe
from mining_licenses.loader import load_licenses
from mining_licenses.store import SnapshotMeta, export, read_snapshot
from tests.test_store import canonical_frame


@pytest.mark.parametrize(
    ("suffix", "driver"), [(".gpkg", "GPKG"), (".fgb", "FlatGeobuf"), (".geojson", "GeoJSON")]
)
def test_gdal_formats_keep_rows_crs_and_values(tmp_path: Path, suffix: str, driver: str) -> None:
    frame = canonical_frame()
    path = export(frame, tmp_path / f"licenses{suffix}")
    info = pyogrio.read_info(path)
    assert info["driver"] == driver
    assert info["crs"] == s.CRS
    assert info["features"] == 4
    assert info["geometry_type"] == "Point"
    gdf = pyogrio.read_dataframe(path).sort_values(s.LICENSE_NUMBER, na_position="last")
    assert gdf.crs.to_epsg() == 4326
    assert gdf.geometry.isna().sum() == 1
    expected = frame.sort(s.LICENSE_NUMBER, nulls_last=True)
    placed = gdf.geometry.notna().to_numpy()
    assert shapely.get_x(gdf.geometry.to_numpy()[placed]).tolist() == [
        x for x in expected[s.LONGITUDE].to_list() if x is not None
    ]
    assert gdf[s.WIUP_CODE].tolist()[:3] == expected[s.WIUP_CODE].to_list()[:3]  # still text
    by_code = gdf.set_index(s.WIUP_CODE)
    assert by_code.loc["3411003442014022", s.ISSUES] == "unknown_value:commodity_type;missing:x"
    assert by_code.loc["0011003442014022", s.ISSUES] == ""
    assert str(by_code.loc["0011003442014022", s.EFFECTIVE_DATE])[:10] == "2016-02-29"


def test_flatgeobuf_is_indexed_when_every_row_has_a_point(tmp_path: Path) -> None:
    frame = canonical_frame().drop_nulls(s.LONGITUDE)
    path = export(frame, tmp_path / "placed.fgb")
    assert pyogrio.read_info(path)["features"] == 3
    hits = pyogrio.read_dataframe(path, bbox=(116.0, -2.0, 117.0, -1.0))
    assert hits[s.WIUP_CODE].tolist() == ["0011003442014022"]


def test_csv_has_wkt_lon_lat_and_iso_text(tmp_path: Path) -> None:
    frame = canonical_frame()
    path = export(frame, tmp_path / "licenses.csv")
    text = pl.read_csv(path, infer_schema=False)
    assert text.columns == [*s.COLUMNS, "wkt"]
    assert text["wkt"].to_list() == [
        "POINT (116.123 -1.456)",
        "POINT (140.4 -8.5)",
        None,
        "POINT (121.9 -2.8)",
    ]
    assert text[s.WIUP_CODE][0] == "0011003442014022"
    assert text[s.EFFECTIVE_DATE][0] == "2016-02-29"
    assert text[s.FETCHED_AT][0] == "2026-11-01T06:00:00Z"
    assert text[s.ISSUES].to_list()[:2] == ["", "unknown_value:commodity_type;missing:x"]
    gdal = pyogrio.read_dataframe(path)  # GDAL's CSV driver finds the WKT column
    assert gdal.geometry.notna().sum() == 3


def test_parquet_export_is_a_snapshot_file(tmp_path: Path) -> None:
    gdf = to_geodataframe(canonical_frame())
    path = export(gdf, tmp_path / "out" / "licenses.parquet")
    back = read_snapshot(path)
    assert_frame_equal(back.sort(s.LICENSE_NUMBER), canonical_frame().sort(s.LICENSE_NUMBER))


def test_unknown_extension_lists_the_supported_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"\.gpkg.*\.fgb.*\.geojson.*\.csv"):
        export(canonical_frame(), tmp_path / "licenses.shp")
    assert list(tmp_path.iterdir()) == []


def test_existing_file_needs_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "licenses.geojson"
    path.write_text("{}")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        export(canonical_frame(), path)
    assert path.read_text() == "{}"
    export(canonical_frame(), path, overwrite=True)
    assert pyogrio.read_info(path)["features"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "licenses.geojson",
        "licenses.geojson.provenance.json",
    ]


def test_timestamps_survive_in_geopackage(tmp_path: Path) -> None:
    path = export(canonical_frame(), tmp_path / "licenses.gpkg")
    gdf = pyogrio.read_dataframe(path)
    assert gdf[s.FETCHED_AT].iloc[0] == dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC)


REAL = SnapshotMeta(
    source="api",
    fetched_at=dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC),
    base_url="https://api.sectors.app",
    filters={"commodity_type": "Coal"},
    total_count=4,
    complete=True,
)


def provenance_of(path: Path) -> dict[str, Any]:
    """The provenance a reader finds in ``path``, read with that format's own reader."""
    suffix = path.suffix
    if suffix in (".gpkg", ".fgb"):
        tags = pyogrio.read_info(path)["layer_metadata"]
        block: dict[str, Any] = json.loads(tags["mining_licenses"])
        assert tags["synthetic"] == str(block["synthetic"]).lower()
        assert tags["DESCRIPTION"].split()[0] in ("SYNTHETIC", "Indonesia's")
        return block
    if suffix == ".parquet":
        metadata = pq.read_schema(path).metadata
        return dict(json.loads(metadata[b"mining_licenses"]))
    sidecar = path.with_name(path.name + ".provenance.json")
    return dict(json.loads(sidecar.read_text(encoding="utf-8")))


@pytest.mark.parametrize("suffix", [".parquet", ".gpkg", ".fgb", ".geojson", ".csv"])
def test_every_format_carries_the_provenance(tmp_path: Path, suffix: str) -> None:
    path = export(canonical_frame(), tmp_path / f"real{suffix}", meta=REAL)
    block = provenance_of(path)
    assert block["source"] == "api"
    assert block["fetched_at"] == "2026-11-01T06:00:00Z"
    assert block["filters"] == {"commodity_type": "Coal"}
    assert (block["complete"], block["synthetic"], block["records"]) == (True, False, 4)
    assert block["package_version"] == __version__
    if suffix == ".geojson":
        description = json.loads(path.read_text(encoding="utf-8"))["description"]
        assert description.startswith(
            "Indonesia's mining-license registry (Sectors API), source api"
        )


@pytest.mark.parametrize("suffix", [".parquet", ".gpkg", ".fgb", ".geojson", ".csv"])
def test_the_sample_is_labelled_synthetic_in_every_format(tmp_path: Path, suffix: str) -> None:
    with pytest.warns(SyntheticDataWarning):
        gdf = load_licenses(source="sample", province="Bali")  # provenance in gdf.attrs
    block = provenance_of(export(gdf, tmp_path / f"sample{suffix}"))
    assert (block["source"], block["synthetic"]) == ("sample", True)
    assert block["filters"] == {"province": "Bali"}
    assert block["records"] == len(gdf)


def test_a_polars_sample_frame_is_recognised_as_synthetic(tmp_path: Path) -> None:
    with pytest.warns(SyntheticDataWarning):
        frame = load_licenses(source="sample", as_="polars").head(5)
    assert provenance_of(export(frame, tmp_path / "s.csv"))["synthetic"] is True
    later = canonical_frame().with_columns(
        pl.lit(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
        .cast(s.COLUMNS[s.FETCHED_AT])
        .alias(s.FETCHED_AT)
    )
    block = provenance_of(export(later, tmp_path / "u.csv"))
    assert (block["source"], block["synthetic"]) == ("unknown", False)
