"""mining_licenses: Indonesia's mining-license registry as frames, maps and GeoParquet.

The public API is listed in ``__all__``; everything else is internal. The
exceptions and warnings are imported with the package; every other name on
first use, so importing the package is quick.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from mining_licenses._errors import (
    ApiError,
    AuthenticationError,
    BadResponseError,
    BudgetExceededError,
    ConfigurationError,
    IncompleteSweepError,
    IncompleteSweepWarning,
    MiningLicensesError,
    MiningLicensesWarning,
    MissingDependencyError,
    NoMatchWarning,
    RateLimitedError,
    SchemaError,
    SnapshotError,
    StaleSnapshotWarning,
    SyntheticDataWarning,
)
from mining_licenses._version import __version__

if TYPE_CHECKING:  # the names below are imported on first use (see __getattr__)
    from mining_licenses._update import UpdateResult, update
    from mining_licenses.analytics import (
        area_by_company,
        area_by_province,
        concentration,
        expiring_soon,
        expiry_schedule,
        license_age_stats,
        quality_report,
    )
    from mining_licenses.changes import (
        EVENT_TYPES,
        RefreshSchedule,
        Watchlist,
        check_due,
        events,
        events_between,
        read_ledger,
        rebuild_ledger,
        update_ledger,
    )
    from mining_licenses.client import SectorsClient, SweepResult
    from mining_licenses.feeds import write_feeds
    from mining_licenses.geo import to_geodataframe, to_polars
    from mining_licenses.loader import Pull, fetch_licenses, load_licenses, pull
    from mining_licenses.normalize import normalize_pages, normalize_records
    from mining_licenses.report import render_digest, render_report, write_report
    from mining_licenses.spatial import IslandScreen, Overlap, islands_layer, overlap, small_islands
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

#: Where each public name lives; importing the package imports none of them, so
#: ``import mining_licenses`` stays cheap (no pandas, geopandas, shapely, httpx).
_LAZY: dict[str, str] = {
    "EVENT_TYPES": "mining_licenses.changes",
    "IslandScreen": "mining_licenses.spatial",
    "Overlap": "mining_licenses.spatial",
    "Pull": "mining_licenses.loader",
    "RefreshSchedule": "mining_licenses.changes",
    "UpdateResult": "mining_licenses._update",
    "Watchlist": "mining_licenses.changes",
    "check_due": "mining_licenses.changes",
    "events": "mining_licenses.changes",
    "events_between": "mining_licenses.changes",
    "read_ledger": "mining_licenses.changes",
    "rebuild_ledger": "mining_licenses.changes",
    "render_digest": "mining_licenses.report",
    "update": "mining_licenses._update",
    "update_ledger": "mining_licenses.changes",
    "write_feeds": "mining_licenses.feeds",
    "SectorsClient": "mining_licenses.client",
    "SnapshotDiff": "mining_licenses.store",
    "SnapshotMeta": "mining_licenses.store",
    "SweepResult": "mining_licenses.client",
    "area_by_company": "mining_licenses.analytics",
    "area_by_province": "mining_licenses.analytics",
    "bundled_sample_path": "mining_licenses.store",
    "concentration": "mining_licenses.analytics",
    "diff_snapshots": "mining_licenses.store",
    "expiring_soon": "mining_licenses.analytics",
    "expiry_schedule": "mining_licenses.analytics",
    "export": "mining_licenses.store",
    "fetch_licenses": "mining_licenses.loader",
    "find_snapshot": "mining_licenses.store",
    "history": "mining_licenses.store",
    "islands_layer": "mining_licenses.spatial",
    "license_age_stats": "mining_licenses.analytics",
    "list_snapshots": "mining_licenses.store",
    "load_licenses": "mining_licenses.loader",
    "normalize_pages": "mining_licenses.normalize",
    "normalize_records": "mining_licenses.normalize",
    "overlap": "mining_licenses.spatial",
    "prune": "mining_licenses.store",
    "pull": "mining_licenses.loader",
    "quality_report": "mining_licenses.analytics",
    "read_snapshot": "mining_licenses.store",
    "read_snapshot_meta": "mining_licenses.store",
    "render_report": "mining_licenses.report",
    "small_islands": "mining_licenses.spatial",
    "to_geodataframe": "mining_licenses.geo",
    "to_polars": "mining_licenses.geo",
    "write_report": "mining_licenses.report",
    "write_snapshot": "mining_licenses.store",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'mining_licenses' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "EVENT_TYPES",
    "ApiError",
    "AuthenticationError",
    "BadResponseError",
    "BudgetExceededError",
    "ConfigurationError",
    "IncompleteSweepError",
    "IncompleteSweepWarning",
    "IslandScreen",
    "MiningLicensesError",
    "MiningLicensesWarning",
    "MissingDependencyError",
    "NoMatchWarning",
    "Overlap",
    "Pull",
    "RateLimitedError",
    "RefreshSchedule",
    "SchemaError",
    "SectorsClient",
    "SnapshotDiff",
    "SnapshotError",
    "SnapshotMeta",
    "StaleSnapshotWarning",
    "SweepResult",
    "SyntheticDataWarning",
    "UpdateResult",
    "Watchlist",
    "__version__",
    "area_by_company",
    "area_by_province",
    "bundled_sample_path",
    "check_due",
    "concentration",
    "diff_snapshots",
    "events",
    "events_between",
    "expiring_soon",
    "expiry_schedule",
    "export",
    "fetch_licenses",
    "find_snapshot",
    "history",
    "islands_layer",
    "license_age_stats",
    "list_snapshots",
    "load_licenses",
    "normalize_pages",
    "normalize_records",
    "overlap",
    "prune",
    "pull",
    "quality_report",
    "read_ledger",
    "read_snapshot",
    "read_snapshot_meta",
    "rebuild_ledger",
    "render_digest",
    "render_report",
    "small_islands",
    "to_geodataframe",
    "to_polars",
    "update",
    "update_ledger",
    "write_feeds",
    "write_report",
    "write_snapshot",
]
