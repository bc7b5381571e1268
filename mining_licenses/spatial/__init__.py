"""Spatial screens: licenses on small islands, and licenses against any polygon layer.

Analysis, like :mod:`mining_licenses.analytics`: licenses in, frames out, no
printing; the layers it reads are the bundled islands (``data/islands/``,
GSHHG full resolution) and whatever layer the user brings. ``_layers`` (reading
and checking layers, their provenance), ``_geometry`` (the equal-area CRS,
geodesic circles and distances), ``_islands`` (:func:`small_islands`),
``_regencies`` (the regencies that are one island), ``_overlap``
(:func:`overlap`), ``_join`` (its join on whole arrays), ``_pip`` (points in
polygons as arrays), ``_layerfacts`` (a layer's checks and checksum, kept
while it is unchanged), ``_inputs`` (the licenses' frame and provenance) and
``columns`` (the output column names: public).
"""

from mining_licenses.spatial import columns
from mining_licenses.spatial._geometry import EQUAL_AREA_CRS
from mining_licenses.spatial._islands import SMALL_ISLAND_KM2, SNAP_M, IslandScreen, small_islands
from mining_licenses.spatial._layers import LayerInfo, islands_layer, islands_path, read_layer
from mining_licenses.spatial._overlap import APPROXIMATION_NOTE, Overlap, overlap
from mining_licenses.spatial._regencies import SINGLE_ISLAND_REGENCIES

__all__ = [
    "APPROXIMATION_NOTE",
    "EQUAL_AREA_CRS",
    "SINGLE_ISLAND_REGENCIES",
    "SMALL_ISLAND_KM2",
    "SNAP_M",
    "IslandScreen",
    "LayerInfo",
    "Overlap",
    "columns",
    "islands_layer",
    "islands_path",
    "overlap",
    "read_layer",
    "small_islands",
]
