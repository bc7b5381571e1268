"""The snapshot store: GeoParquet snapshots written atomically, read, listed, diffed, exported.

A store is a folder (``store=``, else ``MINING_LICENSES_DATA``, else the
per-user data directory) holding one GeoParquet 1.1 file per snapshot, named
by the UTC time its data was fetched. Inside: ``_geoparquet`` (the encoding),
``_provenance`` (the metadata block), ``_checksum`` (the SHA-256 every file
carries and every read checks), ``_names`` (file names), ``_snapshots``
(write and read one), ``_shrink`` (a snapshot that drops too many licenses is
held back), ``_catalog`` (list, history, find, prune), ``_diff``, ``_export``
(GeoPackage, FlatGeobuf, GeoJSON, CSV, GeoParquet) and ``_results`` (a
screen's rows with their provenance).
"""

from mining_licenses.store._catalog import find_snapshot, history, list_snapshots, prune
from mining_licenses.store._diff import DIFF_FIELDS, SnapshotDiff, changes, diff_snapshots
from mining_licenses.store._export import EXPORT_FORMATS, carried_meta, export, sidecar_of
from mining_licenses.store._names import snapshot_files
from mining_licenses.store._provenance import (
    SOURCES,
    SnapshotMeta,
    provenance_line,
    read_snapshot_meta,
    remember_meta,
    sidecar_path,
    write_sidecar,
)
from mining_licenses.store._results import RESULT_FORMATS, RESULT_KEY, provenance_of, write_result
from mining_licenses.store._shrink import MAX_DROPPED_SHARE, accept_snapshot
from mining_licenses.store._snapshots import (
    bundled_sample_path,
    read_snapshot,
    snapshot_path,
    write_snapshot,
)

__all__ = [
    "DIFF_FIELDS",
    "EXPORT_FORMATS",
    "MAX_DROPPED_SHARE",
    "RESULT_FORMATS",
    "RESULT_KEY",
    "SOURCES",
    "SnapshotDiff",
    "SnapshotMeta",
    "accept_snapshot",
    "bundled_sample_path",
    "carried_meta",
    "changes",
    "diff_snapshots",
    "export",
    "find_snapshot",
    "history",
    "list_snapshots",
    "provenance_line",
    "provenance_of",
    "prune",
    "read_snapshot",
    "read_snapshot_meta",
    "remember_meta",
    "sidecar_of",
    "sidecar_path",
    "snapshot_files",
    "snapshot_path",
    "write_result",
    "write_sidecar",
    "write_snapshot",
]
