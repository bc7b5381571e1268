"""Where the report's numbers come from: the snapshot metadata, cleaned of credentials.

:func:`meta_dict` accepts the metadata as a snapshot stores it or as a dict;
:func:`is_synthetic` decides whether the page carries the synthetic banner;
:func:`section` lists every metadata key except those that look like a
credential (:func:`mining_licenses._config.is_secret_name`), at the top level
and inside nested mappings such as ``filters``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Final

import polars as pl

from mining_licenses import _config, gazetteer
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError
from mining_licenses.report import _format as fmt
from mining_licenses.report import _parts as p

#: Labels of the snapshot metadata keys the package writes, in display order.
_META_LABELS: Final = {
    "source": "Source",
    "synthetic": "Synthetic data",
    "base_url": "API base URL",
    "filters": "Filters",
    "fetched_at": "Fetched at (UTC)",
    "total_count": "Licenses the API reported",
    "records": "Records received",
    "pages": "Pages fetched",
    "credits_spent": "Credits spent",
    "credits": "Credits spent",
    "complete": "Sweep verified complete",
    "package_version": "Package version",
    "schema_version": "Schema version",
}


def meta_dict(meta: object) -> Mapping[str, Any] | None:
    """Return metadata as a mapping: a snapshot's :class:`SnapshotMeta` or a dict as given."""
    if meta is None or isinstance(meta, Mapping):
        return meta
    if dataclasses.is_dataclass(meta) and not isinstance(meta, type):
        return dataclasses.asdict(meta)
    msg = f"meta must be a SnapshotMeta, a mapping or None, not {type(meta).__name__}."
    raise ConfigurationError(msg)


def is_synthetic(frame: pl.DataFrame, meta: Mapping[str, Any] | None) -> bool:
    """Say whether the data is synthetic: meta decides when it says; else the sample's stamp."""
    if meta is not None and "synthetic" in meta:
        return bool(meta["synthetic"])
    if meta is not None and meta.get("source") == "sample":
        return True
    from mining_licenses import sample

    fetched = frame[s.FETCHED_AT].drop_nulls()
    return bool(fetched.len()) and fetched.max() == sample.SAMPLE_FETCHED_AT


def section(
    frame: pl.DataFrame, meta: Mapping[str, Any] | None, *, synthetic: bool, version: str
) -> p.Section:
    """Build the provenance section: metadata (no credentials), the data's own, the gazetteer."""
    given = {k: v for k, v in (meta or {}).items() if not _config.is_secret_name(k)}
    ordered = [k for k in _META_LABELS if k in given] + [k for k in given if k not in _META_LABELS]
    rows = tuple(
        (_META_LABELS.get(k, k.replace("_", " ").capitalize()), fmt.meta_value(given[k]))
        for k in ordered
    )
    fetched = frame[s.FETCHED_AT].drop_nulls()
    derived = [
        ("Records in this report", fmt.count(frame.height)),
        ("Data fetched", fmt.span(fetched.min(), fetched.max()) if fetched.len() else fmt.NA),
        ("Report made with", f"mining-licenses {version} (schema {s.SCHEMA_VERSION})"),
    ]
    if meta is None:
        derived.insert(0, ("Source", "bundled synthetic sample" if synthetic else "not recorded"))
    parts = (
        p.Heading("Snapshot metadata"),
        p.Definitions(rows) if rows else p.Note("No snapshot metadata was given."),
        p.Heading("From the data"),
        p.Definitions(tuple(derived)),
        p.Heading("Gazetteer"),
        p.Note(gazetteer.ATTRIBUTION),
    )
    lead = "Where these numbers come from. Credentials are never shown."
    return p.Section("provenance", "Provenance", lead, parts)
