"""Private parts of :mod:`mining_licenses.store`: files, exports, the sample, diffs.

- snapshot file names and atomic publication (temporary file, fsync, link);
- exports of the canonical frame for GIS users: GeoPackage, FlatGeobuf,
  GeoJSON, CSV (and GeoParquet through the snapshot writer);
- the writer of the bundled sample;
- the diff engine behind ``store.diff_snapshots``.

GeoParquet goes through the snapshot writer (:mod:`mining_licenses._geoparquet`);
the GDAL formats are written with ``pyogrio.write_arrow`` from the same
Hilbert-ordered Arrow table, so no row is converted through Python objects.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import logging
import os
import re
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl
import pyarrow as pa
import shapely

from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SnapshotError
from mining_licenses._geoparquet import (
    BBOX,
    META_KEY,
    SnapshotMeta,
    canonical_arrow_schema,
    file_metadata,
    read_footer,
    resolve_meta,
    to_parts,
    to_table,
    write_table,
)
from mining_licenses.geo import points_from_frame, to_polars

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)


# ------------------------------------------------------------ file names
PREFIX: Final = "licenses_"
_NAME: Final = re.compile(r"^licenses_(\d{8}T\d{6}Z)(?:-(\d+))?\.parquet$")


def snapshot_stem(fetched_at: dt.datetime | None) -> str:
    """Return the file stem of a snapshot fetched at ``fetched_at`` (UTC)."""
    when = fetched_at or dt.datetime.now(dt.UTC)
    return f"{PREFIX}{when:%Y%m%dT%H%M%SZ}"


def snapshot_files(folder: Path) -> list[Path]:
    """Return the snapshot files of ``folder``, oldest name first (temporary files never match)."""
    if not folder.is_dir():
        return []
    named = [(m, p) for p in folder.iterdir() if (m := _NAME.match(p.name)) and p.is_file()]
    named.sort(key=lambda mp: (mp[0].group(1), int(mp[0].group(2) or 1)))
    return [p for _, p in named]


def _is_sample(path: Path) -> bool:
    try:
        _, metadata = read_footer(path)
        return bool(json.loads(metadata[META_KEY]).get("source") == "sample")
    except (SnapshotError, KeyError, ValueError):
        return False


def as_frame(data: pl.DataFrame | gpd.GeoDataFrame) -> pl.DataFrame:
    """Return the canonical polars frame of ``data`` (a GeoDataFrame's geometry wins)."""
    return data if isinstance(data, pl.DataFrame) else to_polars(data)


#: Separator of the ``issues`` codes in formats without list fields.
LIST_SEPARATOR: Final = ";"
#: Name of the CSV column holding the point as WKT (GDAL's CSV driver reads it).
WKT_COLUMN: Final = "wkt"
LAYER: Final = "mining_licenses"
EXPORT_FORMATS: Final = (".parquet", ".gpkg", ".fgb", ".geojson", ".csv")
_DRIVERS: Final = {".gpkg": "GPKG", ".fgb": "FlatGeobuf", ".geojson": "GeoJSON"}


def _joined_issues(table: pa.Table) -> pa.Table:
    """``issues`` as one ``;``-joined string (GDAL formats have no portable list field)."""
    import pyarrow.compute as pc

    index = table.schema.get_field_index(s.ISSUES)
    joined = pc.binary_join(table.column(s.ISSUES), LIST_SEPARATOR)
    return table.set_column(index, s.ISSUES, joined)


def write_ogr(frame: pl.DataFrame, path: Path, driver: str) -> None:
    """Write ``frame`` to ``path`` with the GDAL ``driver``, as EPSG:4326 points."""
    import pyogrio

    table, _ = to_table(frame)
    # GDAL's Arrow interface wants plain strings, not polars' string views.
    schema = canonical_arrow_schema().append(table.schema.field(s.GEOMETRY))
    table = _joined_issues(table.drop_columns([BBOX]).cast(schema))
    options: dict[str, str] = {}
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
        layer_options=options or None,
    )


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV: canonical columns, ``issues`` joined, the point as WKT."""
    points = points_from_frame(frame)
    wkt = shapely.to_wkt(points, rounding_precision=-1)
    frame.with_columns(
        pl.col(s.ISSUES).list.join(LIST_SEPARATOR),
        pl.Series(WKT_COLUMN, wkt, dtype=pl.String()),
    ).write_csv(path, datetime_format="%Y-%m-%dT%H:%M:%S%.fZ")


def _writer_for(path: Path) -> Callable[[pl.DataFrame, Path], None] | None:
    """Return the writer of ``path``'s extension among the GDAL and CSV formats, or None."""
    suffix = path.suffix.lower()
    if suffix in _DRIVERS:
        return functools.partial(write_ogr, driver=_DRIVERS[suffix])
    if suffix == ".csv":
        return write_csv
    return None


def _unsupported(path: Path) -> ConfigurationError:
    """Return the error for an export path whose extension names no supported format."""
    msg = (
        f"Cannot export to {path}: unknown extension {path.suffix or '(none)'!r}; "
        f"use one of {', '.join(EXPORT_FORMATS)}."
    )
    return ConfigurationError(msg)


# ------------------------------------------------------------ atomic files
#: Temporary files start with a dot and hold ``.tmp`` (before an export's own extension,
#: which GDAL drivers need): no snapshot name pattern matches them.
TEMP_SUFFIX: Final = ".tmp"


def temp_path(folder: Path, stem: str, suffix: str = "") -> Path:
    """Create a new, empty temporary file in ``folder``; return its path.

    Unlike ``tempfile.mkstemp`` (mode 0600), the file gets the user's usual
    permissions (0666 less the umask), which the published file keeps.
    """
    while True:
        path = folder / f".{stem}.{secrets.token_hex(6)}{TEMP_SUFFIX}{suffix}"
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            continue
        return path


def fsync_file(path: Path) -> None:
    """Flush ``path``'s data to disk, so a rename never publishes a half-written file."""
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (the rename) to disk where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open folders; its renames are durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(temp: Path, target: Path, *, overwrite: bool) -> bool:
    """Move the finished ``temp`` file to ``target`` atomically; False if ``target`` exists.

    Without ``overwrite``, a hard link is the atomic "rename unless it
    exists" on POSIX and NTFS. Where links are not supported, an exclusive
    ``.lock`` file beside the target serialises the writers that race for
    one name, and ``os.replace`` moves the file into place.
    """
    if overwrite:
        temp.replace(target)
        return True
    try:
        os.link(temp, target)
    except FileExistsError:
        return False
    except OSError:
        return _publish_with_lock(temp, target)
    temp.unlink()
    return True


def _publish_with_lock(temp: Path, target: Path) -> bool:
    lock = target.with_name(f".{target.name}.lock")
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.close(fd)
    try:
        if target.exists():
            return False
        temp.replace(target)
        return True
    finally:
        lock.unlink(missing_ok=True)


# -------------------------------------------------------------------- export
def export(
    data: pl.DataFrame | gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
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
      next to ``longitude``/``latitude``.

    The file is written to a temporary name and renamed into place.

    Raises
    ------
    ConfigurationError
        For an extension outside ``.parquet .gpkg .fgb .geojson .csv``.
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.

    Examples
    --------
    >>> import tempfile
    >>> from mining_licenses.store import bundled_sample_path, read_snapshot
    >>> frame = read_snapshot(bundled_sample_path())
    >>> export(frame, Path(tempfile.mkdtemp()) / "licenses.gpkg").suffix
    '.gpkg'
    """
    target = Path(path).expanduser()
    suffix = target.suffix.lower()
    writer = _writer_for(target)
    if writer is None and suffix != ".parquet":
        raise _unsupported(target)
    if target.exists() and not overwrite:
        msg = f"{target} exists; pass overwrite=True to replace it."
        raise FileExistsError(msg)
    frame = as_frame(data)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(target.parent, target.stem, suffix)
    try:
        temp.unlink()  # GDAL drivers create their file themselves
        if writer is None:
            parts, geo = to_parts(frame)
            write_table(parts, temp, file_metadata(resolve_meta(None, frame), geo))
        else:
            writer(frame, temp)
        fsync_file(temp)
        if not publish(temp, target, overwrite=overwrite):
            msg = f"{target} appeared while exporting; pass overwrite=True to replace it."
            raise FileExistsError(msg)
    finally:
        temp.unlink(missing_ok=True)
    logger.info("Exported %d licenses to %s", frame.height, target)
    return target


# ------------------------------------------------------------ bundled sample
def sample_snapshot_frame() -> tuple[pl.DataFrame, SnapshotMeta]:
    """Return the frame and provenance the bundled sample snapshot is written from."""
    from mining_licenses import sample
    from mining_licenses.normalize import normalize_records

    frame = normalize_records(sample.generate_records(), fetched_at=sample.SAMPLE_FETCHED_AT)
    meta = SnapshotMeta(
        source="sample",
        fetched_at=sample.SAMPLE_FETCHED_AT,
        total_count=frame.height,
        complete=True,
        synthetic=True,
    )
    return frame, meta


def write_sample(folder: str | os.PathLike[str]) -> Path:
    """(Re)write the bundled sample snapshot into ``folder``; byte-identical on a rerun.

    Older sample snapshots in ``folder`` are removed; other files are left alone.

    Examples
    --------
    >>> import tempfile
    >>> write_sample(tempfile.mkdtemp()).name
    'licenses_20261101T060000Z.parquet'
    """
    frame, meta = sample_snapshot_frame()
    info = resolve_meta(meta, frame)
    parts, geo = to_parts(frame)
    target_folder = Path(folder)
    target_folder.mkdir(parents=True, exist_ok=True)
    target = target_folder / f"{snapshot_stem(info.fetched_at)}.parquet"
    temp = temp_path(target_folder, target.stem)
    try:
        write_table(parts, temp, file_metadata(info, geo))
        fsync_file(temp)
        publish(temp, target, overwrite=True)
    finally:
        temp.unlink(missing_ok=True)
    for old in snapshot_files(target_folder):
        if old != target and _is_sample(old):
            old.unlink()
    logger.info("Wrote the sample snapshot %s (%d records)", target, frame.height)
    return target


# ------------------------------------------------------------------- diffs
#: Fields compared by default: all but ``fetched_at`` and the derived ``issues``.
DIFF_FIELDS: Final = tuple(c for c in s.COLUMNS if c not in (s.FETCHED_AT, s.ISSUES))
_KEY: Final = "key"


@dataclasses.dataclass(frozen=True)
class SnapshotDiff:
    """What changed from snapshot ``a`` to snapshot ``b``.

    Attributes
    ----------
    added, removed
        Canonical rows (with ``key``) only in ``b`` / only in ``a``.
    changed
        One row per changed field of a license in both: ``key``,
        ``wiup_code``, ``license_number`` (as in ``b``), ``field``, ``old``,
        ``new`` (values as text; lists joined with ``;``).
    summary
        Counts: ``a_records``, ``b_records``, ``added``, ``removed``,
        ``changed`` (licenses with any change) and ``unchanged``.
    """

    added: pl.DataFrame
    removed: pl.DataFrame
    changed: pl.DataFrame
    summary: dict[str, int]

    def by_field(self) -> pl.DataFrame:
        """How many licenses changed in each field, most first."""
        return (
            self.changed.group_by("field")
            .agg(pl.col(_KEY).n_unique().alias("licenses"))
            .sort("licenses", "field", descending=[True, False])
        )


def _keyed(frame: pl.DataFrame, ambiguous: pl.Series) -> pl.DataFrame:
    """Add the license key: ``wiup_code``; ``wiup_code|license_number`` where that is ambiguous."""
    code, number = pl.col(s.WIUP_CODE), pl.col(s.LICENSE_NUMBER)
    composite = pl.concat_str([code.fill_null(""), number.fill_null("")], separator="|")
    key = pl.when(code.is_null() | code.is_in(ambiguous.implode())).then(composite).otherwise(code)
    frame = frame.with_columns(key.alias(_KEY))
    occurrence = pl.int_range(pl.len()).over(_KEY)  # exact duplicates: number them
    return frame.with_columns(
        pl.when(occurrence > 0)
        .then(pl.format("{}#{}", pl.col(_KEY), occurrence + 1))
        .otherwise(pl.col(_KEY))
        .alias(_KEY)
    )


def _text(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    return column.list.join(";") if isinstance(dtype, pl.List) else column.cast(pl.String())


def compare(old: pl.DataFrame, new: pl.DataFrame, fields: Sequence[str]) -> SnapshotDiff:
    """Diff two canonical frames on the license key (see ``store.diff_snapshots``)."""
    code = pl.col(s.WIUP_CODE)
    ambiguous = pl.concat(
        [f.select(code.filter(code.is_duplicated())) for f in (old, new)]
    ).to_series()
    old, new = _keyed(old, ambiguous), _keyed(new, ambiguous)
    added = new.join(old.select(_KEY), on=_KEY, how="anti")
    removed = old.join(new.select(_KEY), on=_KEY, how="anti")
    both = old.select(_KEY, *fields).join(
        new.select(
            _KEY,
            pl.col(s.WIUP_CODE).alias("__code"),
            pl.col(s.LICENSE_NUMBER).alias("__number"),
            *(pl.col(f).alias(f"{f}__new") for f in fields),
        ),
        on=_KEY,
        how="inner",
    )
    parts = [
        both.filter(pl.col(f).ne_missing(pl.col(f"{f}__new"))).select(
            pl.col(_KEY),
            pl.col("__code").alias(s.WIUP_CODE),
            pl.col("__number").alias(s.LICENSE_NUMBER),
            pl.lit(f).alias("field"),
            _text(f, s.COLUMNS[f]).alias("old"),
            _text(f"{f}__new", s.COLUMNS[f]).alias("new"),
        )
        for f in fields
    ]
    changed = pl.concat(parts).sort(_KEY, maintain_order=True)
    changed_licenses = changed[_KEY].n_unique() if changed.height else 0
    summary = {
        "a_records": old.height,
        "b_records": new.height,
        "added": added.height,
        "removed": removed.height,
        "changed": changed_licenses,
        "unchanged": both.height - changed_licenses,
    }
    return SnapshotDiff(added=added, removed=removed, changed=changed, summary=summary)
