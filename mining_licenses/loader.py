"""``load_licenses()``: the one call research code makes.

It decides where the data comes from (a fresh snapshot, the API, or the
bundled synthetic sample), applies the API's filters with the API's
semantics, and hands back a GeoDataFrame or a polars frame.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, overload

import polars as pl

from mining_licenses import _config, _terms, companies
from mining_licenses import _validate as v
from mining_licenses import schema as s
from mining_licenses._config import SOURCES, Source
from mining_licenses._errors import (
    ApiError,
    ShrunkSnapshotWarning,
    SnapshotError,
    StaleSnapshotWarning,
    SyntheticDataWarning,
    caller_stacklevel,
    shorten,
    warn_once,
)
from mining_licenses._filters import apply_filters, validate_filters
from mining_licenses._offline import is_outage
from mining_licenses._pull import Pull, checked_arguments, company_for_api, fetch_licenses, pull
from mining_licenses._redact import get_logger
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
from mining_licenses.store._catalog import held_back_after
from mining_licenses.store._provenance import ATTRS_KEY
from mining_licenses.store._shrink import shrink_message

if TYPE_CHECKING:
    import geopandas as gpd


logger = get_logger(__name__)

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
    v.choice(value, allowed, name=name, function="load_licenses")


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


def _from_file(
    path: Path, filters: dict[str, Any], store: str | os.PathLike[str] | None = None
) -> Loaded:
    frame, meta = _read(path, store, filters)
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
    max_age: dt.timedelta | float | None = None,
    options: PullOptions | None = None,
    accept_shrink: bool = False,
    **arguments: Any,
) -> Loaded:
    """Load as :func:`load_licenses` does; say where the data came from (:class:`Loaded`).

    The one rule every caller shares (the command line too): ``source="auto"``
    takes the newest complete real snapshot of the store that answers the
    filters if younger than ``max_age``; else pulls when a key is set; else
    (no key, the API out of reach, or the pull held back for shrinking) an older
    real snapshot (``StaleSnapshotWarning`` saying why); else a synthetic
    snapshot of the store (a demo's); else the bundled synthetic sample.
    Held-back snapshots are skipped unless ``accept_shrink``.

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
    age = v.duration(max_age, name="max_age", function="load_licenses")
    accept_shrink = v.flag(accept_shrink, name="accept_shrink", function="load_licenses")
    opts, clean = checked_arguments(  # a bad option or filter fails before any I/O
        "load_licenses", options, arguments, api_key=api_key, base_url=base_url
    )
    if source == "sample":
        return _from_sample(clean)
    if source == "snapshot":
        path = find_snapshot(
            store=store,
            filters=clean,
            max_age=age,
            include_synthetic=True,
            accept_shrink=accept_shrink,
        )
        if path is None:
            young = f" younger than {age}" if age is not None else ""
            msg = (
                f"No complete snapshot{young} in {_config.store_dir(store)} answers the "
                f"filters {clean or '{}'}. Pull one with `mining-licenses pull`"
                + _terms.pick(" or load_licenses(source='api').", ".")
            )
            raise SnapshotError(msg)
        return _from_file(path, clean, store)
    key = _config.api_key(api_key)
    age = DEFAULT_MAX_AGE if age is None else age
    fresh = find_snapshot(store=store, filters=clean, max_age=age, accept_shrink=accept_shrink)
    if source == "auto" and fresh is not None:
        return _from_file(fresh, clean, store)
    why = f"no API key is set to pull a fresh one ({_config.ENV_API_KEY})"
    if source == "api" or key:
        sent = company_for_api(clean, store=store, base_url=base_url)
        try:
            pulled = pull(
                api_key=key,
                base_url=base_url,
                store=store,
                options=opts,
                accept_shrink=accept_shrink,
                **sent,
            )
        except ApiError as err:
            if source == "api" or opts.strict or not is_outage(err):
                raise  # a refused key, request or credit is shown, never hidden by old data
            why = (
                f"the API could not be reached or failed ({type(err).__name__}: "
                f"{shorten(str(err), 300)}); "
                + _terms.pick("pass strict=True", "use --source api")
                + " to raise instead"
            )
        else:
            meta = pulled.meta()
            if source == "api" or not (meta.shrink and meta.shrink.get("held_back")):
                return Loaded(pulled.frame, meta, "api", pulled.snapshot)
            why = f"the pull just made ({pulled.snapshot}) lacks too many licenses: it is held back"
    stale = find_snapshot(store=store, filters=clean, accept_shrink=accept_shrink)
    if stale is not None:
        warnings.warn(
            f"Using {stale.name}, older than {_terms.pick(f'max_age={age}', str(age))}: {why}.",
            StaleSnapshotWarning,
            stacklevel=caller_stacklevel(),
        )
        return _from_file(stale, clean, store)
    made_up = find_snapshot(
        store=store, filters=clean, include_synthetic=True, accept_shrink=accept_shrink
    )
    if made_up is not None:  # the store holds a demo's snapshot: it, not the bundled one
        return _from_file(made_up, clean, store)
    if key:
        warnings.warn(
            f"Using the bundled SYNTHETIC sample: {why}, and no snapshot in "
            f"{_config.store_dir(store)} answers filters {clean or '{}'}.",
            StaleSnapshotWarning,
            stacklevel=caller_stacklevel(),
        )
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
    return _from_file(snapshot_path(name, store=store), clean, store)


def load_with_provenance(
    *,
    source: Source = "auto",
    api_key: str | None = None,
    base_url: str | None = None,
    store: str | os.PathLike[str] | None = None,
    max_age: dt.timedelta | float | None = None,
    options: PullOptions | None = None,
    accept_shrink: bool = False,
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
        accept_shrink=accept_shrink,
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
    max_age: dt.timedelta | float | None = ...,
    as_: Literal["geopandas"] = ...,
    options: PullOptions | None = ...,
    accept_shrink: bool = ...,
    **arguments: Any,
) -> gpd.GeoDataFrame: ...
@overload
def load_licenses(
    *,
    source: Source = ...,
    api_key: str | None = ...,
    base_url: str | None = ...,
    store: str | os.PathLike[str] | None = ...,
    max_age: dt.timedelta | float | None = ...,
    as_: Literal["polars"],
    options: PullOptions | None = ...,
    accept_shrink: bool = ...,
    **arguments: Any,
) -> pl.DataFrame: ...
def load_licenses(
    *,
    source: Source = "auto",
    api_key: str | None = None,
    base_url: str | None = None,
    store: str | os.PathLike[str] | None = None,
    max_age: dt.timedelta | float | None = None,
    as_: OutputKind = "geopandas",
    options: PullOptions | None = None,
    accept_shrink: bool = False,
    **arguments: Any,
) -> pl.DataFrame | gpd.GeoDataFrame:
    """Load the mining-license registry as a GeoDataFrame (or polars frame).

    Parameters
    ----------
    source
        ``"auto"``: the newest complete, real snapshot in ``store`` that
        answers the filters, if fresh enough; else a pull from the API when a
        key is available (which writes a snapshot); else, when there is no
        key, the API cannot answer now (the network, a 5xx, a 429 or an
        unusable answer), or the pull is held back, the newest older snapshot
        with a :class:`StaleSnapshotWarning` that says why; else the bundled
        synthetic sample (with a :class:`SyntheticDataWarning`, and the
        reason when a key was set). ``"api"``, ``"snapshot"`` and
        ``"sample"`` force one path (``"api"`` with no key raises
        :class:`AuthenticationError`; ``"api"``, or ``strict=True``, raises
        the API's error instead of falling back). A refused key
        (:class:`AuthenticationError`), a refused request (400, 402 out of
        credit, 404) or :class:`BudgetExceededError` is always raised: old
        data never hides them.
    api_key
        Sectors API key; defaults to ``SECTORS_API_KEY``. Never logged or stored.
    base_url
        Defaults to ``SECTORS_BASE_URL`` or ``https://api.sectors.app``.
    store
        Snapshot folder; defaults to ``MINING_LICENSES_DATA`` or the per-user
        data directory.
    max_age
        The oldest snapshot to use: a ``timedelta`` or a number of seconds
        (``source="auto"``: 7 days by default; older ones are refreshed from
        the API when a key is set, and used with a
        :class:`StaleSnapshotWarning` when it cannot be; ``0``: always pull).
        A negative duration, or anything else, is a :class:`ConfigurationError`.
    as_
        ``"geopandas"`` (default) or ``"polars"``.
    options
        How a pull runs (:class:`~mining_licenses.client.PullOptions`).
    accept_shrink
        Use a snapshot even if it lacks more than a fifth of the licenses of
        the previous complete one. Without it such a snapshot is written but
        held back, and the previous one is used, with a
        :class:`ShrunkSnapshotWarning` giving the numbers (see
        :func:`mining_licenses.store.accept_snapshot`).
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
        accept_shrink=accept_shrink,
        **arguments,
    )
    if as_ == "polars":
        return frame  # its provenance noted for export() (load_with_provenance)
    from mining_licenses.geo import to_geodataframe  # geopandas: only for a GeoDataFrame

    gdf = to_geodataframe(frame)
    gdf.attrs[ATTRS_KEY] = meta.to_json()
    return gdf


def _read(
    path: Path, store: str | os.PathLike[str] | None, filters: dict[str, Any]
) -> tuple[pl.DataFrame, SnapshotMeta]:
    for held, shrink in held_back_after(path, store=store, filters=filters):
        warn_once(str(held), shrink_message(held, shrink), ShrunkSnapshotWarning, stacklevel=5)
    meta = read_snapshot_meta(path)
    if meta.synthetic:
        warn_once(
            str(path),
            f"Snapshot {path.name} holds SYNTHETIC data (source={meta.source!r}), "
            "not the real registry.",
            SyntheticDataWarning,
        )
    return read_snapshot(path), meta
