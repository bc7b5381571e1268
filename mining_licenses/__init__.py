"""mining_licenses: Indonesia's mining-license registry as frames, maps and GeoParquet.

The public API is listed in ``__all__``; everything else is internal.
"""

from __future__ import annotations

from mining_licenses._errors import (
    ApiError,
    AuthenticationError,
    BudgetExceededError,
    ConfigurationError,
    IncompleteSweepError,
    IncompleteSweepWarning,
    MiningLicensesError,
    MiningLicensesWarning,
    MissingDependencyError,
    SchemaError,
    SnapshotError,
    StaleSnapshotWarning,
    SyntheticDataWarning,
)
from mining_licenses._version import __version__
from mining_licenses.analytics import (
    area_by_company,
    area_by_province,
    concentration,
    expiring_soon,
    expiry_schedule,
    license_age_stats,
    quality_report,
)
from mining_licenses.client import SectorsClient, SweepResult
from mining_licenses.geo import to_geodataframe, to_polars
from mining_licenses.loader import Pull, fetch_licenses, load_licenses, pull
from mining_licenses.normalize import normalize_pages, normalize_records
from mining_licenses.report import render_report, write_report
from mining_licenses.store import (
    SnapshotDiff,
    SnapshotMeta,
    bundled_sample_path,
    diff_snapshots,
    export,
    find_snapshot,
    history,
    list_snapshots,
    prune,
    read_snapshot,
    read_snapshot_meta,
    write_snapshot,
)

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BudgetExceededError",
    "ConfigurationError",
    "IncompleteSweepError",
    "IncompleteSweepWarning",
    "MiningLicensesError",
    "MiningLicensesWarning",
    "MissingDependencyError",
    "Pull",
    "SchemaError",
    "SectorsClient",
    "SnapshotDiff",
    "SnapshotError",
    "SnapshotMeta",
    "StaleSnapshotWarning",
    "SweepResult",
    "SyntheticDataWarning",
    "__version__",
    "area_by_company",
    "area_by_province",
    "bundled_sample_path",
    "concentration",
    "diff_snapshots",
    "expiring_soon",
    "expiry_schedule",
    "export",
    "fetch_licenses",
    "find_snapshot",
    "history",
    "license_age_stats",
    "list_snapshots",
    "load_licenses",
    "normalize_pages",
    "normalize_records",
    "prune",
    "pull",
    "quality_report",
    "read_snapshot",
    "read_snapshot_meta",
    "render_report",
    "to_geodataframe",
    "to_polars",
    "write_report",
    "write_snapshot",
]
