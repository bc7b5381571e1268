"""The events' vocabulary and columns: every event type with the rule that raises it.

Part of the public API through :mod:`mining_licenses.changes`, which
re-exports every name here. ``docs/monitoring.md`` lists the same rules; a
test checks that the page names every type.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

import polars as pl

from mining_licenses import schema as s

# ------------------------------------------------------------------ event types
NEW: Final = "new"
REAPPEARED: Final = "reappeared"
VANISHED_EXPIRED: Final = "vanished_expired"
VANISHED_EARLY: Final = "vanished_early"
EXPIRED: Final = "expired"
EXTENDED: Final = "extended"
SHORTENED: Final = "shortened"
STAGE_CHANGED: Final = "stage_changed"
CNC_CHANGED: Final = "cnc_changed"
HOLDER_CHANGED: Final = "holder_changed"
AREA_CHANGED: Final = "area_changed"
MOVED: Final = "moved"
TYPE_CHANGED: Final = "type_changed"
COMMODITY_CHANGED: Final = "commodity_changed"
OTHER: Final = "other"

#: Every event type, in the order the ledger, the feed and the digest list them, with its rule.
EVENT_TYPES: Final = MappingProxyType(
    {
        NEW: "a license key not seen in any earlier snapshot of the chain",
        REAPPEARED: "a license key seen in an earlier snapshot, absent from the one before, "
        "listed again (detail: when it was last seen)",
        VANISHED_EXPIRED: "a license listed before and gone now, whose expiry date (as last "
        "listed) was before the day of the newer snapshot",
        VANISHED_EARLY: "a license listed before and gone now while still valid (or with no "
        "expiry date): revoked, or dropped by the API because a field went blank upstream; "
        "both are possible and the detail says so",
        EXPIRED: "a license listed in both snapshots whose expiry date falls on or after the "
        "older snapshot's day and before the newer one's: it crossed its expiry date",
        EXTENDED: "the expiry date moved later (detail: by how many days)",
        SHORTENED: "the expiry date moved earlier (detail: by how many days)",
        STAGE_CHANGED: "activity changed, e.g. Eksplorasi -> Operasi Produksi (detail: the "
        "direction)",
        CNC_CHANGED: "the Clear & Clean status changed among CNC, non-CNC and not yet verified "
        "(detail: the direction)",
        HOLDER_CHANGED: "the license is held by another company: the old and new records share "
        "no company identity (company key, folded name, slug), so a respelling, a legal form "
        "added or a slug learnt is not a holder change",
        AREA_CHANGED: "licensed_area_ha changed (detail: the difference in ha and %)",
        MOVED: "province, regency (city), location text or the API's point changed (detail: "
        "which, and how far the point moved)",
        TYPE_CHANGED: "license_type changed, e.g. IUP -> IUPK",
        COMMODITY_CHANGED: "commodity_type changed",
        OTHER: "any other field changed (license_number, license_effective_date, generation, "
        "company_slug, a company renamed under the same identity, an expiry date or area that "
        "became known or unknown); one event per field, the detail names it",
    }
)
#: The event types, in order.
EVENT_ORDER: Final = tuple(EVENT_TYPES)

# ---------------------------------------------------------------------- columns
EVENT: Final = "event"
KEY: Final = "key"
OLD: Final = "old"
NEW_VALUE: Final = "new"
DETAIL: Final = "detail"
SNAPSHOT_BEFORE: Final = "snapshot_before"
SNAPSHOT_AFTER: Final = "snapshot_after"
OBSERVED_AT: Final = "observed_at"

#: The columns of an events frame (and of the ledger), in order, with their dtypes.
EVENT_COLUMNS: Final = MappingProxyType(
    {
        EVENT: pl.String(),
        KEY: pl.String(),
        s.WIUP_CODE: pl.String(),
        s.LICENSE_NUMBER: pl.String(),
        s.COMPANY_NAME: pl.String(),
        s.COMPANY_KEY: pl.String(),
        s.PROVINCE: pl.String(),
        s.COMMODITY: pl.String(),
        OLD: pl.String(),
        NEW_VALUE: pl.String(),
        DETAIL: pl.String(),
        SNAPSHOT_BEFORE: pl.String(),
        SNAPSHOT_AFTER: pl.String(),
        OBSERVED_AT: pl.Datetime("us", "UTC"),
    }
)
#: :data:`EVENT_COLUMNS` as a polars schema.
EVENT_SCHEMA: Final = pl.Schema(dict(EVENT_COLUMNS))

#: The prefix of a license's key when it has no ``wiup_code`` (its license number follows).
NUMBER_KEY_PREFIX: Final = "license_number:"


def empty_events() -> pl.DataFrame:
    """Return an events frame with no rows and every column.

    Examples
    --------
    >>> empty_events().columns[:3]
    ['event', 'key', 'wiup_code']
    """
    return pl.DataFrame(schema=EVENT_SCHEMA)
