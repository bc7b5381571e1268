"""The bundled land layer under :func:`~mining_licenses.plots.plot_map`.

Natural Earth 1:10m countries (public domain) around Indonesia, simplified
and written to ``mining_licenses/data/land/land.parquet`` by
``scripts/build_land.py`` (its README says how). The file is read once per
process and kept as one matplotlib :class:`~matplotlib.path.Path` per
country, built from shapely's coordinate arrays with no per-vertex Python.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import TYPE_CHECKING, Final

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import PathCollection
    from matplotlib.path import Path

#: Where the layer comes from, as the map credits it.
LAND_CREDIT: Final = "Land: Natural Earth 1:10m (public domain)"
LAND_FILE: Final = "data/land/land.parquet"
INDONESIA: Final = "IDN"
_INDONESIA_FILL: Final = "#ece7dc"
_NEIGHBOUR_FILL: Final = "#f4f3ef"
_COAST: Final = "#b4ad9f"


def polygon_paths(geometry: np.ndarray) -> tuple[Path, ...]:
    """Return one closed, read-only matplotlib path per (multi)polygon, holes included.

    Built from shapely's coordinate arrays with no per-vertex Python; rings
    oriented as the caller gave them (matplotlib's non-zero fill leaves holes
    empty when exteriors and holes turn opposite ways).
    """
    import shapely
    from matplotlib.path import Path

    parts, owner_of_part = shapely.get_parts(geometry, return_index=True)
    rings, part_of_ring = shapely.get_rings(parts, return_index=True)
    vertices, ring_of_vertex = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(vertices), Path.LINETO, dtype=Path.code_type)
    starts = np.flatnonzero(np.diff(ring_of_vertex, prepend=-1))
    codes[starts] = Path.MOVETO
    codes[np.append(starts[1:], len(vertices)) - 1] = Path.CLOSEPOLY
    owner_of_vertex = owner_of_part[part_of_ring[ring_of_vertex]]
    cuts = np.searchsorted(owner_of_vertex, np.arange(1, len(geometry)))
    return tuple(
        Path(v, c, readonly=True)
        for v, c in zip(np.split(vertices, cuts), np.split(codes, cuts), strict=True)
    )


@functools.cache
def land_paths() -> tuple[tuple[str, ...], tuple[Path, ...]]:
    """Return the ISO codes and one closed, read-only path per country (cached).

    Rings come oriented from the build (exteriors counter-clockwise, holes
    clockwise), so matplotlib's non-zero fill leaves the holes empty.
    """
    import pyarrow.parquet as pq
    import shapely

    with resources.as_file(resources.files("mining_licenses").joinpath(LAND_FILE)) as file:
        table = pq.read_table(file, columns=["iso_a3", "geometry"])
    geometry = shapely.from_wkb(table["geometry"].to_numpy(zero_copy_only=False))
    return tuple(table["iso_a3"].to_pylist()), polygon_paths(geometry)


def draw_land(ax: Axes) -> PathCollection:
    """Fill the land under everything else on ``ax``: Indonesia a shade darker than its neighbours.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> land = draw_land(Figure().add_subplot())
    >>> land.get_gid(), len(land.get_paths()) == len(land_paths()[0])
    ('land', True)
    """
    from matplotlib.collections import PathCollection

    codes, paths = land_paths()
    land = PathCollection(
        paths,
        facecolors=[_INDONESIA_FILL if code == INDONESIA else _NEIGHBOUR_FILL for code in codes],
        edgecolors=_COAST,
        linewidths=0.35,
        zorder=0.3,  # under the graticule (0.5 with axisbelow) and the points
        gid="land",
    )
    ax.add_collection(land, autolim=False)
    return land
