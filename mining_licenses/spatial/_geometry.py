"""Measuring on the ground: the equal-area CRS, geodesic circles and distances, reprojection.

Areas are taken on a Lambert azimuthal equal-area projection centred on
Indonesia (:data:`EQUAL_AREA_CRS`): areas are exact on it anywhere, and shapes
stay within 4% of true across the archipelago. Circles are drawn on the
ellipsoid (pyproj's geodesic ``fwd``), so a circle of radius r is round on the
ground wherever it is, and distances are geodesic. All of it vectorised:
numpy arrays of geometries in, arrays out.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final

import numpy as np

if TYPE_CHECKING:
    from pyproj import Geod, Transformer

#: Lambert azimuthal equal-area, WGS 84, centred on Indonesia (2 S, 118 E), metres.
EQUAL_AREA_CRS: Final = "+proj=laea +lat_0=-2 +lon_0=118 +datum=WGS84 +units=m +no_defs"
EQUAL_AREA_NAME: Final = "Lambert azimuthal equal-area centred on Indonesia (2 S, 118 E), WGS 84"
LONLAT: Final = "OGC:CRS84"
#: Vertices of a circle footprint (drawn with the radius that gives it the area asked for).
CIRCLE_VERTICES: Final = 64


@functools.cache
def _geod() -> Geod:
    from pyproj import Geod

    return Geod(ellps="WGS84")


@functools.cache
def transformer(source: str, target: str) -> Transformer:
    """Return the (kept) transformer from CRS ``source`` to ``target``, x before y."""
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)


def reproject(geometry: np.ndarray, source: str, target: str) -> np.ndarray:
    """Return ``geometry`` (an array) moved from CRS ``source`` to ``target`` (any pyproj input)."""
    import shapely

    if source == target:
        return geometry
    move = transformer(source, target)
    return np.asarray(
        shapely.transform(geometry, lambda xy: np.column_stack(move.transform(xy[:, 0], xy[:, 1])))
    )


def crs_key(crs: object) -> str:
    """Return a string pyproj reads back for a CRS object (its WKT), or the string itself."""
    to_wkt = getattr(crs, "to_wkt", None)
    return str(to_wkt()) if callable(to_wkt) else str(crs)


def radius_for_area(area_m2: np.ndarray) -> np.ndarray:
    """Return the radius (metres) of the circle whose :data:`CIRCLE_VERTICES`-gon has ``area_m2``.

    A regular n-gon of circumradius r covers n/2 r^2 sin(2 pi / n), a little
    less than its circle; the radius is widened to make up for it.
    """
    n = CIRCLE_VERTICES
    return np.asarray(np.sqrt(area_m2 / (n / 2 * np.sin(2 * np.pi / n))))


def circle_rings(
    lon: np.ndarray, lat: np.ndarray, radius_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the lon/lat vertices, ``(n, CIRCLE_VERTICES)`` each, of geodesic circles.

    Examples
    --------
    >>> x, y = circle_rings(np.array([118.0]), np.array([-2.0]), np.array([1000.0]))
    >>> x.shape
    (1, 64)
    """
    n = len(lon)
    azimuth = np.linspace(0.0, 360.0, CIRCLE_VERTICES, endpoint=False)
    x, y, _ = _geod().fwd(
        np.repeat(lon, CIRCLE_VERTICES),
        np.repeat(lat, CIRCLE_VERTICES),
        np.tile(azimuth, n),
        np.repeat(radius_m, CIRCLE_VERTICES),
    )
    return np.reshape(x, (n, -1)), np.reshape(y, (n, -1))


def polygons(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return one polygon per row of vertex arrays ``x``, ``y`` (closed here).

    Examples
    --------
    >>> import shapely
    >>> float(shapely.area(polygons(np.array([[0.0, 1, 1, 0]]), np.array([[0.0, 0, 1, 1]])))[0])
    1.0
    """
    import shapely

    rings = np.stack([x, y], axis=-1)
    return np.asarray(shapely.polygons(np.concatenate([rings, rings[:, :1]], axis=1)))


def circles(lon: np.ndarray, lat: np.ndarray, radius_m: np.ndarray) -> np.ndarray:
    """Return geodesic circles (lon/lat polygons) of ``radius_m`` metres around each point.

    Examples
    --------
    >>> import shapely
    >>> r = radius_for_area(np.array([1e6]))  # one km2
    >>> ring = circles(np.array([118.0]), np.array([-2.0]), r)
    >>> float(round(shapely.area(reproject(ring, LONLAT, EQUAL_AREA_CRS))[0] / 1e6, 4))
    1.0
    """
    return polygons(*circle_rings(lon, lat, radius_m))


def distance_m(points: np.ndarray, geometry: np.ndarray) -> np.ndarray:
    """Return the geodesic distance in metres from each point to the paired lon/lat geometry.

    The nearest point is found in lon/lat (exact enough at the distances a
    snap looks at); the distance between the two is then geodesic.

    Examples
    --------
    >>> import shapely
    >>> point, box = shapely.Point(118.0, 0.0), shapely.box(118.01, -1, 119, 1)
    >>> round(float(distance_m(np.array([point]), np.array([box]))[0]))
    1113
    """
    import shapely

    if not len(points):
        return np.empty(0)
    line = shapely.shortest_line(points, geometry)
    ends = shapely.get_coordinates(line).reshape(-1, 2, 2)
    _, _, metres = _geod().inv(ends[:, 0, 0], ends[:, 0, 1], ends[:, 1, 0], ends[:, 1, 1])
    return np.asarray(metres)


def first_per(
    index: np.ndarray, order_key: np.ndarray, other: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each distinct ``index``, its pair from ``other`` with the least ``order_key``."""
    order = np.lexsort((order_key, index))
    index, other = index[order], other[order]
    first = np.flatnonzero(np.diff(index, prepend=-1))
    return index[first], other[first]
