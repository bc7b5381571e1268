"""Exports of the canonical frame for GIS users: GeoParquet, GeoPackage, FlatGeobuf, GeoJSON, CSV.

GeoParquet goes through the snapshot encoder (:mod:`mining_licenses.store._geoparquet`);
the GDAL formats are written with ``pyogrio.write_arrow`` from the same
Hilbert-ordered Arrow table, so no row is converted through Python objects.
Every file is published with the store's one atomic write, and carries the
data's provenance (source, ``fetched_at``, filters, completeness, synthetic or
not, package version): in the GeoParquet metadata, in the layer metadata of
GeoPackage (its ``gpkg_metadata`` table) and FlatGeobuf (its header), and in a
``<file>.provenance.json`` sidecar next to CSV and GeoJSON.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from mining_licenses import _csv as csv
from mining_licenses import _validate as v
from mining_licenses import schema as s
from mining_licenses._atomic import check_writable, write_together
from mining_licenses._errors import ConfigurationError, SnapshotError
from mining_licenses._redact import get_logger
from mining_licenses.store._provenance import (
    ATTRS_KEY,
    SnapshotMeta,
    file_metadata,
    frame_meta,
    provenance_line,
    provenance_tags,
    recalled_meta,
    resolve_meta,
    sidecar_bytes,
    sidecar_path,
)

if TYPE_CHECKING:  # the writers' numpy, pyarrow and GDAL are imported when they write
    import geopandas as gpd
    import pyarrow as pa

logger = get_logger(__name__)


def as_frame(
    data: pl.DataFrame | gpd.GeoDataFrame, *, function: str = "export", name: str = "data"
) -> pl.DataFrame:
    """Return the canonical polars frame of ``data`` (a GeoDataFrame's geometry wins)."""
    if isinstance(data, pl.DataFrame):
        return data
    import pandas as pd

    from mining_licenses.geo import to_polars

    if not isinstance(data, pd.DataFrame):
        raise v.wrong_type(
            data,
            name=name,
            function=function,
            wanted="a snapshot path, a polars DataFrame or a GeoDataFrame"
            if function == "diff_snapshots"
            else "a polars DataFrame or a GeoDataFrame",
            hint="pass a frame from load_licenses() or read_snapshot()",
        )

    return to_polars(data)


#: Name of the CSV column holding the point as WKT (GDAL's CSV driver reads it).
WKT_COLUMN: Final = "wkt"
LAYER: Final = "mining_licenses"
EXPORT_FORMATS: Final = (".parquet", ".gpkg", ".fgb", ".geojson", ".csv")
_DRIVERS: Final = {".gpkg": "GPKG", ".fgb": "FlatGeobuf", ".geojson": "GeoJSON"}


def _joined_issues(table: pa.Table) -> pa.Table:
    """``issues`` as one ``;``-joined string (GDAL formats have no portable list field)."""
    import pyarrow.compute as pc

    index = table.schema.get_field_index(s.ISSUES)
    joined = pc.binary_join(table.column(s.ISSUES), s.LIST_SEPARATOR)
    return table.set_column(index, s.ISSUES, joined)


def write_ogr(frame: pl.DataFrame, path: Path, info: SnapshotMeta, driver: str) -> None:
    """Write ``frame`` to ``path`` with the GDAL ``driver``, as EPSG:4326 points.

    The provenance goes into the layer's description and metadata items
    (GeoJSON keeps only the description; :func:`export` adds a sidecar).
    """
    import pyogrio

    from mining_licenses.store._geoparquet import BBOX, canonical_arrow_schema, to_table

    table, _ = to_table(frame)
    # GDAL's Arrow interface wants plain strings, not polars' string views.
    schema = canonical_arrow_schema().append(table.schema.field(s.GEOMETRY))
    table = _joined_issues(table.drop_columns([BBOX]).cast(schema))
    options: dict[str, str] = {"DESCRIPTION": provenance_line(info)}
    if driver == "FlatGeobuf" and table.column(s.GEOMETRY).null_count:
        # FlatGeobuf's spatial index cannot hold a feature without geometry;
        # keep every license and leave the (Hilbert-ordered) file unindexed.
        options["SPATIAL_INDEX"] = "NO"
        logger.info("%s: rows without a point, writing FlatGeobuf without spatial index", path)
    pyogrio.write_arrow(
        table,
        path,
        layer=LAYER,
        driver=driver,
        geometry_name=s.GEOMETRY,
        geometry_type="Point",
        crs=s.CRS,
        layer_options=options,
        layer_metadata=provenance_tags(info) if driver != "GeoJSON" else None,
    )


def write_csv(frame: pl.DataFrame, path: Path, info: SnapshotMeta, *, safe: bool = True) -> None:
    """Write ``frame`` as CSV: canonical columns, ``issues`` joined, the point as WKT.

    Text that a spreadsheet would run as a formula is neutralised unless
    ``safe`` is False (see :mod:`mining_licenses._csv`).
    """
    import shapely

    from mining_licenses.geo import points_from_frame

    points = points_from_frame(frame)
    wkt = shapely.to_wkt(points, rounding_precision=-1)
    with_wkt = frame.with_columns(pl.Series(WKT_COLUMN, wkt, dtype=pl.String()))
    csv.write_csv(with_wkt, path, safe=safe, datetime_format="%Y-%m-%dT%H:%M:%S%.fZ")
    del info  # CSV has no place for it: export writes the sidecar


def write_geoparquet(frame: pl.DataFrame, path: Path, info: SnapshotMeta) -> None:
    """Write ``frame`` as GeoParquet, the snapshot layout, ``info`` as its provenance block."""
    from mining_licenses.store._geoparquet import to_parts, write_table

    parts, geo = to_parts(frame)
    write_table(parts, path, file_metadata(info, geo))


Writer = Callable[[pl.DataFrame, Path, SnapshotMeta], None]
#: Formats whose files have no room for the provenance: it goes to a sidecar.
_SIDECAR_FORMATS: Final = (".csv", ".geojson")


def sidecar_of(path: str | os.PathLike[str]) -> Path | None:
    """Return the provenance sidecar :func:`export` writes next to ``path``, or None.

    Examples
    --------
    >>> sidecar_of("soon.csv").name, sidecar_of("soon.gpkg")
    ('soon.csv.provenance.json', None)
    """
    target = Path(path)
    return sidecar_path(target) if target.suffix.lower() in _SIDECAR_FORMATS else None


def _writer_for(path: Path, *, csv_safe: bool = True) -> Writer | None:
    """Return the writer of ``path``'s extension, or None for an unknown one."""
    suffix = path.suffix.lower()
    if suffix in _DRIVERS:
        return functools.partial(write_ogr, driver=_DRIVERS[suffix])
    if suffix == ".csv":
        return functools.partial(write_csv, safe=csv_safe)
    return write_geoparquet if suffix == ".parquet" else None


def _unsupported(path: Path) -> ConfigurationError:
    """Return the error for an export path whose extension names no supported format."""
    msg = (
        f"Cannot export to {path}: unknown extension {path.suffix or '(none)'!r}; "
        f"use one of {', '.join(EXPORT_FORMATS)}."
    )
    return ConfigurationError(msg)


# -------------------------------------------------------------------- export
def carried_meta(data: pl.DataFrame | gpd.GeoDataFrame) -> SnapshotMeta | None:
    """Return the provenance a frame carries: a GeoDataFrame's ``attrs``, a loaded polars frame's.

    The rows may since have been narrowed (a GeoDataFrame's ``attrs`` follow
    it through pandas' filtering): a part of a complete pull is not complete,
    so ``complete`` is then false (``records`` says how many rows there are).
    """
    attrs = getattr(data, "attrs", None)
    meta: SnapshotMeta | None
    if isinstance(attrs, dict) and isinstance(attrs.get(ATTRS_KEY), dict):
        meta = SnapshotMeta.from_json(attrs[ATTRS_KEY])
    else:
        meta = recalled_meta(data)
    if meta is None:
        return None
    if meta.records is not None and meta.records != len(data):
        meta = dataclasses.replace(meta, complete=False)
    return meta


def _provenance(
    data: pl.DataFrame | gpd.GeoDataFrame,
    frame: pl.DataFrame,
    meta: SnapshotMeta | Mapping[str, Any] | None,
) -> SnapshotMeta:
    """Return the provenance to write: given, else the frame's own, else recognised."""
    if meta is None:
        meta = carried_meta(data)
    if meta is None:
        from mining_licenses.store._snapshots import bundled_sample_path  # imports this module

        with contextlib.suppress(SnapshotError):  # no bundled sample: nothing to recognise
            meta = frame_meta(frame, bundled_sample_path())
    return resolve_meta(meta, frame)


def export(
    data: pl.DataFrame | gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    meta: SnapshotMeta | Mapping[str, Any] | None = None,
    csv_safe: bool = True,
) -> Path:
    """Write the frame for GIS use, the format chosen by the extension of ``path``.

    - ``.parquet``: GeoParquet 1.1, the snapshot layout (with a provenance
      block of source ``unknown``).
    - ``.gpkg`` (GeoPackage, for QGIS), ``.fgb`` (FlatGeobuf), ``.geojson``:
      points in EPSG:4326 through GDAL; dates stay dates (ISO text in GeoJSON),
      ``fetched_at`` a UTC date-time, and ``issues`` becomes one text field
      joined with ``;``. FlatGeobuf gets no spatial index when some rows have
      no point (the format cannot index them; they are kept).
    - ``.csv``: the canonical columns (dates ISO 8601, ``fetched_at`` with
      ``Z``, ``issues`` joined with ``;``) plus ``wkt``, the point as WKT,
      next to ``longitude``/``latitude``. A text cell starting with ``=``,
      ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``
      so that a spreadsheet shows it instead of running it (OWASP's advice
      on CSV injection); ``csv_safe=False`` writes the text as it is.

    Every format carries the provenance: ``meta`` when given; else the one a
    GeoDataFrame from :func:`~mining_licenses.load_licenses` carries in
    ``gdf.attrs["mining_licenses"]``, or a polars frame returned by
    ``load_licenses(..., as_="polars")`` (that frame itself, with its
    filters and ``total_count``; a frame derived from it carries none); else,
    for the bundled sample, ``synthetic``; else source ``unknown``. Rows
    narrowed since the load are a part, no longer ``complete``. This is the
    path that keeps provenance: geopandas' own ``gdf.to_file`` writes none.
    It is in the GeoParquet metadata,
    the layer metadata of GeoPackage (``gpkg_metadata``) and FlatGeobuf
    (``pyogrio.read_info(path)["layer_metadata"]``), the layer description,
    and a ``<file>.provenance.json`` sidecar next to CSV and GeoJSON.

    The file and its sidecar are written under temporary names and
    published together or not at all: a failed export leaves neither, and
    never a sidecar of another file. Where they cannot be written (an
    existing file, a folder in the way, a read-only or full disk) that is
    found before the work starts where it can be.

    Raises
    ------
    ConfigurationError
        For an extension outside ``.parquet .gpkg .fgb .geojson .csv``.
    OutputExistsError
        If ``path`` (or its sidecar) exists and ``overwrite`` is False (a
        ``FileExistsError`` too).
    OutputError
        If the system refuses the file (the message names it and says what
        to do; an ``OSError`` too).

    Examples
    --------
    >>> import tempfile
    >>> export(licenses, Path(tempfile.mkdtemp()) / "licenses.gpkg").suffix
    '.gpkg'
    """
    target = v.path(path, name="path", function="export").expanduser()
    overwrite = v.flag(overwrite, name="overwrite", function="export")
    csv_safe = v.flag(csv_safe, name="csv_safe", function="export")
    writer = _writer_for(target, csv_safe=csv_safe)
    if writer is None:
        raise _unsupported(target)
    sidecar = target.suffix.lower() in _SIDECAR_FORMATS
    for output in [target, sidecar_path(target)] if sidecar else [target]:
        check_writable(output, overwrite=overwrite)  # before the work; checked again at the end
    from mining_licenses.store._geoparquet import canonical  # pyarrow: only when writing

    frame = as_frame(data)
    canonical(frame)  # a SchemaError naming what is missing, before any file is touched
    info = _provenance(data, frame, meta)

    def write(temp: Path) -> None:
        temp.unlink()  # GDAL drivers create their file themselves
        writer(frame, temp, info)

    files: list[tuple[Path, Callable[[Path], object] | bytes]] = [(target, write)]
    if sidecar:
        files.append((sidecar_path(target), sidecar_bytes(target, info)))
    write_together(files, overwrite=overwrite)
    logger.info("Exported %d licenses to %s", frame.height, target)
    return target
