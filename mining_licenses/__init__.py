"""mining_licenses: Indonesia's mining-license registry as frames, maps and GeoParquet.

The public API is listed in ``__all__``; everything else is internal.
"""

from __future__ import annotations

from mining_licenses._errors import (
    ApiError,
    AuthenticationError,
    BudgetExceededError,
    ConfigurationError,
    DataQualityWarning,
    IncompleteSweepError,
    MiningLicensesError,
    MiningLicensesWarning,
    MissingDependencyError,
    SchemaError,
    SnapshotError,
    SyntheticDataWarning,
)

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BudgetExceededError",
    "ConfigurationError",
    "DataQualityWarning",
    "IncompleteSweepError",
    "MiningLicensesError",
    "MiningLicensesWarning",
    "MissingDependencyError",
    "SchemaError",
    "SnapshotError",
    "SyntheticDataWarning",
    "__version__",
]
