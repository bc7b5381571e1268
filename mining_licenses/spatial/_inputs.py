"""What every screen does with the licenses it is given: one frame, its columns, its provenance."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from mining_licenses import schema as s
from mining_licenses._errors import SchemaError
from mining_licenses._version import __version__

if TYPE_CHECKING:
    import geopandas as gpd

    from mining_licenses.store import SnapshotMeta


def licenses_frame(
    licenses: pl.DataFrame | gpd.GeoDataFrame, *, columns: Iterable[str], function: str
) -> pl.DataFrame:
    """Return the licenses as a polars frame holding ``columns``, or raise :class:`SchemaError`."""
    if isinstance(licenses, pl.DataFrame):
        frame = licenses
    else:
        import geopandas as gpd

        if not isinstance(licenses, gpd.GeoDataFrame):
            msg = (
                f"{function}() takes the licenses as a polars DataFrame or a GeoDataFrame "
                f"(from load_licenses), not {type(licenses).__name__}."
            )
            raise SchemaError(msg)
        from mining_licenses.geo import to_polars

        frame = to_polars(licenses)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = (
            f"{function}() needs the column(s) {', '.join(missing)}; pass the canonical frame "
            "(from load_licenses, read_snapshot or normalize_records)."
        )
        raise SchemaError(msg)
    return frame


def placed(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the longitudes, latitudes and whether each license has a usable point."""
    x = frame[s.LONGITUDE].cast(pl.Float64).fill_null(np.nan).to_numpy()
    y = frame[s.LATITUDE].cast(pl.Float64).fill_null(np.nan).to_numpy()
    return x, y, np.isfinite(x) & np.isfinite(y)


def provenance(
    licenses: pl.DataFrame | gpd.GeoDataFrame,
    meta: SnapshotMeta | Mapping[str, Any] | None,
    screen: Mapping[str, Any],
) -> dict[str, Any]:
    """Return a screen's provenance: what was computed, by which version, on which licenses."""
    from mining_licenses.store import provenance_of

    return {
        **screen,
        "package_version": __version__,
        "licenses": provenance_of(licenses, meta).to_json(),
    }
