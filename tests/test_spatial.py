"""The spatial screens: small islands against published areas, snapping, regency points, overlap."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest
import shapely

from mining_licenses import ConfigurationError, gazetteer, spatial
from mining_licenses import schema as s
from mining_licenses.cli import _screen, main
from mining_licenses.spatial import columns as c
from mining_licenses.store import bundled_sample_path, read_snapshot

ENTRY_POINT = Path(sys.executable).with_name("mining-licenses")

#: Islands and their published areas (km2), with where each figure comes from; the layer
#: must give each within 10%.
PUBLISHED = {
    # Wikipedia, "Bangka Island": 11,910 km2
    "Bangka": ((106.10, -2.10), 11_910.0),
    # Wikipedia, "Bali": 5,780.06 km2 (the province: the island and its islets)
    "Bali": ((115.19, -8.40), 5_780.06),
    # Wikipedia, "Lombok": 4,514.11 km2
    "Lombok": ((116.30, -8.60), 4_514.11),
    # Wikipedia, "Belitung": 4,800 km2
    "Belitung": ((107.90, -2.85), 4_800.0),
    # BPS, Kabupaten Konawe Kepulauan (the regency is Wawonii island): 693.07 km2
    "Wawonii": ((123.10, -4.10), 693.07),
    # Wikipedia, "Sebatik Island" (citing the UNEP Island Directory): 452.2 km2,
    # split between Indonesia and Malaysia: measured whole
    "Sebatik": ((117.80, 4.10), 452.2),
    # Wikipedia, "Simeulue": 1,754 km2 (2,310 km2 is the regency with its waters' islets)
    "Simeulue": ((96.08, 2.62), 1_754.0),
}
#: Raja Ampat islands of the 2025 revocations: small, and resolved by the layer.
RAJA_AMPAT = {"Gag": (129.89, -0.44), "Kawe": (130.13, -0.05)}


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return read_snapshot(bundled_sample_path())


def licenses_at(
    sample: pl.DataFrame, points: list[tuple[float, float]], source: str = s.GEOMETRY_FROM_API
) -> pl.DataFrame:
    """Sample licenses moved to ``points`` (lon, lat), placed as ``source`` says."""
    lon, lat = zip(*points, strict=True)
    return sample.head(len(points)).with_columns(
        pl.Series(s.LONGITUDE, lon, dtype=pl.Float64),
        pl.Series(s.LATITUDE, lat, dtype=pl.Float64),
        pl.lit(source).alias(s.GEOMETRY_SOURCE),
    )


@pytest.fixture(scope="module")
def islands() -> gpd.GeoDataFrame:
    return spatial.islands_layer()


def test_known_islands_resolve_within_ten_percent_of_their_published_areas(sample) -> None:
    names = list(PUBLISHED)
    screen = spatial.small_islands(licenses_at(sample, [PUBLISHED[n][0] for n in names]))
    got = screen.licenses
    assert got[c.ISLAND_MATCH].to_list() == [c.ON_ISLAND] * len(names)
    for name, km2 in zip(names, got[c.ISLAND_KM2].to_list(), strict=True):
        published = PUBLISHED[name][1]
        assert abs(km2 / published - 1) <= 0.10, (name, km2, published)
    small = dict(zip(names, got[c.SMALL_ISLAND].to_list(), strict=True))
    assert small == {
        "Bangka": False,
        "Bali": False,
        "Lombok": False,
        "Belitung": False,
        "Wawonii": True,
        "Sebatik": True,
        "Simeulue": True,
    }


def test_raja_ampat_small_islands_are_resolved(sample) -> None:
    screen = spatial.small_islands(licenses_at(sample, list(RAJA_AMPAT.values())))
    got = screen.licenses
    assert got[c.ISLAND_MATCH].to_list() == [c.ON_ISLAND, c.ON_ISLAND]
    assert got[c.SMALL_ISLAND].to_list() == [True, True]
    assert all(20 < km2 < 100 for km2 in got[c.ISLAND_KM2].to_list())  # Gag ~60, Kawe ~50
    assert got[c.ISLAND_ID].n_unique() == 2
    assert screen.islands.height == 2


def _wawonii(islands: gpd.GeoDataFrame) -> shapely.Geometry:
    return islands.geometry[islands.contains(shapely.Point(123.10, -4.10))].iloc[0]


def test_a_point_just_offshore_is_snapped_and_flagged(sample, islands) -> None:
    coast = shapely.get_coordinates(_wawonii(islands))
    east = coast[np.argmax(coast[:, 0])]
    offshore = (float(east[0]) + 0.0045, float(east[1]))  # about 500 m east of the coast
    screen = spatial.small_islands(licenses_at(sample, [offshore, (123.10, -4.10)]))
    row, on = screen.licenses.row(0, named=True), screen.licenses.row(1, named=True)
    assert row[c.ISLAND_MATCH] == c.SNAPPED
    assert row[c.ISLAND_ID] == on[c.ISLAND_ID]
    assert 400 < row[c.COAST_DISTANCE_M] < 600
    assert row[c.SMALL_ISLAND] is True
    assert on[c.COAST_DISTANCE_M] == 0.0
    # with a shorter snap distance the same point is at sea, and not on any island
    tight = spatial.small_islands(licenses_at(sample, [offshore]), snap_m=300).licenses
    assert tight[c.ISLAND_MATCH].to_list() == [c.AT_SEA]
    assert tight[c.ISLAND_ID].to_list() == [None]
    assert tight[c.SMALL_ISLAND].to_list() == [None]


def test_a_point_at_sea_is_flagged(sample) -> None:
    screen = spatial.small_islands(licenses_at(sample, [(110.0, -4.5)]))  # the Java Sea
    row = screen.licenses.row(0, named=True)
    assert row[c.ISLAND_MATCH] == c.AT_SEA
    assert row[c.ISLAND_ID] is None
    assert row[c.SMALL_ISLAND] is None
    assert row[c.COAST_DISTANCE_M] > 50_000
    assert screen.islands.height == 0
    assert screen.counts()[c.AT_SEA] == 1


def _regency_point(code: str) -> tuple[float, float]:
    row = gazetteer.regencies().filter(pl.col(gazetteer.CODE) == code).row(0, named=True)
    return row[s.LONGITUDE], row[s.LATITUDE]


def test_regency_placed_points_count_only_where_the_regency_is_one_island(sample) -> None:
    points = [
        _regency_point("74.12"),  # Konawe Kepulauan: Wawonii, the whole regency
        _regency_point("74.06"),  # Bombana: mainland Sulawesi and Kabaena
        _regency_point("91.08"),  # Raja Ampat: hundreds of islands
        (123.10, -4.10),  # on Wawonii, but no regency's point: which regency is unknown
    ]
    screen = spatial.small_islands(licenses_at(sample, points, s.GEOMETRY_FROM_REGENCY))
    got = screen.licenses
    assert got[c.ISLAND_MATCH].to_list() == [
        c.REGENCY_ISLAND,
        c.REGENCY_UNKNOWN,
        c.REGENCY_UNKNOWN,
        c.REGENCY_UNKNOWN,
    ]
    assert got[c.SMALL_ISLAND].to_list() == [True, None, None, None]
    assert got[c.ISLAND_ID].null_count() == 3
    assert screen.counts()["on_small_island"] == 1
    assert screen.islands[c.REGENCY_LICENSES].to_list() == [1]


def test_every_single_island_regency_point_lies_on_its_island(sample) -> None:
    codes = list(spatial.SINGLE_ISLAND_REGENCIES)
    screen = spatial.small_islands(
        licenses_at(sample, [_regency_point(code) for code in codes], s.GEOMETRY_FROM_REGENCY)
    )
    got = screen.licenses.with_columns(
        pl.Series("island", list(spatial.SINGLE_ISLAND_REGENCIES.values()))
    )
    assert got[c.ISLAND_MATCH].to_list() == [c.REGENCY_ISLAND] * len(codes)
    # one island per island name, and different names on different islands
    pairs = got.select("island", c.ISLAND_ID).unique()
    assert pairs["island"].n_unique() == pairs.height == pairs[c.ISLAND_ID].n_unique()


def test_the_bundled_layer_matches_its_readme_and_its_areas_are_equal_area(islands) -> None:
    readme = (spatial.islands_path().parent / "README.md").read_text(encoding="utf-8")
    assert f"| `islands.parquet` | {len(islands):,} |" in readme
    assert islands["island_id"].is_unique
    assert islands["area_km2"].is_monotonic_decreasing
    whole = islands[~islands["clipped"]].sample(40, random_state=1)
    recomputed = whole.to_crs("EPSG:6933").area / 1e6
    assert np.allclose(recomputed, whole["area_km2"], rtol=1e-6, atol=1e-3)


def test_another_islands_layer_in_a_projected_crs_gives_the_same_islands(sample, islands) -> None:
    pick = islands[islands.intersects(shapely.box(122.5, -4.6, 123.5, -3.6))]  # Wawonii's sea
    own = spatial.small_islands(licenses_at(sample, [(123.10, -4.10)]))
    theirs = spatial.small_islands(
        licenses_at(sample, [(123.10, -4.10)]), islands=pick[["geometry"]].to_crs("EPSG:32751")
    )
    assert theirs.licenses[c.ISLAND_MATCH].to_list() == [c.ON_ISLAND]
    assert theirs.licenses[c.ISLAND_KM2].item() == pytest.approx(
        own.licenses[c.ISLAND_KM2].item(), rel=1e-3
    )
    assert theirs.provenance["islands_layer"]["crs"] == "EPSG:32751"


def test_small_islands_records_provenance_and_precision(sample) -> None:
    screen = spatial.small_islands(sample)
    prov = screen.provenance
    layer = prov["islands_layer"]
    assert layer["sha256"] == hashlib.sha256(spatial.islands_path().read_bytes()).hexdigest()
    assert layer["features"] == len(spatial.islands_layer())
    assert prov["licenses"]["synthetic"] is True
    assert prov["max_km2"] == 2000.0
    assert any("1:250,000" in note for note in screen.notes)
    counts = screen.counts()
    assert sum(counts[m] for m in c.MATCHES) == sample.height
    assert counts["on_small_island"] == screen.small().height > 0


@pytest.mark.parametrize("bad", [{"max_km2": 0}, {"max_km2": float("nan")}, {"snap_m": -1}])
def test_small_islands_refuses_bad_parameters(sample, bad) -> None:
    with pytest.raises(ConfigurationError):
        spatial.small_islands(sample.head(3), **bad)


# ----------------------------------------------------------------------------- overlap
@pytest.fixture(scope="module")
def layer() -> gpd.GeoDataFrame:
    """Disks around Indonesia, some overlapping, with a name each."""
    rng = np.random.default_rng(7)
    centres = shapely.points(rng.uniform(95, 141, 400), rng.uniform(-10, 5, 400))
    shapes = shapely.buffer(centres, rng.uniform(0.1, 0.7, 400))
    names = [f"area {i}" for i in range(400)]
    return gpd.GeoDataFrame({"name": names}, geometry=shapes, crs="EPSG:4326")


@pytest.mark.parametrize("footprint", ["point", "circle"])
def test_overlap_gives_the_same_answer_in_lonlat_and_in_a_projected_crs(
    sample, layer, footprint
) -> None:
    lonlat = spatial.overlap(sample, layer, footprint=footprint)
    projected = spatial.overlap(sample, layer.to_crs("EPSG:3857"), footprint=footprint)
    key = [s.WIUP_CODE, c.FEATURE_INDEX]
    a, b = lonlat.pairs.sort(key), projected.pairs.sort(key)
    assert a.height > 50
    assert a.select(key).equals(b.select(key))
    assert lonlat.licenses[c.FEATURES].equals(projected.licenses[c.FEATURES])
    if footprint == "circle":
        diff = (a[c.APPROX_CIRCLE_SHARE] - b[c.APPROX_CIRCLE_SHARE]).abs().max()
        assert diff < 1e-3
    assert projected.provenance["layer"]["crs"] == "EPSG:3857"


def test_circle_shares_are_measured_on_the_ground(sample) -> None:
    lon, lat = 117.0, -1.0
    frame = licenses_at(sample, [(lon, lat)]).with_columns(pl.lit(100.0).alias(s.AREA_HA))
    half = shapely.box(lon, lat - 1, lon + 1, lat + 1)  # the circle's eastern half
    other_half = shapely.box(lon - 1, lat - 1, lon, lat + 1)
    whole = shapely.box(lon - 1, lat - 1, lon + 1, lat + 1)
    areas = gpd.GeoDataFrame(geometry=[half, other_half, whole], crs="EPSG:4326")
    result = spatial.overlap(frame, areas, footprint="circle")
    shares = result.pairs.sort(c.FEATURE_INDEX)[c.APPROX_CIRCLE_SHARE].to_list()
    assert shares == pytest.approx([0.5, 0.5, 1.0], abs=0.01)
    hectares = result.pairs.sort(c.FEATURE_INDEX)[c.APPROX_CIRCLE_HA].to_list()
    assert hectares == pytest.approx([50, 50, 100], abs=1)
    # three features cover the circle twice over: inside any of them, once
    assert result.licenses[c.APPROX_CIRCLE_SHARE_ANY].to_list() == pytest.approx([1.0], abs=1e-6)
    radius = result.licenses[c.APPROX_CIRCLE_RADIUS_M].item()
    assert radius == pytest.approx(np.sqrt(100 * 1e4 / np.pi), rel=0.002)


def test_circle_footprints_are_labelled_approximations_everywhere(sample, layer, tmp_path) -> None:
    result = spatial.overlap(sample, layer, footprint="circle")
    circle_columns = {c.APPROX_CIRCLE_SHARE, c.APPROX_CIRCLE_HA}
    assert circle_columns <= set(result.pairs.columns)
    per_license = {c.APPROX_CIRCLE_RADIUS_M, c.APPROX_CIRCLE_SHARE_ANY}
    assert per_license <= set(result.licenses.columns)
    assert c.FEATURE_APPROX_HA in result.features.columns
    new = (set(result.pairs.columns) | set(result.licenses.columns)) - set(sample.columns)
    new -= {c.FEATURE_INDEX, c.FOOTPRINT, c.FEATURES, "feature_name"}
    assert all(name.startswith("approx_") for name in new), new
    assert set(result.pairs[c.FOOTPRINT].unique()) == {c.APPROX_CIRCLE}
    assert any("APPROXIMATION" in note for note in result.notes)
    assert "APPROXIMATION" in result.provenance["approximation"]
    point = spatial.overlap(sample, layer)
    assert not any(name.startswith("approx_") for name in point.pairs.columns)


def test_overlap_reads_every_format_and_records_the_file(sample, layer, tmp_path) -> None:
    key = [s.WIUP_CODE, "feature_name"]  # FlatGeobuf stores features in its index's order
    expected = spatial.overlap(sample, layer).pairs.select(key).sort(key)
    for name in ("areas.gpkg", "areas.fgb", "areas.shp", "areas.geojson", "areas.parquet"):
        path = tmp_path / name
        if name.endswith(".parquet"):
            layer.to_parquet(path)
        else:
            layer.to_file(path)
        result = spatial.overlap(sample, path)
        assert result.pairs.select(key).sort(key).equals(expected), name
        info = result.provenance["layer"]
        assert info["path"] == str(path)
        assert info["features"] == len(layer)
        if not name.endswith(".shp"):
            assert info["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_overlap_refuses_bad_input_with_what_to_do(sample, layer, tmp_path) -> None:
    def refused(match: str, *args, **kwargs) -> None:
        with pytest.raises(ConfigurationError, match=match):
            spatial.overlap(*args, **kwargs)

    refused("has no CRS", sample, layer.set_crs(None, allow_override=True))
    points = gpd.GeoDataFrame(geometry=shapely.points([[117, -1]]), crs="EPSG:4326")
    refused("Point geometries; a screen needs polygons", sample, points)
    refused("has no features", sample, layer.iloc[:0])
    refused("Cannot read the layer .* does not exist", sample, tmp_path / "missing.gpkg")
    (tmp_path / "junk.gpkg").write_bytes(b"not a geopackage")
    refused("Cannot read the layer", sample, tmp_path / "junk.gpkg")
    unplaced = sample.head(5).with_columns(pl.lit(None, pl.Float64).alias(s.LONGITUDE))
    refused("has a point to screen", unplaced, layer)
    refused("footprint=", sample, layer, footprint="square")
    refused("not attribute columns", sample, layer, columns=["nope"])


def test_overlap_leaves_regency_points_out_unless_asked(sample, layer) -> None:
    default = spatial.overlap(sample, layer)
    regency = pl.col(s.GEOMETRY_SOURCE) == s.GEOMETRY_FROM_REGENCY
    assert (
        default.licenses.filter(regency)[c.FOOTPRINT].null_count() == sample.filter(regency).height
    )
    asked = spatial.overlap(sample, layer, include_regency=True)
    assert asked.pairs.height > default.pairs.height
    total = asked.features[c.FEATURE_LICENSES].sum()
    assert total == asked.pairs.height == asked.licenses[c.FEATURES].sum()


# --------------------------------------------------------------------------------- CLI
def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ENTRY_POINT), *args], capture_output=True, text=True, timeout=240, check=False
    )


def test_cli_defaults_are_the_librarys() -> None:
    assert _screen._SMALL_ISLAND_KM2 == spatial.SMALL_ISLAND_KM2
    assert _screen._SNAP_M == spatial.SNAP_M


def test_cli_small_islands_prints_a_table_and_writes_files_with_provenance(
    tmp_path, capsys
) -> None:
    csv, parquet = tmp_path / "islands.csv", tmp_path / "islands.parquet"
    done = run(
        "screen",
        "small-islands",
        "--source",
        "sample",
        "--csv",
        str(csv),
        "--parquet",
        str(parquet),
    )
    assert done.returncode == 0, done.stderr
    assert "SYNTHETIC DATA" in done.stdout
    assert "small islands with licenses" in done.stdout
    assert "Kabupaten Konawe Kepulauan" in done.stdout
    assert "1:250,000" in done.stdout
    sidecar = json.loads((tmp_path / "islands.csv.provenance.json").read_text(encoding="utf-8"))
    assert sidecar["synthetic"] is True
    assert sidecar["mining_licenses:result"]["screen"] == "small_islands"
    frame = pl.read_csv(csv, infer_schema_length=0)
    assert frame.height == 4200
    assert {c.ISLAND_MATCH, "wkt"} <= set(frame.columns)
    gdf = gpd.read_parquet(parquet)
    assert len(gdf) == 4200
    assert gdf.crs.to_epsg() == 4326
    meta = pq.read_metadata(parquet).metadata
    assert json.loads(meta[b"mining_licenses:result"])["islands_layer"]["features"] > 9000
    assert main(["screen", "small-islands", "--source", "sample", "--csv", str(csv)]) == 2
    assert "exists; pass --overwrite to replace it" in capsys.readouterr().err


def test_cli_overlap_circle_says_approximation(tmp_path, layer, capsys) -> None:
    path = tmp_path / "areas.gpkg"
    layer.to_crs("EPSG:3857").to_file(path)
    out = tmp_path / "pairs.csv"
    done = run(
        "screen", "overlap", str(path), "--source", "sample", "--footprint", "circle",
        "--csv", str(out), "--summary-csv", str(tmp_path / "features.csv"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "APPROXIMATION" in done.stdout
    assert "approx_circle_ha_inside" in done.stdout
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert "approx_circle_share_in_feature" in header
    sidecar = json.loads((tmp_path / "pairs.csv.provenance.json").read_text(encoding="utf-8"))
    assert sidecar["mining_licenses:result"]["layer"]["crs"] == "EPSG:3857"
    assert main(["screen", "overlap", str(tmp_path / "nope.gpkg"), "--source", "sample"]) == 2
    assert "error: Cannot read the layer" in capsys.readouterr().err
