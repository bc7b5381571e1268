"""``load_licenses()``: the one call research code makes.

It decides where the data comes from (a fresh snapshot, the API, or the
bundled synthetic sample), applies the API's filters with the API's
semantics, and hands back a GeoDataFrame or a polars frame.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, overload

import polars as pl

from mining_licenses import _config, _terms, companies
from mining_licenses import schema as s
from mining_licenses._config import SOURCES, Source
from mining_licenses._errors import (
    ConfigurationError,
    SnapshotError,
    StaleSnapshotWarning,
    SyntheticDataWarning,
    caller_stacklevel,
    warn_once,
)
from mining_licenses._filters import apply_filters, validate_filters
from mining_licenses._pull import Pull, company_for_api, fetch_licenses, pull
from mining_licenses.analytics._inputs import resolve_as_of
from mining_licenses.client import PullOptions
from mining_licenses.store import (
    SnapshotMeta,
    bundled_sample_path,
    find_snapshot,
    read_snapshot,
    read_snapshot_meta,
    remember_meta,
    snapshot_path,
)
from mining_licenses.store._provenance import ATTRS_KEY

if TYPE_CHECKING:
    import geopandas as gpd


logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MAX_AGE",
    "OUTPUT_KINDS",
    "SOURCES",
    "Loaded",
    "Pull",
    "company_for_api",
    "fetch_licenses",
    "frame_as_of",
    "load_data",
    "load_licenses",
    "load_snapshot",
    "load_with_provenance",
    "pull",
    "sample_frame",
]

OutputKind = Literal["geopandas", "polars"]
OUTPUT_KINDS: Final = ("geopandas", "polars")
#: With ``source="auto"``, a snapshot younger than this is used instead of a pull.
DEFAULT_MAX_AGE: Final = dt.timedelta(days=7)


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        msg = f"{name}={value!r} is not one of: {', '.join(map(repr, allowed))}."
        raise ConfigurationError(msg)


def frame_as_of(frame: pl.DataFrame) -> dt.date:
    """Return the date a frame answers as of: its newest ``fetched_at`` (UTC), else today."""
    return resolve_as_of(frame, None, function="load_licenses")


def sample_frame() -> pl.DataFrame:
    """Return the bundled synthetic sample as a canonical frame; warns that it is synthetic.

    The sample is a GeoParquet snapshot committed with the package (see
    ``data/README.md``), written from :mod:`mining_licenses.sample`.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     frame = sample_frame()
    >>> frame.height
    4200
    """
    warn_once(
        "sample",
        "This is the bundled SYNTHETIC sample, not the real registry"
        + _terms.pick(" (what it is: mining_licenses.sample.SYNTHETIC_NOTE)", "")
        + "; set SECTORS_API_KEY to pull the real one.",
        SyntheticDataWarning,
    )
    return read_snapshot(bundled_sample_path())


Origin = Literal["snapshot", "sample", "api"]


@dataclasses.dataclass(frozen=True, repr=False)
class Loaded:
    """What a load found: the frame, its provenance, and where it came from.

    Attributes
    ----------
    frame
        The canonical polars frame, the filters applied.
    meta
        Its provenance (the snapshot's or the pull's, with the filters applied locally).
    origin
        ``"snapshot"`` (a file of the store, or one named), ``"sample"`` (the
        bundled synthetic sample) or ``"api"`` (pulled now).
    path
        The snapshot read, or the one the pull wrote (None when it wrote none).
    unfiltered
        How many licenses the data held before the local filters (None after
        a pull, which the API filtered).
    """

    frame: pl.DataFrame
    meta: SnapshotMeta
    origin: Origin
    path: Path | None = None
    unfiltered: pl.DataFrame | None = None

    def __repr__(self) -> str:
        return f"Loaded({self.frame.height} rows, {self.origin}, path={self.path})"


def _finish(
    frame: pl.DataFrame,
    meta: SnapshotMeta,
    filters: dict[str, Any],
    *,
    origin: Origin,
    path: Path | None,
) -> Loaded:
    """Apply ``filters`` locally and note them in meta.

    A snapshot written under an older schema gets its company keys learnt
    anew over the whole frame first (the rule changed in schema 1.1).
    """
    if meta.schema_version != s.SCHEMA_VERSION:
        frame = companies.with_company_keys(frame)
    whole = frame
    frame = apply_filters(frame, filters, as_of=frame_as_of(frame))
    if filters:
        total = frame.height if meta.complete else None  # what the API would have counted
        applied = validate_filters({**meta.filters, **filters})
        meta = dataclasses.replace(meta, filters=applied, records=frame.height, total_count=total)
    return Loaded(frame, meta, origin, path, unfiltered=whole)


def _from_file(path: Path, filters: dict[str, Any]) -> Loaded:
    frame, meta = _read(path)
    return _finish(frame, meta, filters, origin="snapshot", path=path)


def _from_sample(filters: dict[str, Any]) -> Loaded:
    path = bundled_sample_path()
    return _finish(sample_frame(), read_snapshot_meta(path), filters, origin="sample", path=path)


def load_data(
    *,
    source: Source = "auto",
    api_key: str | None = None,
    base_url: str | None = None,
    store: str | os.PathLike[str] | None = None,
    max_age: dt.timedelta | None = None,
    options: PullOptions | None = None,
    **arguments: Any,
) -> Loaded:
    """Load as :func:`load_licenses` does; say where the data came from (:class:`Loaded`).

    The one rule every caller shares (the command line too): ``source="auto"``
    takes the newest complete real snapshot of the store that answers the
    filters if younger than ``max_age``; else pulls when a key is set; else
    an older real snapshot (``StaleSnapshotWarning``); else a synthetic
    snapshot of the store (a demo's); else the bundled synthetic sample.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     loaded = load_data(source="sample", province="Kaltim")
    >>> loaded.origin, loaded.path.name, loaded.unfiltered.height > loaded.frame.height
    ('sample', 'licenses_20261101T060000Z.parquet', True)
    """
    _check_choice("source", source, SOURCES)
    changes, filters = PullOptions.split(arguments)
    opts = (options or PullOptions()).replace(**changes)  # fail on a bad option or filter
    clean: dict[str, Any] = validate_filters(filters)  # before any I/O
    if source == "sample":
        return _from_sample(clean)
    if source == "snapshot":
        path = find_snapshot(store=store, filters=clean, max_age=max_age, include_synthetic=True)
        if path is None:
            young = f" younger than {max_age}" if max_age is not None else ""
            msg = (
                f"No complete snapshot{young} in {_config.store_dir(store)} answers the "
                f"filters {clean or '{}'}. Pull one with `mining-licenses pull`"
                + _terms.pick(" or load_licenses(source='api').", ".")
            )
            raise SnapshotError(msg)
        return _from_file(path, clean)
    key = _config.api_key(api_key)
    max_age = DEFAULT_MAX_AGE if max_age is None else max_age
    fresh = find_snapshot(store=store, filters=clean, max_age=max_age)
    if source == "auto" and fresh is not None:
        return _from_file(fresh, clean)
    if source == "api" or key:
        sent = company_for_api(clean, store=store, base_url=base_url)
        pulled = pull(api_key=key, base_url=base_url, store=store, options=opts, **sent)
        return Loaded(pulled.frame, pulled.meta(), "api", pulled.snapshot)
    stale = find_snapshot(store=store, filters=clean)
    if stale is not None:
        warnings.warn(
            f"Using {stale.name}, older than {_terms.pick(f'max_age={max_age}', str(max_age))}: "
            f"no API key is set to pull a fresh one ({_config.ENV_API_KEY}).",
            StaleSnapshotWarning,
            stacklevel=caller_stacklevel(),
        )
        return _from_file(stale, clean)
    made_up = find_snapshot(store=store, filters=clean, include_synthetic=True)
    if made_up is not None:  # the store holds a demo's snapshot: it, not the bundled one
        return _from_file(made_up, clean)
    return _from_sample(clean)


def load_snapshot(
    name: str | os.PathLike[str] = "latest",
    *,
    store: str | os.PathLike[str] | None = None,
    **filters: Any,
) -> Loaded:
    """Load one snapshot by name: a file, a file name in the store, ``"latest"`` or ``"sample"``.

    ``"sample"`` is the bundled synthetic sample. The filters are applied
    locally, as :func:`load_data` does.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     loaded = load_snapshot("sample", commodity_type="nickel")
    >>> loaded.origin, loaded.meta.filters["commodity_type"]
    ('sample', 'Nickel')
    """
    clean: dict[str, Any] = validate_filters(filters)
    if str(name) == "sample":
        return _from_sample(clean)
    return _from_file(snapshot_path(name, store=store), clean)


def load_with_provenance(
    *,
    source: Source = "auto",
    api_key: str | None = None,
    base_url: str | None = None,
    store: str | os.PathLike[str] | None = None,
    max_age: dt.timedelta | None = None,
    options: PullOptions | None = None,
    **arguments: Any,
) -> tuple[pl.DataFrame, SnapshotMeta]:
    """Return what :func:`load_licenses` would, as a polars frame, with its provenance.

    The provenance is the snapshot's (or the pull's), plus the filters applied
    locally; ``synthetic`` says whether the data is made up (sample, replica).
    :func:`~mining_licenses.export` of the frame writes it (see :func:`load_licenses`).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     frame, meta = load_with_provenance(source="sample", commodity_type="coal")
    >>> meta.source, meta.synthetic, dict(meta.filters), meta.records == frame.height
    ('sample', True, {'commodity_type': 'Coal'}, True)
    """
    loaded = load_data(
        source=source,
        api_key=api_key,
        base_url=base_url,
        store=store,
        max_age=max_age,
        options=options,
        **arguments,
    )
    return remember_meta(loaded.frame, loaded.meta), loaded.meta


@overload
def load_licenses(
    *,
    source: Source = ...,
    api_key: str | None = ...,
    base_url: str | None = ...,
    store: str | os.PathLike[str] | None = ...,
    max_age: dt.timedelta | None = ...,
    as_: Literal["geopandas"] = ...,
    options: PullOptions | None = ...,
    **arguments: Any,
) -> gpd.GeoDataFrame: ...
@overload
def load_licenses(
    *,
    source: Source = ...,
    api_key: str | None = ...,
    base_url: str | None = ...,
    store: str | os.PathLike[str] | None = ...,
    max_age: dt.timedelta | None = ...,
    as_: Literal["polars"],
    options: PullOptions | None = ...,
    **arguments: Any,
) -> pl.DataFrame: ...
def load_licenses(
    *,
    source: Source = "auto",
    api_key: str | None = None,
    base_url: str | None = None,
    store: str | os.PathLike[str] | None = None,
    max_age: dt.timedelta | None = None,
    as_: OutputKind = "geopandas",
    options: PullOptions | None = None,
    **arguments: Any,
) -> pl.DataFrame | gpd.GeoDataFrame:
    """Load the mining-license registry as a GeoDataFrame (or polars frame).

    Parameters
    ----------
    source
        ``"auto"``: the newest complete, real snapshot in ``store`` that
        answers the filters, if fresh enough; else a pull from the API when a
        key is available (which writes a snapshot); else an older snapshot;
        else the bundled synthetic sample (with a :class:`SyntheticDataWarning`). ``"api"``,
        ``"snapshot"`` and ``"sample"`` force one path (``"api"`` with no key
        raises :class:`AuthenticationError`).
    api_key
        Sectors API key; defaults to ``SECTORS_API_KEY``. Never logged or stored.
    base_url
        Defaults to ``SECTORS_BASE_URL`` or ``https://api.sectors.app``.
    store
        Snapshot folder; defaults to ``MINING_LICENSES_DATA`` or the per-user
        data directory.
    max_age
        The oldest snapshot to use (``source="auto"``: 7 days by default; older
        ones are refreshed from the API when a key is set, and used with a
        :class:`StaleSnapshotWarning` when not).
    as_
        ``"geopandas"`` (default) or ``"polars"``.
    options
        How a pull runs (:class:`~mining_licenses.client.PullOptions`).
    **arguments
        The API's filters: ``company``, ``province`` (exact), ``commodity_type``,
        ``license_type``, ``activity``, ``cnc`` (case-insensitive) and
        ``expiring_soon`` (expiry within 365 days, inclusive, of the day the
        data was fetched). Sent to the API when pulling, applied locally to
        snapshots and the sample. Also any field of
        :class:`~mining_licenses.client.PullOptions` for a pull (``budget``,
        ``progress``, ...). ``company`` takes a slug, a company key or a name in
        any spelling (``"PT Multi Bintang"``, ``"multi bintang"``) locally; sent
        to the API, which matches slugs only, a name is first mapped to its slug
        through the newest snapshot that knows it.

    Returns
    -------
    geopandas.GeoDataFrame or polars.DataFrame
        One row per license, the canonical columns (see ``schema.COLUMNS``). A
        GeoDataFrame carries its provenance in ``gdf.attrs["mining_licenses"]``;
        a polars frame carries it to :func:`~mining_licenses.export`, which
        writes it into every file it makes (``gdf.to_file`` writes none; see
        :func:`load_with_provenance`).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     coal = load_licenses(source="sample", commodity_type="coal", as_="polars")
    >>> coal["commodity_type"].unique().to_list()
    ['Coal']
    """
    _check_choice("as_", as_, OUTPUT_KINDS)
    frame, meta = load_with_provenance(
        source=source,
        api_key=api_key,
        base_url=base_url,
        store=store,
        max_age=max_age,
        options=options,
        **arguments,
    )
    if as_ == "polars":
        return frame  # its provenance noted for export() (load_with_provenance)
    from mining_licenses.geo import to_geodataframe  # geopandas: only for a GeoDataFrame

    gdf = to_geodataframe(frame)
    gdf.attrs[ATTRS_KEY] = meta.to_json()
    return gdf


def _read(path: Path) -> tuple[pl.DataFrame, SnapshotMeta]:
    meta = read_snapshot_meta(path)
    if meta.synthetic:
        warn_once(
            str(path),
            f"Snapshot {path.name} holds SYNTHETIC data (source={meta.source!r}), "
            "not the real registry.",
            SyntheticDataWarning,
        )
    return read_snapshot(path), meta
