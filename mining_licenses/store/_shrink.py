"""Never replace good data with less silently: a snapshot that drops too much is held back.

When :func:`~mining_licenses.store.write_snapshot` writes a complete snapshot,
it compares the snapshot's licenses with those of the previous complete
snapshot of the same filters (and the same kind: real or synthetic) that is
itself in use. If the new one lacks more than :data:`MAX_DROPPED_SHARE` of
them (a license is its ``wiup_code`` with its ``license_number``; rows
without a ``wiup_code`` are not counted), the file is still written, but its
provenance says so (``shrink``, with the numbers) and it is *held back*:
``find_snapshot``, ``load_licenses`` and ``read_snapshot("latest")`` go on
using the previous one, with a :class:`ShrunkSnapshotWarning` that says why.
A registry that really shrank is accepted later without pulling again
(:func:`accept_snapshot`, ``mining-licenses snapshots --accept NAME``: a small
``<snapshot>.accepted`` file beside it), or at once with ``accept_shrink=True``.

A server that answered "0 licenses" for a moment, a filter that went wrong
upstream or a sweep cut short cannot make the store's newest truth empty.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import polars as pl

from mining_licenses import _config
from mining_licenses import _validate as v
from mining_licenses import schema as s
from mining_licenses._atomic import write_atomic
from mining_licenses._errors import SnapshotError
from mining_licenses.store._footer import encode_json
from mining_licenses.store._provenance import SnapshotMeta

#: A new complete snapshot lacking more than this share of the previous one's licenses is held back.
MAX_DROPPED_SHARE: Final = 0.2
#: Suffix of the file that records that a held-back snapshot was accepted.
ACCEPTED_SUFFIX: Final = ".accepted"
_IDENTITY: Final = (s.WIUP_CODE, s.LICENSE_NUMBER)


def accepted_path(snapshot: Path) -> Path:
    """Return the file whose presence says that ``snapshot`` was accepted although it shrank."""
    return snapshot.with_name(snapshot.name + ACCEPTED_SUFFIX)


def is_held_back(shrink: Mapping[str, Any] | None, snapshot: Path) -> bool:
    """Tell whether a snapshot with this ``shrink`` record is held back (not yet accepted)."""
    return bool(shrink and shrink.get("held_back")) and not accepted_path(snapshot).exists()


def _licenses(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(_IDENTITY).filter(pl.col(s.WIUP_CODE).is_not_null()).unique()


def shrink_record(
    frame: pl.DataFrame,
    info: SnapshotMeta,
    store: str | os.PathLike[str] | None,
    *,
    accept: bool,
) -> dict[str, Any] | None:
    """Return the ``shrink`` record of a new snapshot, or None when it drops few enough.

    Compared with the newest complete snapshot of the same filters and kind
    that is in use; only a complete snapshot is compared (an incomplete one
    is never used as the whole registry anyway).
    """
    if not info.complete:
        return None
    previous = _previous(store, info)
    if previous is None:
        return None
    from mining_licenses.store._snapshots import read_snapshot  # imports this module

    try:
        before = _licenses(read_snapshot(previous, columns=list(_IDENTITY)))
    except SnapshotError:
        return None  # a damaged predecessor is reported when it is read; it sets no bar
    now = _licenses(frame)
    dropped = before.join(now, on=list(_IDENTITY), how="anti", nulls_equal=True).height
    if not before.height or dropped <= MAX_DROPPED_SHARE * before.height:
        return None
    return {
        "previous": previous.name,
        "previous_licenses": before.height,
        "licenses": now.height,
        "dropped": dropped,
        "share": round(dropped / before.height, 4),
        "max_share": MAX_DROPPED_SHARE,
        "held_back": not accept,
    }


def _previous(store: str | os.PathLike[str] | None, info: SnapshotMeta) -> Path | None:
    """Return the snapshot in use that a new one of ``info`` would replace, or None."""
    from mining_licenses.store._catalog import list_snapshots  # imports this module

    when = info.fetched_at or dt.datetime.now(dt.UTC)
    usable = list_snapshots(store).filter(
        pl.col("complete"),
        ~pl.col("held_back"),
        pl.col("synthetic") == info.synthetic,
        pl.col("filters") == encode_json(info.filters).decode(),
        pl.col(s.FETCHED_AT) <= when,
    )
    return Path(usable[-1, "path"]) if usable.height else None


def shrink_message(snapshot: Path, shrink: Mapping[str, Any]) -> str:
    """Say, with the numbers, why ``snapshot`` is held back and how to accept it."""
    name = snapshot.name
    said = (
        f"Snapshot {name} holds {shrink['licenses']:,} licenses and lacks {shrink['dropped']:,} "
        f"of the {shrink['previous_licenses']:,} in {shrink['previous']} "
        f"({shrink['share']:.0%}; at most {shrink['max_share']:.0%} may go unremarked)"
    )
    if not shrink.get("held_back") or accepted_path(snapshot).exists():
        return f"{said}; it was accepted."
    return (
        f"{said}. It is kept but held back: {shrink['previous']} stays the newest complete "
        f"snapshot. If the registry really shrank, accept it: accept_snapshot({name!r}) or "
        f"`mining-licenses snapshots --accept {name}` (or pass accept_shrink=True / "
        "--accept-shrink)."
    )


def accept_snapshot(
    snapshot: str | os.PathLike[str], *, store: str | os.PathLike[str] | None = None
) -> Path:
    """Accept a held-back snapshot: from now on it is used like any complete snapshot.

    Nothing is pulled again and the snapshot is not rewritten: a small
    ``<snapshot>.accepted`` file (JSON: when, and the numbers) is written
    beside it. Accepting a snapshot that is not held back does nothing.

    Parameters
    ----------
    snapshot
        A snapshot file, or its name in the store.
    store
        The store for a bare name (default: ``MINING_LICENSES_DATA``...).

    Returns
    -------
    pathlib.Path
        The snapshot accepted.

    Raises
    ------
    SnapshotError
        If the snapshot does not exist or is damaged.

    Examples
    --------
    >>> import tempfile
    >>> from mining_licenses.store import write_snapshot
    >>> path = write_snapshot(licenses, store=tempfile.mkdtemp(), meta={"source": "sample"})
    >>> accept_snapshot(path) == path
    True
    """
    from mining_licenses.store._provenance import read_snapshot_meta

    path = v.path(snapshot, name="snapshot", function="accept_snapshot").expanduser()
    if not path.exists() and not path.is_absolute():
        path = _config.store_dir(store) / path
    info = read_snapshot_meta(path)
    if not is_held_back(info.shrink, path):
        return path
    record = {
        "snapshot": path.name,
        "accepted_at": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
        "shrink": dict(info.shrink or {}),
    }
    write_atomic(accepted_path(path), json.dumps(record, indent=1).encode() + b"\n", overwrite=True)
    return path
