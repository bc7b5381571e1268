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
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, overload
from urllib.parse import urlsplit

import polars as pl

from mining_licenses import _config, companies
from mining_licenses import schema as s
from mining_licenses._config import SOURCES, Source
from mining_licenses._errors import (
    ConfigurationError,
    IncompleteSweepWarning,
    SchemaError,
    SnapshotError,
    StaleSnapshotWarning,
    SyntheticDataWarning,
    warn_once,
)
from mining_licenses._filters import apply_filters, validate_filters
from mining_licenses._wire import is_loopback
from mining_licenses.analytics._inputs import resolve_as_of
from mining_licenses.client import PullOptions
from mining_licenses.store import (
    SnapshotMeta,
    bundled_sample_path,
    find_snapshot,
    list_snapshots,
    read_snapshot,
    read_snapshot_meta,
    write_snapshot,
)
from mining_licenses.store._provenance import ATTRS_KEY

if TYPE_CHECKING:
    import geopandas as gpd

    from mining_licenses.client import SweepResult

logger = logging.getLogger(__name__)

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
        "This is the bundled SYNTHETIC sample, not the real registry (what it is: "
        "mining_licenses.sample.SYNTHETIC_NOTE); set SECTORS_API_KEY to pull the real one.",
        SyntheticDataWarning,
        stacklevel=4,
    )
    return read_snapshot(bundled_sample_path())


@dataclass(frozen=True, repr=False)
class Pull:
    """A pull from the API: the canonical frame and how it was collected.

    Attributes
    ----------
    frame
        The canonical polars frame (one row per distinct record).
    sweep
        The client's :class:`~mining_licenses.client.SweepResult` (pages,
        credits, completeness), without the key.
    source
        ``"api"``, or ``"replica"`` when the base URL is a loopback address.
    snapshot
        Where the snapshot was written, or None.
    """

    frame: pl.DataFrame
    sweep: SweepResult
    source: str
    snapshot: Path | None = None

    def __repr__(self) -> str:
        return f"Pull({self.frame.height} rows, {self.sweep!r}, snapshot={self.snapshot})"

    @property
    def synthetic(self) -> bool:
        """Whether the server said the data is synthetic (the replica does)."""
        return self.sweep.synthetic

    def meta(self) -> SnapshotMeta:
        """Return the provenance of the pull: its snapshot's, else the sweep's."""
        if self.snapshot is not None:
            return read_snapshot_meta(self.snapshot)
        data, known = self.sweep.metadata(), {f.name for f in dataclasses.fields(SnapshotMeta)}
        data |= {"source": self.source, "fetched_at": data["finished_at"]}
        return SnapshotMeta.from_json({k: v for k, v in data.items() if k in known})


def _check_store(store: str | os.PathLike[str] | None) -> None:
    """Raise ConfigurationError unless the store is, or can be made, a writable folder.

    Checked before a pull sends anything: a pull that cannot keep its journal
    or write its snapshot would spend credits for nothing.
    """
    folder = _config.store_dir(store)
    named = f"store={str(store)!r}" if store is not None else _config.ENV_DATA_DIR
    fix = (
        f"Point {named} at a writable folder (or pass store=...). Nothing was sent; "
        "no credit was spent."
    )
    if folder.exists() and not folder.is_dir():
        msg = f"The snapshot store {folder} is not a folder. {fix}"
        raise ConfigurationError(msg)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"The snapshot store {folder} cannot be created ({err.strerror or err}). {fix}"
        raise ConfigurationError(msg) from err
    try:  # os.access says yes to root on a read-only mount: try it
        handle, probe = tempfile.mkstemp(prefix=".write-test-", dir=folder)
        os.close(handle)
        Path(probe).unlink()
    except OSError as err:
        msg = f"The snapshot store {folder} is not writable ({err.strerror or err}). {fix}"
        raise ConfigurationError(msg) from err


def pull(
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    store: str | os.PathLike[str] | None = None,
    write: bool = True,
    synthetic: bool = False,
    options: PullOptions | None = None,
    **arguments: Any,
) -> Pull:
    """Sweep the API (verified complete, resumable), normalise the records, snapshot them.

    Parameters are those of :func:`fetch_licenses`, plus ``synthetic``: mark
    the snapshot as synthetic data (a replica serving made-up records). The
    result keeps the sweep's provenance next to the frame.
    """
    changes, filters = PullOptions.split(arguments)
    opts = (options or PullOptions()).replace(**changes)
    clean: dict[str, Any] = validate_filters(filters)
    if write or opts.resume:
        _check_store(store)
    from mining_licenses.client import SectorsClient  # httpx: only when pulling
    from mining_licenses.normalize import normalize_records

    with SectorsClient(
        api_key,
        base_url=base_url,
        journal_dir=_config.store_dir(store) / "journal",
        options=opts,
    ) as client:
        sweep = client.fetch_all(keep_journal=True, **clean)
        try:
            frame = normalize_records(sweep.records, fetched_at=sweep.finished_at)
        except Exception as err:  # a journal that cannot be normalised must not be replayed
            client.discard_journal(sweep)
            msg = (
                f"The {len(sweep.records)} records pulled could not be normalised "
                f"({type(err).__name__}: {str(err)[:200]}); their journal was discarded so "
                "a rerun fetches them afresh instead of failing on them again."
            )
            raise SchemaError(msg) from err
        loopback = is_loopback(urlsplit(client.base_url).hostname or "")
        source: Literal["api", "replica"] = "replica" if loopback else "api"
        if not sweep.complete:
            warnings.warn(
                f"The sweep is incomplete ({', '.join(sweep.incomplete_reasons)}): "
                f"{sweep.missing} of {sweep.total_count} licenses are missing after repair. "
                "The frame holds what was collected; the snapshot is marked incomplete.",
                IncompleteSweepWarning,
                stacklevel=2,
            )
        snapshot = None
        if write:
            meta = SnapshotMeta(
                source=source,
                fetched_at=sweep.finished_at,
                base_url=sweep.base_url,
                filters=dict(sweep.filters),
                total_count=sweep.total_count,
                pages=sweep.pages,
                credits_spent=sweep.credits_spent,
                complete=sweep.complete,
                synthetic=synthetic or sweep.synthetic,
            )
            snapshot = write_snapshot(frame, store=store, meta=meta)
        client.discard_journal(sweep)  # the records are safe now (in memory or on disk)
    return Pull(frame=frame, sweep=sweep, source=source, snapshot=snapshot)


def fetch_licenses(
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    store: str | os.PathLike[str] | None = None,
    write: bool = True,
    options: PullOptions | None = None,
    **arguments: Any,
) -> pl.DataFrame:
    """Pull every matching license from the API into the canonical polars frame.

    Always asks the API (see :func:`load_licenses` to reuse snapshots). The
    sweep runs pages concurrently, retries what is free to retry, resumes an
    interrupted sweep without buying its pages again, and checks that the
    distinct licenses add up to the API's ``total_count``.

    Parameters
    ----------
    api_key
        Defaults to ``SECTORS_API_KEY``; never logged or written anywhere.
    base_url
        Defaults to ``SECTORS_BASE_URL`` or ``https://api.sectors.app``.
    store
        Snapshot folder for ``write=True``.
    write
        Write a snapshot of the pull (the default).
    options
        A :class:`~mining_licenses.client.PullOptions`.
    **arguments
        The API's filters (see :func:`load_licenses`) and any field of
        :class:`~mining_licenses.client.PullOptions`: ``budget`` (most credits
        to spend), ``strict`` (raise :class:`IncompleteSweepError` rather than
        return an incomplete pull with a warning), ``max_in_flight``,
        ``progress``, ``allow_insecure``, ...

    Examples
    --------
    >>> frame = fetch_licenses(commodity_type="Nickel", budget=20)  # doctest: +SKIP
    """
    changes, filters = PullOptions.split(arguments)
    opts = (options or PullOptions()).replace(**changes)
    sent = company_for_api(validate_filters(filters), store=store, base_url=base_url)
    return pull(
        api_key=api_key, base_url=base_url, store=store, write=write, options=opts, **sent
    ).frame


def _finish(
    frame: pl.DataFrame, meta: SnapshotMeta, filters: dict[str, Any]
) -> tuple[pl.DataFrame, SnapshotMeta]:
    """Apply ``filters`` locally and note them in meta.

    A snapshot written under an older schema gets its company keys learnt
    anew over the whole frame first (the rule changed in schema 1.1).
    """
    if meta.schema_version != s.SCHEMA_VERSION:
        frame = companies.with_company_keys(frame)
    frame = apply_filters(frame, filters, as_of=frame_as_of(frame))
    if not filters:
        return frame, meta
    total = frame.height if meta.complete else None  # what the API would have counted
    applied = validate_filters({**meta.filters, **filters})
    return frame, dataclasses.replace(
        meta, filters=applied, records=frame.height, total_count=total
    )


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

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     frame, meta = load_with_provenance(source="sample", commodity_type="coal")
    >>> meta.source, meta.synthetic, dict(meta.filters), meta.records == frame.height
    ('sample', True, {'commodity_type': 'Coal'}, True)
    """
    _check_choice("source", source, SOURCES)
    changes, filters = PullOptions.split(arguments)
    opts = (options or PullOptions()).replace(**changes)  # fail on a bad option or filter
    clean: dict[str, Any] = validate_filters(filters)  # before any I/O
    if source == "sample":
        return _finish(sample_frame(), read_snapshot_meta(bundled_sample_path()), clean)
    if source == "snapshot":
        path = find_snapshot(store=store, filters=clean, max_age=max_age, include_synthetic=True)
        if path is None:
            msg = (
                f"No complete snapshot in {_config.store_dir(store)} answers "
                f"filters {clean or '{}'}"
                + (f" within max_age={max_age}" if max_age is not None else "")
                + ". Pull one with `mining-licenses pull` or load_licenses(source='api')."
            )
            raise SnapshotError(msg)
        return _finish(*_read(path), clean)
    key = _config.api_key(api_key)
    max_age = DEFAULT_MAX_AGE if max_age is None else max_age
    fresh = find_snapshot(store=store, filters=clean, max_age=max_age)
    if source == "auto" and fresh is not None:
        return _finish(*_read(fresh), clean)
    if source == "api" or key:
        sent = company_for_api(clean, store=store, base_url=base_url)
        pulled = pull(api_key=key, base_url=base_url, store=store, options=opts, **sent)
        return pulled.frame, pulled.meta()
    stale = find_snapshot(store=store, filters=clean)
    if stale is not None:
        warnings.warn(
            f"Using {stale.name}, older than max_age={max_age}: no API key "
            "is set to pull a fresh one (SECTORS_API_KEY).",
            StaleSnapshotWarning,
            stacklevel=3,
        )
        return _finish(*_read(stale), clean)
    return _finish(sample_frame(), read_snapshot_meta(bundled_sample_path()), clean)


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
        GeoDataFrame carries its provenance in ``gdf.attrs["mining_licenses"]``
        (``export`` writes it into files; see :func:`load_with_provenance`).

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
        return frame
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
            stacklevel=4,
        )
    return read_snapshot(path), meta


def company_for_api(
    filters: dict[str, Any],
    *,
    store: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
) -> dict[str, Any]:
    """Return ``filters`` with ``company`` as the API's slug, learned from the store.

    See :func:`mining_licenses.companies.for_api`; synthetic snapshots count
    only for a loopback ``base_url`` (a replica).
    """
    if "company" not in filters:
        return filters
    folder = _config.store_dir(store)
    listing = list_snapshots(folder)
    if not is_loopback(urlsplit(_config.base_url(base_url)).hostname or ""):
        listing = listing.filter(~pl.col("synthetic"))
    snapshots = (
        (Path(path).name, read_snapshot(path, columns=companies.COMPANY_COLUMNS))
        for path in reversed(listing["path"].to_list())
    )
    return companies.for_api(filters, snapshots, where=str(folder))
