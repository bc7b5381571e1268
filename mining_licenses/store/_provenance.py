"""Provenance of a snapshot: the ``mining_licenses`` block of its file metadata.

What a snapshot says about itself (source, base URL, filters, ``fetched_at``,
``total_count``, records, pages, credits, completeness, synthetic or not,
package and schema versions), validated before it is written. Never the API
key: entries with a secret-looking name are dropped, URLs lose user info and
query, and a block that contains the key refuses to be written.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import os
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit, urlunsplit

import polars as pl

from mining_licenses import _config
from mining_licenses import _validate as v
from mining_licenses import schema as s
from mining_licenses._atomic import write_atomic
from mining_licenses._errors import ConfigurationError, SnapshotError
from mining_licenses._filters import FilterValue, validate_filters
from mining_licenses._redact import get_logger
from mining_licenses.store._checksum import checked_metadata
from mining_licenses.store._footer import GEO_KEY, META_KEY, check_geo, encode_json

logger = get_logger(__name__)

#: Key of the provenance dict in a GeoDataFrame's ``attrs`` (set by ``load_licenses``).
ATTRS_KEY: Final = "mining_licenses"
SOURCES: Final = ("api", "sample", "replica", "unknown")
Source = Literal["api", "sample", "replica", "unknown"]


_COUNTS: Final = (
    "total_count",
    "records",
    "pages",
    "credits_spent",
    "credits_upper_bound",
    "duplicates_upstream",
)
_TEXTS: Final = ("incomplete_reasons", "notes")
#: Written only when set (older snapshots have none of them).
_SWEEP_ONLY: Final = ("credits_upper_bound", "duplicates_upstream", *_TEXTS)
#: The longest note kept (a repair's failure quotes the server's answer, already cut).
_MAX_NOTE: Final = 10_000


@dataclasses.dataclass(frozen=True, kw_only=True)
class SnapshotMeta:
    """Provenance of a snapshot, stored as JSON in the file's metadata.

    ``records``, ``package_version`` and ``schema_version`` are filled in by
    :func:`write_snapshot`; ``fetched_at`` defaults to the frame's newest
    ``fetched_at``. ``complete`` means the sweep was verified to hold every
    license the API counted for these ``filters``. ``shrink`` is set by
    :func:`write_snapshot` when the snapshot lacks more than a fifth of the
    licenses of the previous complete one (the numbers, and ``held_back``:
    whether it waits to be accepted; see :mod:`mining_licenses.store._shrink`).

    What a sweep knew about itself is kept too: ``incomplete_reasons`` (why
    it is not complete: ``short``, ``refused``, ``moved``...), ``notes`` (what
    happened on the way: a repair that failed, licenses the API served twice),
    ``duplicates_upstream`` (rows repeating a license the API serves more than
    once: kept, flagged, never counted as missing) and the credits spent, at
    least ``credits_spent`` and at most ``credits_upper_bound`` (requests that
    timed out may have been billed). A snapshot written before they existed
    reads them as empty / None.
    """

    source: Source = "unknown"
    fetched_at: dt.datetime | None = None
    base_url: str | None = None
    filters: Mapping[str, FilterValue] = dataclasses.field(default_factory=dict)
    total_count: int | None = None
    records: int | None = None
    pages: int | None = None
    credits_spent: int | None = None
    complete: bool = False
    synthetic: bool = False
    package_version: str | None = None
    schema_version: str | None = None
    shrink: Mapping[str, Any] | None = None
    credits_upper_bound: int | None = None
    duplicates_upstream: int | None = None
    incomplete_reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Check each field's type (a ParameterTypeError) and range (a ConfigurationError)."""
        function = "SnapshotMeta"
        v.choice(self.source, SOURCES, name="source", function=function)
        v.moment(self.fetched_at, name="fetched_at", function=function, dates=False)
        v.mapping(self.filters, name="filters", function=function)
        for name in _COUNTS:
            if getattr(self, name) is not None:
                v.whole(getattr(self, name), name=name, function=function, low=0)
        for name in _TEXTS:  # a list read from JSON is kept as a tuple
            wanted = "a tuple of str"
            items = v.iterable(getattr(self, name), name=name, function=function, wanted=wanted)
            kept = tuple(items)
            for item in kept:
                v.text(item, name=name, function=function, max_chars=_MAX_NOTE, empty=True)
            object.__setattr__(self, name, kept)
        for name in ("complete", "synthetic"):
            v.flag(getattr(self, name), name=name, function=function)
        for name in ("base_url", "package_version", "schema_version"):
            if getattr(self, name) is not None:
                v.text(getattr(self, name), name=name, function=function, max_chars=4096)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON-ready dict written to the file (``fetched_at`` as ISO 8601 UTC)."""
        # Field by field, not dataclasses.asdict: its deep copies were most of listing a store.
        data = {f.name: getattr(self, f.name) for f in _FIELDS}
        data["filters"] = dict(self.filters)  # scalar values: a shallow copy is a copy
        if self.shrink is None:
            del data["shrink"]  # only a snapshot that shrank says so
        else:
            data["shrink"] = copy.deepcopy(dict(self.shrink))
        for name in _SWEEP_ONLY:  # only a sweep that knew something says it
            if data[name] in (None, ()):
                del data[name]
            elif isinstance(data[name], tuple):
                data[name] = list(data[name])
        if self.fetched_at is not None:
            data["fetched_at"] = self.fetched_at.isoformat().replace("+00:00", "Z")
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SnapshotMeta:
        """Read the stored dict back; unknown (newer) entries are ignored."""
        values = {k: v for k, v in data.items() if k in _NAMES}
        if isinstance(values.get("fetched_at"), str):
            values["fetched_at"] = dt.datetime.fromisoformat(values["fetched_at"])
        return cls(**values)


_FIELDS: Final = dataclasses.fields(SnapshotMeta)
_NAMES: Final = frozenset(f.name for f in _FIELDS)


def utc(when: dt.datetime) -> dt.datetime:
    """Return ``when`` in UTC (a naive time is read as UTC)."""
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _clean_url(url: str | None) -> str | None:
    """Return the base URL without user info, query or fragment (where keys could hide)."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def resolve_meta(
    meta: SnapshotMeta | Mapping[str, Any] | None, frame: pl.DataFrame
) -> SnapshotMeta:
    """Validate and complete the caller's metadata; drop anything that looks like a key."""
    from mining_licenses._version import __version__

    if isinstance(meta, SnapshotMeta):
        meta = meta.to_json()
    elif meta is not None and not isinstance(meta, Mapping):
        raise v.wrong_type(
            meta, name="meta", function=None, wanted="a SnapshotMeta, a dict of its fields or None"
        )
    given = dict(meta or {})
    for name in [k for k in given if _config.is_secret_name(k)]:
        del given[name]  # the value is never logged
        logger.warning("Dropped %r from the snapshot metadata: keys are never stored", name)
    known = {f.name for f in dataclasses.fields(SnapshotMeta)}
    unknown = sorted(set(given) - known)
    if unknown:
        msg = (
            f"Unknown snapshot metadata {', '.join(unknown)}; allowed: {', '.join(sorted(known))}."
        )
        raise ConfigurationError(msg)
    info = SnapshotMeta.from_json(given)
    if info.source not in SOURCES:
        msg = f"source={info.source!r} is not one of {', '.join(SOURCES)}."
        raise ConfigurationError(msg)
    when = info.fetched_at
    if when is None and frame.height:
        when = frame[s.FETCHED_AT].max()  # type: ignore[assignment]
    when = utc(when if isinstance(when, dt.datetime) else dt.datetime.now(dt.UTC))
    info = dataclasses.replace(
        info,
        fetched_at=when,
        base_url=_clean_url(info.base_url),
        filters=validate_filters(info.filters),
        records=frame.height,
        package_version=__version__,
        schema_version=s.SCHEMA_VERSION,
    )
    key = _config.api_key()
    if key and len(key) >= 8 and key in json.dumps(info.to_json()):
        msg = "The snapshot metadata contains the API key; refusing to write it."
        raise ConfigurationError(msg)
    return info


def file_metadata(info: SnapshotMeta, geo: Mapping[str, Any]) -> dict[bytes, bytes]:
    """Return the file-level metadata keys of a snapshot: ``geo`` and the provenance block."""
    return {GEO_KEY: encode_json(geo), META_KEY: encode_json(info.to_json())}


def read_snapshot_meta(path: str | os.PathLike[str]) -> SnapshotMeta:
    """Return the provenance stored in a snapshot, reading only its footer.

    Examples
    --------
    >>> from mining_licenses.store import bundled_sample_path
    >>> read_snapshot_meta(bundled_sample_path()).synthetic
    True
    """
    path = v.path(path, name="path", function="read_snapshot_meta")
    metadata, _ = checked_metadata(path)
    check_geo(path, metadata)
    raw = metadata.get(META_KEY)
    if raw is None:
        msg = f"{path} is GeoParquet but not a mining_licenses snapshot (no provenance block)."
        raise SnapshotError(msg)
    try:
        return SnapshotMeta.from_json(json.loads(raw))
    except (ValueError, TypeError) as err:
        msg = f"Snapshot {path} has a malformed provenance block ({err})."
        raise SnapshotError(msg) from err


# --------------------------------------------------------- labels for files
#: Suffix of the provenance file written next to formats without metadata (CSV, GeoJSON).
SIDECAR_SUFFIX: Final = ".provenance.json"


def provenance_line(info: SnapshotMeta) -> str:
    """Return one line saying what the data is: synthetic, or where and when it came from.

    Printed first by the command line for synthetic data, and written as the
    description of GeoPackage, FlatGeobuf and GeoJSON exports.

    Examples
    --------
    >>> provenance_line(SnapshotMeta(source="sample", synthetic=True))[:46]
    'SYNTHETIC DATA (the bundled sample): not the r'
    """
    if info.synthetic:
        what = "the bundled sample" if info.source == "sample" else f"source {info.source}"
        return f"SYNTHETIC DATA ({what}): not the real registry; do not cite these numbers."
    when = info.fetched_at.isoformat().replace("+00:00", "Z") if info.fetched_at else "unknown"
    state = "verified complete" if info.complete else "not verified complete"
    filters = ", ".join(f"{k}={v}" for k, v in info.filters.items()) or "none"
    return (
        f"Indonesia's mining-license registry (Sectors API), source {info.source}, "
        f"fetched {when}, filters: {filters}, {state}; mining-licenses {info.package_version}."
    )


def provenance_tags(info: SnapshotMeta) -> dict[str, str]:
    """Return the provenance as GDAL metadata items (GeoPackage, FlatGeobuf layers).

    ``mining_licenses`` holds the whole block as JSON; ``synthetic``,
    ``source`` and ``fetched_at`` repeat the fields a reader checks first.
    """
    data = info.to_json()
    return {
        META_KEY.decode(): json.dumps(data, ensure_ascii=False),
        "synthetic": "true" if info.synthetic else "false",
        "source": info.source,
        "fetched_at": str(data["fetched_at"]),
    }


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """Return the provenance sidecar of ``path``: ``soon.csv`` -> ``soon.csv.provenance.json``."""
    target = Path(path)
    return target.with_name(target.name + SIDECAR_SUFFIX)


def sidecar_bytes(
    path: str | os.PathLike[str], info: SnapshotMeta, *, as_of: dt.date | None = None
) -> bytes:
    """Return the JSON the provenance sidecar of the file ``path`` holds.

    ``as_of`` is the day the file's answer is as of (an expiring list), when
    it has one.
    """
    day = {"as_of": as_of.isoformat()} if as_of is not None else {}
    body = {
        "file": Path(path).name,
        "description": provenance_line(info),
        **day,
        **info.to_json(),
    }
    return (json.dumps(body, ensure_ascii=False, indent=1) + "\n").encode()


def write_sidecar(
    path: str | os.PathLike[str],
    info: SnapshotMeta,
    *,
    as_of: dt.date | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the provenance of the file ``path`` next to it, as JSON; return the sidecar's path.

    An existing sidecar is replaced only with ``overwrite``. A file and its
    sidecar written together (``export``, the command line) are published
    both or neither, with ``_atomic.write_together``.

    Examples
    --------
    >>> import tempfile
    >>> write_sidecar(Path(tempfile.mkdtemp()) / "soon.csv", SnapshotMeta()).name
    'soon.csv.provenance.json'
    """
    data = sidecar_bytes(path, info, as_of=as_of)
    return write_atomic(sidecar_path(path), data, overwrite=overwrite)


def frame_meta(frame: pl.DataFrame, sample: Path) -> SnapshotMeta | None:
    """Return the ``sample`` snapshot's provenance for a frame of its fetch stamp, else None.

    How a polars frame of the bundled sample, which carries no metadata, is
    still recognised as synthetic when exported.
    """
    stamps = frame[s.FETCHED_AT].drop_nulls() if s.FETCHED_AT in frame.columns else None
    if stamps is None or not stamps.len():
        return None
    info = read_snapshot_meta(sample)
    if info.synthetic and stamps.max() == info.fetched_at:
        return dataclasses.replace(info, filters={}, total_count=None)
    return None


# --------------------------------------------- the provenance of polars frames
# Polars frames carry no metadata, so the loader notes each frame it returns
# here, by identity, for as long as the frame lives (a weak reference): export()
# of that very frame writes its provenance. A frame derived from it (filter,
# head, with_columns) is a new object and carries none.
_remembered: dict[int, tuple[weakref.ref[pl.DataFrame], SnapshotMeta]] = {}
_remembered_lock = threading.Lock()


def remember_meta(frame: pl.DataFrame, meta: SnapshotMeta) -> pl.DataFrame:
    """Note ``meta`` as the provenance of this frame object and return the frame.

    Examples
    --------
    >>> frame = remember_meta(pl.DataFrame({"a": [1]}), SnapshotMeta(source="sample"))
    >>> recalled_meta(frame).source, recalled_meta(frame.head(1))
    ('sample', None)
    """
    key = id(frame)

    def forget(ref: weakref.ref[pl.DataFrame]) -> None:
        with _remembered_lock:
            entry = _remembered.get(key)
            if entry is not None and entry[0] is ref:
                del _remembered[key]

    ref = weakref.ref(frame, forget)
    with _remembered_lock:
        _remembered[key] = (ref, meta)
    return frame


def recalled_meta(frame: object) -> SnapshotMeta | None:
    """Return the provenance :func:`remember_meta` noted for this very frame, or None."""
    with _remembered_lock:
        entry = _remembered.get(id(frame))
    if entry is None or entry[0]() is not frame:  # an id reused by a newer object
        return None
    return entry[1]
