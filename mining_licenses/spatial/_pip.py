"""Points in polygons as arrays: the even-odd ray test over a layer's edges; GEOS at the edges.

``shapely.intersects_xy`` asks GEOS once a pair; here every candidate pair's
edges are tested at once with numpy, the way GEOS tests them (a ray towards
+x, each edge counted on the half-open interval of its y, a polygon's inside
being inside its shell and in none of its holes, a multipolygon's inside
being inside any part). The sign of each edge test is exact unless the point
lies on, or within rounding of, an edge's line inside its box: those pairs,
and only those, are asked of GEOS (``intersects_xy``), so points on an edge
or a vertex count as GEOS counts them (edges count). The bound is Shewchuk's
for the orientation determinant (3.3e-16 of its terms), taken three times
wider.
"""

from __future__ import annotations

import dataclasses

import numpy as np

#: Relative bound under which an orientation's sign is not trusted (Shewchuk's is 3.3e-16).
_ERROR: float = 1e-15


@dataclasses.dataclass(frozen=True)
class Edges:
    """Every edge of every polygon of an array, grouped by geometry, part and ring."""

    ends: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # per edge: x1, y1, x2, y2
    ring: np.ndarray  # per edge: its ring
    opens: np.ndarray  # per edge: the first of its ring
    start: np.ndarray  # per geometry (and one past the last): its first edge
    shell: np.ndarray  # per ring: an exterior ring
    part: np.ndarray  # per ring: its polygon (a multipolygon's part)


def edges_of(geometry: np.ndarray) -> Edges:
    """Return the edges of polygons and multipolygons ``geometry`` (none missing or empty).

    Examples
    --------
    >>> import shapely
    >>> edges = edges_of(np.array([shapely.box(0, 0, 1, 1)]))
    >>> edges.start.tolist(), edges.shell.tolist()
    ([0, 4], [True])
    """
    import shapely

    parts, part_geometry = shapely.get_parts(geometry, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    shell = np.ones(len(rings), dtype=bool)
    shell[1:] = ring_part[1:] != ring_part[:-1]  # the first ring of each part is its shell
    xy, coordinate_ring = shapely.get_coordinates(rings, return_index=True)
    first = np.flatnonzero(coordinate_ring[:-1] == coordinate_ring[1:])  # an edge starts here
    ring = coordinate_ring[first]
    owner = part_geometry[ring_part[ring]]
    start = np.searchsorted(owner, np.arange(len(geometry) + 1))
    x, y = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
    ends = (x[first], y[first], x[first + 1], y[first + 1])
    opens = np.ones(len(ring), dtype=bool)
    opens[1:] = ring[1:] != ring[:-1]
    return Edges(ends, ring, opens, start, shell, ring_part)


def _runs(*keys: np.ndarray) -> np.ndarray:
    """Return where a new run of equal ``keys`` begins (they are sorted together)."""
    new = np.zeros(len(keys[0]), dtype=bool)
    new[:1] = True
    for key in keys:
        new[1:] |= key[1:] != key[:-1]
    return new


def intersects_xy(
    shapes: np.ndarray, edges: Edges, hit: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Return, for each pair, whether polygon ``shapes[hit]`` intersects point (``x``, ``y``).

    The same answer as ``shapely.intersects_xy(shapes[hit], x, y)``.

    Examples
    --------
    >>> import shapely
    >>> shapes = np.array([shapely.box(0, 0, 2, 2)])
    >>> pairs = np.zeros(3, dtype=np.int64)
    >>> intersects_xy(shapes, edges_of(shapes), pairs, np.array([1.0, 2, 3]), np.array([1.0, 1, 1]))
    array([ True,  True, False])
    """
    import shapely

    n = len(hit)
    inside = np.zeros(n, dtype=bool)
    if n == 0:
        return inside
    first, count = edges.start[hit], edges.start[hit + 1] - edges.start[hit]
    pair = np.repeat(np.arange(n), count)
    edge = np.arange(len(pair)) + np.repeat(first - (np.cumsum(count) - count), count)
    px, py = np.repeat(x, count), np.repeat(y, count)
    x1, y1, x2, y2 = (np.take(end, edge) for end in edges.ends)
    left, right = (x2 - x1) * (py - y1), (y2 - y1) * (px - x1)
    det = left - right  # > 0: the point is left of the edge, as drawn
    unsure = np.flatnonzero(np.abs(det) <= _ERROR * (np.abs(left) + np.abs(right)))
    below1, below2 = y1 <= py, y2 <= py
    crossing = (below1 != below2) & ((det > 0) == below1)  # up and left, or down and right
    ask = np.zeros(n, dtype=bool)
    if unsure.size:  # on or by an edge's line, within its box or its y: GEOS decides
        u = unsure
        near = (below1[u] != below2[u]) | (
            (np.minimum(x1[u], x2[u]) <= px[u])
            & (px[u] <= np.maximum(x1[u], x2[u]))
            & (np.minimum(y1[u], y2[u]) <= py[u])
            & (py[u] <= np.maximum(y1[u], y2[u]))
        )
        ask[pair[u[near]]] = True

    new = edges.opens[edge]  # one run a (pair, ring), in order: a pair's edges open a ring
    run = np.cumsum(new) - 1
    odd = np.bincount(run, weights=crossing, minlength=run[-1] + 1).astype(np.int64) % 2 == 1
    run_pair, run_ring = pair[new], edges.ring[edge[new]]
    shell, part = edges.shell[run_ring], edges.part[run_ring]
    new_part = _runs(run_pair, part)
    part_run = np.cumsum(new_part) - 1
    in_shell = np.bincount(part_run, weights=odd & shell) > 0
    in_hole = np.bincount(part_run, weights=odd & ~shell) > 0
    inside[run_pair[new_part][in_shell & ~in_hole]] = True
    if ask.any():
        inside[ask] = shapely.intersects_xy(shapes[hit[ask]], x[ask], y[ask])
    return inside
