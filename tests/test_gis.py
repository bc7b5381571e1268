"""What the README and docs/snapshots.md say about GIS tools, checked in those tools.

A snapshot opens with geopandas' ``read_parquet`` and in DuckDB without its
spatial extension (offline); pyogrio's wheels carry no GDAL Parquet driver,
so ``read_file`` does not open it; a GeoPackage opens everywhere. QGIS is not
on the test machine: what is said of it is not tested here.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

from mining_licenses import export, load_licenses
from mining_licenses._errors import SyntheticDataWarning
from mining_licenses.store import bundled_sample_path, read_snapshot

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SNAPSHOTS = (ROOT / "docs" / "snapshots.md").read_text(encoding="utf-8")


def _said(text: str) -> str:
    return " ".join(text.split())


def test_pyogrio_has_no_parquet_driver_as_the_docs_say(tmp_path: Path) -> None:
    if "Parquet" in pyogrio.list_drivers():  # pragma: no cover - a future wheel
        pytest.fail("pyogrio now reads Parquet: update README.md and docs/snapshots.md")
    assert "pyogrio's wheels carry no GDAL Parquet driver" in _said(SNAPSHOTS)
    assert "pyogrio's wheels carry no GDAL Parquet driver" in _said(README)
    with pytest.raises(pyogrio.errors.DataSourceError):
        gpd.read_file(bundled_sample_path())


def test_geopandas_reads_a_snapshot_with_read_parquet() -> None:
    gdf = gpd.read_parquet(bundled_sample_path())
    ours = read_snapshot(bundled_sample_path(), as_="geopandas")
    assert gdf.crs is not None
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) == len(ours)
    assert gdf.geometry.equals(ours.geometry)
    assert "`geopandas.read_parquet`" in SNAPSHOTS


@pytest.mark.parametrize("suffix", [".gpkg", ".fgb"])
def test_gdal_formats_open_with_read_file_and_carry_provenance(suffix: str, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticDataWarning)
        nickel = load_licenses(source="sample", commodity_type="nickel")
    path = export(nickel, tmp_path / f"nickel{suffix}")
    back = gpd.read_file(path)
    assert len(back) == len(nickel)
    assert pyogrio.read_info(path)["layer_metadata"]["synthetic"] == "true"


def _sql_blocks(text: str) -> list[str]:
    return re.findall(r"```sql\n(.*?)```", text, re.DOTALL)


def test_the_duckdb_queries_run_offline_as_written() -> None:
    duckdb = pytest.importorskip("duckdb", minversion="1.5")
    con = duckdb.connect()
    sample = bundled_sample_path()
    blocks = _sql_blocks(README) + _sql_blocks(SNAPSHOTS)
    assert len(blocks) == 2
    for block in blocks:
        query = re.sub(r"read_parquet\('[^']*'\)", f"read_parquet('{sample}')", block)
        rows = con.sql(query.split(";")[0]).fetchall()
        assert len(rows) == 3
        shown = re.findall(r"^-- (.*)$", block, re.MULTILINE)  # the README shows its answer
        for row, line in zip(rows, shown, strict=False):
            assert [str(v) for v in row] == [cell.strip() for cell in line.split("|")]
    loaded = con.sql(
        "SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'spatial'"
    ).fetchall()
    assert loaded in ([], [(False,)])  # no extension was needed
    assert "no extension needed" in SNAPSHOTS
