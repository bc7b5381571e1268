"""Provenance that survives the paths people take: the README's example, polars frames, subsets.

``gdf.to_file`` (geopandas) writes no provenance, so the README exports with
:func:`~mining_licenses.export`; a polars frame from ``load_licenses`` carries
its filters and ``total_count`` to ``export``; a part of a loaded frame is no
longer ``complete``; the command line names every file it writes.
"""

from __future__ import annotations

import gc
import json
import re
import warnings
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

from mining_licenses import export, load_licenses
from mining_licenses import schema as s
from mining_licenses._errors import SyntheticDataWarning
from mining_licenses.store import _provenance, carried_meta
from tests.readme_examples import readme_example
from tests.test_cli import run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _quiet() -> None:
    warnings.simplefilter("ignore", SyntheticDataWarning)


def _gpkg_meta(path: Path) -> dict[str, object]:
    info = pyogrio.read_info(path)["layer_metadata"]
    assert info is not None, f"{path} carries no provenance"
    return json.loads(info["mining_licenses"])


def test_the_readme_example_keeps_provenance_in_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    readme_example()
    gpkg = _gpkg_meta(tmp_path / "licenses.gpkg")
    assert (gpkg["source"], gpkg["synthetic"]) == ("sample", True)
    sidecar = json.loads((tmp_path / "coal.csv.provenance.json").read_text())
    rows = (tmp_path / "coal.csv").read_text().count("\n") - 1
    assert sidecar["filters"] == {"commodity_type": "Coal", "province": "Kalimantan Timur"}
    assert sidecar["total_count"] == sidecar["records"] == rows > 0
    assert sidecar["synthetic"] is True
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"```python\n(.*?)```", readme, re.DOTALL)
    assert example is not None
    assert ".to_file(" not in example.group(1)  # the path that loses it is not the example's


def test_geopandas_to_file_keeps_none_which_is_why_export_is_the_path(tmp_path: Path) -> None:
    gdf = load_licenses(source="sample").head(5)
    gdf.to_file(tmp_path / "plain.gpkg")
    assert pyogrio.read_info(tmp_path / "plain.gpkg")["layer_metadata"] is None
    assert "gdf.to_file" in (ROOT / "docs" / "snapshots.md").read_text()


def test_a_loaded_polars_frame_carries_its_filters_and_total_to_export(tmp_path: Path) -> None:
    coal = load_licenses(source="sample", commodity_type="coal", province="Kaltim", as_="polars")
    written = export(coal, tmp_path / "coal.fgb")
    meta = _gpkg_meta(written)
    assert meta["filters"] == {"commodity_type": "Coal", "province": "Kalimantan Timur"}
    assert meta["total_count"] == meta["records"] == coal.height
    assert meta["complete"] is True
    # a frame derived from it is another object: it claims nothing it cannot know
    part = coal.head(10)
    assert carried_meta(part) is None
    part_meta = _gpkg_meta(export(part, tmp_path / "part.gpkg"))
    assert part_meta["filters"] == {}
    assert part_meta["synthetic"] is True  # still recognised as the sample


def test_the_frames_provenance_is_forgotten_with_the_frame() -> None:
    before = len(_provenance._remembered)
    frame = load_licenses(source="sample", province="Bali", as_="polars")
    assert len(_provenance._remembered) == before + 1
    del frame
    gc.collect()
    assert len(_provenance._remembered) == before


def test_a_part_of_a_loaded_geodataframe_is_not_complete(tmp_path: Path) -> None:
    gdf = load_licenses(source="sample", commodity_type="nickel")
    assert isinstance(gdf, gpd.GeoDataFrame)
    whole = _gpkg_meta(export(gdf, tmp_path / "nickel.gpkg"))
    assert (whole["complete"], whole["records"], whole["total_count"]) == (
        True,
        len(gdf),
        len(gdf),
    )
    part = gdf[gdf[s.PROVINCE] == "Sulawesi Tengah"]
    assert part.attrs == gdf.attrs  # pandas carries attrs through the filter
    meta = _gpkg_meta(export(part, tmp_path / "part.gpkg"))
    assert (meta["complete"], meta["records"], meta["total_count"]) == (
        False,
        len(part),
        len(gdf),
    )
    assert meta["filters"] == {"commodity_type": "Nickel"}


@pytest.mark.parametrize(("name", "sidecar"), [("x.csv", True), ("x.parquet", False)])
def test_the_cli_names_every_file_it_writes(name: str, sidecar: bool, tmp_path: Path) -> None:
    target = tmp_path / name
    result = run("export", str(target), "--source", "sample", "--province", "Sulsel")
    assert result.returncode == 0, result.stderr
    last = result.stdout.splitlines()[-1]
    if sidecar:
        assert last.endswith(f"to {target} and its provenance {target}.provenance.json")
    else:
        assert last.endswith(f"to {target} (provenance inside the file)")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [name, f"{name}.provenance.json"] if sidecar else [name]
    )
