"""What a layer's checks and checksum found: computed once a layer, reused while it is unchanged.

A screen run again against the same layer (a notebook's loop, the CLI over
one file) need not hash and check it again. Two caches, each keyed so that a
changed layer is never answered from it:

* a file's SHA-256 by its identity and state: for each file hashed (a
  shapefile's parts too) its resolved path, device, inode, size, and
  modification and status-change times in nanoseconds. Rewriting a file
  changes its size or times (the status-change time cannot be set back), so
  it is hashed anew; a file changed while it is hashed is not cached.
* the facts of a GeoDataFrame's geometry (which features have one, their
  types, the repaired polygons, the in-memory checksum) by the geometry
  array itself: reused only while that array holds the same geometry objects
  (shapely geometries are immutable), or ones of exactly the same type and
  coordinates, and the same CRS. Setting a feature's geometry to another
  shape, or a new geometry column, misses the cache.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from mining_licenses.spatial._pip import Edges, edges_of

if TYPE_CHECKING:
    import geopandas as gpd

#: Layers whose facts are kept (the most recently used); files whose checksum is kept.
KEPT_LAYERS: Final = 8
KEPT_FILES: Final = 64
_TYPE_NAMES: Final = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}
_lock = threading.Lock()
_file_digests: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_layer_facts: dict[int, tuple[weakref.ref[Any], Facts]] = {}


def types(geometry: np.ndarray) -> tuple[str, ...]:
    """Return the sorted names of the geometry types in ``geometry``."""
    import shapely

    return tuple(sorted(_TYPE_NAMES[int(t)] for t in np.unique(shapely.get_type_id(geometry))))


def _file_state(path: Path) -> tuple[Any, ...]:
    st = path.stat()
    return (str(path.resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _digest(parts: list[Path]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        with part.open("rb") as handle:
            for block in iter(functools.partial(handle.read, 1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of the layer file (a shapefile's ``.shp``, ``.shx``, ``.dbf``, ``.prj``).

    Reused while every part keeps its path, inode, size and times (see the
    module's docstring).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "a.geojson"
    ...     _ = path.write_bytes(b"{}")
    ...     file_sha256(path) == hashlib.sha256(b"{}").hexdigest()
    True
    """
    parts = [path]
    if path.suffix.lower() == ".shp":
        parts += [p for ext in (".shx", ".dbf", ".prj") if (p := path.with_suffix(ext)).exists()]
    key = tuple(_file_state(part) for part in parts)
    with _lock:
        if (found := _file_digests.get(key)) is not None:
            _file_digests.move_to_end(key)
            return found
    value = _digest(parts)
    if tuple(_file_state(part) for part in parts) == key:  # unchanged while read
        with _lock:
            _file_digests[key] = value
            while len(_file_digests) > KEPT_FILES:
                _file_digests.popitem(last=False)
    return value


def frame_sha256(geometry: np.ndarray, crs: Any) -> str:
    """Checksum geometry in memory: CRS, each feature's type and coordinate count, coordinates."""
    import shapely

    digest = hashlib.sha256(str(crs.to_wkt()).encode("utf-8"))
    for values, dtype in (
        (shapely.get_type_id(geometry), "<i4"),
        (shapely.get_num_coordinates(geometry), "<i8"),
        (shapely.get_coordinates(geometry), "<f8"),
    ):
        digest.update(np.ascontiguousarray(values, dtype=dtype).data)
    return digest.hexdigest()


@dataclasses.dataclass
class Facts:
    """What the checks found in one geometry array (filled in as they are asked for)."""

    geometry: np.ndarray  # the objects checked (kept: compared by identity)
    objects: list[Any]  # the same, as a list (compared at C speed)
    crs: Any
    present: np.ndarray  # has a geometry (not missing, not empty)
    types: tuple[str, ...]  # of the present ones
    valid: np.ndarray | None = None  # of the present ones, once asked
    repaired: np.ndarray | None = None  # the present ones made valid, once asked
    sha256: str | None = None  # frame_sha256, once asked
    reused: int = 0  # times found again unchanged
    edges: Edges | None = None  # of the present ones, once asked on a reuse

    def checksum(self) -> str:
        """Return the in-memory checksum (computed on first use)."""
        if self.sha256 is None:
            self.sha256 = frame_sha256(self.geometry, self.crs)
        return self.sha256

    def edges_if_reused(self) -> Edges | None:
        """Return the present polygons' edges for the array point test, once the layer is reused.

        Building them costs a few times one GEOS pass over the pairs, so a layer
        screened once is tested by GEOS alone; from its second screen on, the
        edges are built (once) and kept with the facts.
        """
        if self.edges is None and self.reused:
            self.edges = edges_of(self.geometry[self.present])
        return self.edges

    def made_valid(self) -> tuple[np.ndarray, int]:
        """Return the present geometries, invalid ones repaired, and how many were."""
        import shapely

        if self.repaired is None:
            kept = self.geometry[self.present]
            self.valid = np.asarray(shapely.is_valid(kept))
            if not self.valid.all():
                kept = kept.copy()
                kept[~self.valid] = shapely.make_valid(
                    kept[~self.valid], method="structure", keep_collapsed=False
                )
            self.repaired = kept
        assert self.valid is not None
        return self.repaired, int((~self.valid).sum())


def _same(facts: Facts, geometry: np.ndarray, crs: Any) -> bool:
    # a list's == takes the same object as equal without asking it (and shapely's == is
    # exact: same type, same coordinates), so an unchanged layer compares at C speed
    return (
        len(facts.objects) == len(geometry)
        and (facts.crs is crs or facts.crs == crs)
        and facts.objects == geometry.tolist()
    )


def _forget(key: int) -> None:
    with _lock:
        _layer_facts.pop(key, None)


def facts_of(gdf: gpd.GeoDataFrame) -> Facts:
    """Return the facts of ``gdf``'s geometry: kept ones if it is unchanged, else new ones."""
    import shapely

    array = gdf.geometry.array
    geometry = np.asarray(gdf.geometry.to_numpy())
    key = id(array)
    with _lock:
        held = _layer_facts.get(key)
    if held is not None and held[0]() is array and _same(held[1], geometry, gdf.crs):
        held[1].reused += 1
        return held[1]
    present = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    kept = geometry.copy()
    facts = Facts(kept, kept.tolist(), gdf.crs, present, types(geometry[present]))
    try:
        ref = weakref.ref(array, lambda _: _forget(key))
    except TypeError:  # not weakly referable: not kept
        return facts
    with _lock:
        _layer_facts[key] = (ref, facts)
        while len(_layer_facts) > KEPT_LAYERS:
            del _layer_facts[next(iter(_layer_facts))]
    return facts


def clear() -> None:
    """Forget every kept checksum and layer's facts (tests; memory)."""
    with _lock:
        _file_digests.clear()
        _layer_facts.clear()
