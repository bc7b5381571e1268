"""The join under :func:`overlap`: footprints against a layer's spatial index, on whole arrays.

Points: the index's bounding-box query, then the point-in-polygon test on the
candidate pairs (the same predicate as ``intersects``, edges counted):
``shapely.intersects_xy`` for a layer screened once, the array test of
:mod:`._pip` over its edges once it is screened again. Circles: the index's ``intersects``
query, then the part of each circle inside each feature, measured on the
equal-area CRS; a circle inside a feature is all in it and a feature inside
a circle is all of its part, so only the pairs whose edges cross are
intersected. Coordinates are moved between CRSs as arrays, before
geometries are built.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np

from mining_licenses.spatial import _geometry as g
from mining_licenses.spatial import _pip as pip
from mining_licenses.spatial._pip import Edges


@functools.cache
def _same_crs(source: str, target: str) -> bool:
    """Return True when ``source`` and ``target`` place coordinates alike (axis order aside)."""
    from pyproj import CRS

    return source == target or bool(CRS(source).equals(CRS(target), ignore_axis_order=True))


def move_xy(
    x: np.ndarray, y: np.ndarray, source: str, target: str
) -> tuple[np.ndarray, np.ndarray]:
    """Return coordinates ``x``, ``y`` (any shape) moved from CRS ``source`` to ``target``."""
    if _same_crs(source, target):
        return x, y
    moved = g.transformer(source, target).transform(x.ravel(), y.ravel())
    return np.reshape(moved[0], x.shape), np.reshape(moved[1], y.shape)


def _sorted(at: np.ndarray, hit: np.ndarray, features: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the pairs ordered by footprint, then feature."""
    key = np.sort(at.astype(np.int64) * features + hit)
    return key // features, key % features


def point_pairs(
    sindex: Any,
    shapes: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    crs: str,
    edges: Edges | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (point, feature) positions of every feature each point intersects, sorted.

    With the polygons' ``edges``, the candidates are tested as arrays
    (:func:`_pip.intersects_xy`), else by GEOS, with the same answer.
    """
    import shapely

    x, y = move_xy(lon, lat, g.LONLAT, crs)
    at, hit = sindex.query(shapely.points(x, y))  # bounding boxes
    if edges is None:
        inside = shapely.intersects_xy(shapes[hit], x[at], y[at])
    else:
        inside = pip.intersects_xy(shapes, edges, hit, x[at], y[at])
    return _sorted(at[inside], hit[inside], len(shapes))


@dataclasses.dataclass(frozen=True)
class CirclePairs:
    """Each (circle, feature) pair: positions, and the part of the circle inside (equal-area)."""

    at: np.ndarray
    hit: np.ndarray
    drawn_area: np.ndarray  # per circle, m2
    pieces: np.ndarray  # per pair, the part inside (equal-area CRS)
    piece_area: np.ndarray  # per pair, m2
    covered: np.ndarray  # per pair: the feature covers the whole circle


def circle_pairs(
    sindex: Any,
    shapes: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    radius_m: np.ndarray,
    crs: str,
) -> CirclePairs:
    """Return the circles of ``radius_m`` around each point against the features they touch."""
    import shapely

    ring_x, ring_y = g.circle_rings(lon, lat, radius_m)
    drawn = g.polygons(*move_xy(ring_x, ring_y, g.LONLAT, crs))
    equal_area = g.polygons(*move_xy(ring_x, ring_y, g.LONLAT, g.EQUAL_AREA_CRS))
    drawn_area = np.asarray(shapely.area(equal_area))
    found = sindex.query(drawn, predicate="intersects")
    at, hit = _sorted(found[0], found[1], len(shapes))
    covered = np.asarray(shapely.covers(shapes[hit], drawn[at]))
    within = ~covered & np.asarray(shapely.covers(drawn[at], shapes[hit]))
    crossing = ~(covered | within)
    pieces = np.empty(at.size, dtype=object)
    pieces[covered] = equal_area[at[covered]]
    pieces[within] = g.reproject(shapes[hit[within]], crs, g.EQUAL_AREA_CRS)
    cut = shapely.intersection(drawn[at[crossing]], shapes[hit[crossing]])
    pieces[crossing] = g.reproject(cut, crs, g.EQUAL_AREA_CRS)
    piece_area = np.asarray(shapely.area(pieces))
    piece_area[covered] = drawn_area[at[covered]]
    return CirclePairs(at, hit, drawn_area, pieces, piece_area, covered)


def area_in_any(pairs: CirclePairs, n: int) -> np.ndarray:
    """Return, per circle, the area of the union of its pieces (overlaps counted once).

    A circle covered by one feature is all inside; one with a single piece
    has that piece's area; the rest take the union of their pieces.
    """
    import shapely

    at, pieces, areas = pairs.at, pairs.pieces, pairs.piece_area
    total = np.zeros(n)
    whole = np.zeros(n, dtype=bool)
    whole[at[pairs.covered]] = True
    total[whole] = pairs.drawn_area[whole]
    counts = np.bincount(at, minlength=n)
    single = (counts[at] == 1) & ~whole[at]
    total[at[single]] = areas[single]
    multi = np.flatnonzero((counts > 1) & ~whole)
    if multi.size:
        keep = np.isin(at, multi)
        at_m, pieces_m = at[keep], pieces[keep]  # sorted by circle already
        slot = np.arange(len(at_m)) - np.searchsorted(at_m, at_m)  # position within its circle
        grid = np.full((multi.size, int(counts[multi].max())), None, dtype=object)
        grid[np.searchsorted(multi, at_m), slot] = pieces_m
        total[multi] = shapely.area(shapely.union_all(grid, axis=1))
    return total
