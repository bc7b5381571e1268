"""``pull()``: the client's sweep, normalised and written as a snapshot, its events ledgered.

What :func:`~mining_licenses.load_licenses` does when it goes to the API,
and what ``mining-licenses pull`` runs: the store is checked before anything
is sent, the sweep runs with the pull's options, its records become the
canonical frame, and the frame is written as a snapshot with the sweep's
provenance; its events against the snapshot before are appended to the
store's ledger (``events.parquet``). :func:`fetch_licenses` is the same, returning only the frame.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import polars as pl

from mining_licenses import _config, _terms, companies
from mining_licenses import _validate as v
from mining_licenses._atomic import check_writable_folder
from mining_licenses._errors import (
    IncompleteSweepWarning,
    MiningLicensesError,
    MiningLicensesWarning,
    SchemaError,
)
from mining_licenses._filters import validate_filters
from mining_licenses._wire import is_loopback
from mining_licenses.client import PullOptions
from mining_licenses.store import (
    SnapshotMeta,
    list_snapshots,
    read_snapshot,
    read_snapshot_meta,
    write_snapshot,
)

if TYPE_CHECKING:
    from mining_licenses.changes import LedgerUpdate
    from mining_licenses.client import SweepResult


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
    marked_synthetic: bool = False  # the caller said so (pull(synthetic=True))

    def __repr__(self) -> str:
        return f"Pull({self.frame.height} rows, {self.sweep!r}, snapshot={self.snapshot})"

    @property
    def synthetic(self) -> bool:
        """Whether the data is synthetic: the server said so (the replica does), or the caller."""
        return self.sweep.synthetic or self.marked_synthetic

    def meta(self) -> SnapshotMeta:
        """Return the provenance of the pull: its snapshot's, else the sweep's."""
        if self.snapshot is not None:
            return read_snapshot_meta(self.snapshot)
        data, known = self.sweep.metadata(), {f.name for f in dataclasses.fields(SnapshotMeta)}
        data |= {
            "source": self.source,
            "fetched_at": data["finished_at"],
            "synthetic": self.synthetic,
        }
        return SnapshotMeta.from_json({k: v for k, v in data.items() if k in known})


def checked_arguments(
    function: str,
    options: PullOptions | None,
    arguments: dict[str, Any],
    *,
    api_key: object = None,
    base_url: object = None,
    flags: dict[str, object] | None = None,
) -> tuple[PullOptions, dict[str, Any]]:
    """Check a pull's arguments before anything is sent; return its options and filters.

    ``options`` must be a :class:`PullOptions` or None; ``arguments`` hold its
    fields and the API's filters; ``flags`` are the call's True/False arguments.
    """
    for name, value in (flags or {}).items():
        v.flag(value, name=name, function=function)
    _config.api_key(api_key)  # checks its type, never shows it
    _config.base_url(base_url)
    given = PullOptions.given(options, function=function)
    changes, filters = PullOptions.split(arguments)
    opts = given.replace(**changes)  # a bad option fails
    return opts, validate_filters(filters)


def _check_store(store: str | os.PathLike[str] | None) -> None:
    """Raise ConfigurationError unless the store is, or can be made, a writable folder.

    Checked before a pull sends anything: a pull that cannot keep its journal
    or write its snapshot would spend credits for nothing. The journal's
    folder (``<store>/journal``) is checked the same way.
    """
    root = _config.store_dir(store)
    named = _terms.option("store", str(store)) if store is not None else _config.ENV_DATA_DIR
    fix = (
        f"Point {named} at a writable folder (or pass {_terms.option('store')}). Nothing was "
        "sent; no credit was spent."
    )
    for folder, what in ((root, "The snapshot store"), (root / "journal", "The journal folder")):
        check_writable_folder(folder, what=what, fix=fix)


def pull(
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    store: str | os.PathLike[str] | None = None,
    write: bool = True,
    synthetic: bool = False,
    options: PullOptions | None = None,
    accept_shrink: bool = False,
    **arguments: Any,
) -> Pull:
    """Sweep the API (verified complete, resumable), normalise the records, snapshot them.

    Parameters are those of :func:`fetch_licenses`, plus ``synthetic``: mark
    the snapshot as synthetic data (a replica serving made-up records). The
    result keeps the sweep's provenance next to the frame.
    """
    opts, clean = checked_arguments(
        "pull",
        options,
        arguments,
        api_key=api_key,
        base_url=base_url,
        flags={"write": write, "synthetic": synthetic},
    )
    from mining_licenses.client import SectorsClient  # httpx: only when pulling
    from mining_licenses.normalize import normalize_records

    with SectorsClient(
        api_key,
        base_url=base_url,
        journal_dir=_config.store_dir(store) / "journal",
        options=opts,
    ) as client:
        client.require_key()  # before the store is made: no key, nothing left behind
        if write or opts.resume:
            _check_store(store)
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
        pulled = Pull(frame=frame, sweep=sweep, source=source, marked_synthetic=synthetic)
        if write:
            snapshot = write_snapshot(
                frame, store=store, meta=pulled.meta(), accept_shrink=accept_shrink
            )
            pulled = dataclasses.replace(pulled, snapshot=snapshot)
            append_events(store)
        client.discard_journal(sweep)  # the records are safe now (in memory or on disk)
    return pulled


def append_events(store: str | os.PathLike[str] | None) -> LedgerUpdate | None:
    """Bring the store's ledger up to date after a snapshot is written or accepted.

    A failure only warns (the snapshot is safe; the next pull or ``events``
    catches the ledger up); returns what was appended, or None then.
    """
    from mining_licenses.changes import update_ledger

    try:
        return update_ledger(store)
    except MiningLicensesError as err:
        warnings.warn(
            f"The snapshot is written, but its events could not be added to the ledger: {err}",
            MiningLicensesWarning,
            stacklevel=3,
        )
        return None


def fetch_licenses(
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    store: str | os.PathLike[str] | None = None,
    write: bool = True,
    options: PullOptions | None = None,
    accept_shrink: bool = False,
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
    accept_shrink
        Use the snapshot as the newest data even if it lacks more than a fifth
        of the licenses of the previous complete one (else it is written but
        held back, with a :class:`ShrunkSnapshotWarning`).
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
    opts, clean = checked_arguments(
        "fetch_licenses",
        options,
        arguments,
        api_key=api_key,
        base_url=base_url,
        flags={"write": write},
    )
    sent = company_for_api(clean, store=store, base_url=base_url)
    return pull(
        api_key=api_key,
        base_url=base_url,
        store=store,
        write=write,
        options=opts,
        accept_shrink=accept_shrink,
        **sent,
    ).frame


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
