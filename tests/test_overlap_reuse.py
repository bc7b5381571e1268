"""A layer screened again: its checksum and checks reused while unchanged, never a stale answer."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import polars as pl
import pytest
import shapely

from mining_licenses import schema as s
from mining_licenses import spatial
from mining_licenses.spatial import _layerfacts, _pip
from mining_licenses.spatial import columns as c
from mining_licenses.store import bundled_sample_path, read_snapshot

BOX = shapely.box(116.0, -2.0, 118.0, 0.0)
ELSEWHERE = shapely.box(126.0, -2.0, 128.0, 0.0)


@pytest.fixture(scope="module")
def one() -> pl.DataFrame:
    """One license, its point from the API at (117, -1), inside BOX."""
    return (
        read_snapshot(bundled_sample_path())
        .head(1)
        .with_columns(
            pl.lit(117.0).alias(s.LONGITUDE),
            pl.lit(-1.0).alias(s.LATITUDE),
            pl.lit(s.GEOMETRY_FROM_API).alias(s.GEOMETRY_SOURCE),
        )
    )


@pytest.fixture
def hashed(monkeypatch) -> list[int]:
    """Count the files hashed (a cached checksum is not computed again)."""
    calls = [0]
    real = _layerfacts._digest

    def counting(parts: list[Path]) -> str:
        calls[0] += 1
        return real(parts)

    _layerfacts.clear()
    monkeypatch.setattr(_layerfacts, "_digest", counting)
    return calls


def test_a_changed_layer_file_is_hashed_again_even_with_its_size_and_mtime(
    one, tmp_path, hashed
) -> None:
    path = tmp_path / "areas.geojson"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[BOX], crs="EPSG:4326").to_file(path)
    first = spatial.overlap(one, path)
    again = spatial.overlap(one, path)
    assert hashed[0] == 1  # unchanged: hashed once
    assert again.provenance["layer"]["sha256"] == first.provenance["layer"]["sha256"]
    assert first.pairs.height == 1

    before = path.stat()
    text = path.read_text()
    moved = text.replace("116.0", "126.0").replace("118.0", "128.0")  # BOX -> ELSEWHERE
    assert moved != text
    assert len(moved) == len(text)
    path.write_text(moved)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime
    changed = spatial.overlap(one, path)
    assert hashed[0] == 2
    assert changed.provenance["layer"]["sha256"] == hashlib.sha256(moved.encode()).hexdigest()
    assert changed.pairs.height == 0  # the answer of the new file, not the old


@pytest.mark.parametrize("how", ["array", "loc", "set_crs"])
def test_a_changed_geodataframe_is_checked_again(one, how) -> None:
    gdf = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[BOX, ELSEWHERE], crs="EPSG:4326")
    answers = [spatial.overlap(one, gdf) for _ in range(3)]  # the third uses the kept edges
    assert {a.provenance["layer"]["sha256"] for a in answers} == {
        _layerfacts.frame_sha256(gdf.geometry.to_numpy(), gdf.crs)
    }
    assert all(a.pairs[c.FEATURE_INDEX].to_list() == [0] for a in answers)
    if how == "array":
        gdf.geometry.values[0] = ELSEWHERE  # the same geometry array, set in place
        gdf.geometry.values[1] = BOX
    elif how == "loc":
        gdf.loc[0, "geometry"] = ELSEWHERE
        gdf.loc[1, "geometry"] = BOX
    else:
        gdf.set_crs("EPSG:4258", allow_override=True, inplace=True)  # another CRS, same numbers
    after = spatial.overlap(one, gdf)
    fresh = gdf.copy()
    assert after.provenance["layer"]["sha256"] == _layerfacts.frame_sha256(
        fresh.geometry.to_numpy(), fresh.crs
    )
    assert after.provenance["layer"]["sha256"] != answers[0].provenance["layer"]["sha256"]
    assert after.pairs[c.FEATURE_INDEX].to_list() == ([0] if how == "set_crs" else [1])


def test_a_reused_layer_gives_the_same_answer_as_a_fresh_one(one) -> None:
    rng = np.random.default_rng(3)
    centres = shapely.points(rng.uniform(110, 125, 300), rng.uniform(-8, 4, 300))
    shapes = shapely.buffer(centres, rng.uniform(0.2, 2.0, 300), quad_segs=4)
    shapes[::7] = shapely.difference(shapes[::7], shapely.buffer(centres[::7], 0.1))  # holes
    gdf = gpd.GeoDataFrame({"name": np.arange(300).astype(str)}, geometry=shapes, crs=4326)
    licenses = pl.concat([one] * 500).with_columns(
        pl.Series(s.LONGITUDE, rng.uniform(110, 125, 500)),
        pl.Series(s.LATITUDE, rng.uniform(-8, 4, 500)),
        pl.Series(s.WIUP_CODE, [f"{i:06d}" for i in range(500)]),
    )
    fresh = spatial.overlap(licenses, gdf.copy())  # a new layer: GEOS
    reused = [spatial.overlap(licenses, gdf) for _ in range(3)]  # then its kept edges
    assert fresh.pairs.height > 200
    for result in reused:
        assert result.pairs.equals(fresh.pairs)
        assert result.features.equals(fresh.features)


def test_the_array_point_test_answers_as_geos_does() -> None:
    """Holes, overlapping parts, a bow tie, a hole outside its shell; on edges and vertices."""
    rng = np.random.default_rng(1)
    geometries = np.array(
        [
            shapely.Polygon(
                [(0, 0), (10, 0), (10, 10), (0, 10)], [[(2, 2), (8, 2), (8, 8), (2, 8)]]
            ),
            shapely.MultiPolygon([shapely.box(20, 0, 25, 5), shapely.box(24, 0, 30, 5)]),
            shapely.Polygon([(40, 0), (50, 0), (45, 10)]),
            shapely.Polygon([(60, 0), (70, 10), (70, 0), (60, 10)]),
            shapely.Polygon([(80, 0), (90, 0), (90, 10), (80, 10)], [[(95, 0), (99, 0), (99, 4)]]),
            shapely.box(0.1, 0.2, 0.3, 0.7),
            shapely.Polygon([(0, 0), (1e-9, 3e-9), (2e-9, 0)]),
        ],
        dtype=object,
    )
    vertices = shapely.get_coordinates(geometries)
    points = np.concatenate(
        [
            vertices,
            (vertices[:-1] + vertices[1:]) / 2,  # on edges
            rng.uniform(-1, 100, (3000, 2)),
            np.round(rng.uniform(-1, 100, (3000, 2)) * 2) / 2,  # on a lattice through the edges
            rng.uniform(0, 1, (1000, 2)),
            rng.uniform(0, 3e-9, (1000, 2)),
        ]
    )
    edges = _pip.edges_of(geometries)
    for i in range(len(geometries)):
        hit = np.full(len(points), i)
        ours = _pip.intersects_xy(geometries, edges, hit, points[:, 0], points[:, 1])
        geos = shapely.intersects_xy(geometries[hit], points[:, 0], points[:, 1])
        assert np.array_equal(ours, geos), (i, points[ours != geos][:5])
    assert (
        _pip.intersects_xy(geometries, edges, np.zeros(0, int), np.zeros(0), np.zeros(0)).size == 0
    )


def test_facts_are_not_kept_past_their_layer(one) -> None:
    gdf = gpd.GeoDataFrame(geometry=[BOX], crs="EPSG:4326")
    spatial.overlap(one, gdf)
    key = id(gdf.geometry.array)
    assert key in _layerfacts._layer_facts
    del gdf
    import gc

    gc.collect()
    assert key not in _layerfacts._layer_facts


def test_the_file_cache_is_bounded(tmp_path) -> None:
    _layerfacts.clear()
    for i in range(_layerfacts.KEPT_FILES + 5):
        path = Path(tmp_path / f"{i}.bin")
        path.write_bytes(str(i).encode())
        assert _layerfacts.file_sha256(path) == hashlib.sha256(str(i).encode()).hexdigest()
    assert len(_layerfacts._file_digests) == _layerfacts.KEPT_FILES
