"""Change intelligence: typed events between snapshots, the ledger, watchlists, the schedule.

:func:`events` compares each snapshot of a store with the one before it and
names what changed with the vocabulary of :data:`EVENT_TYPES`;
:func:`events_between` does it for two snapshots. The store keeps every
event in its ledger (``events.parquet``: :func:`update_ledger`,
:func:`read_ledger`); a :class:`Watchlist` picks the events that matter to
you; :func:`check_due` says whether the provider has refreshed since the
newest snapshot. Inside: ``vocabulary`` (the event types with their rules,
the columns; public), ``_classify`` (many pairs at once: keys, appearances
and vanishings), ``_fields`` (the rules for a license in both snapshots),
``_scan`` (the store's chains of snapshots, read a batch at a time),
``_ledger``, ``_watch`` and ``_schedule``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported on first use (see __getattr__): `update --if-due` imports only
    # the schedule, so a daily cron with nothing due starts fast
    from mining_licenses.changes._ledger import (
        LEDGER_NAME,
        LedgerUpdate,
        current_ledger,
        ledger_path,
        ledger_snapshot,
        read_ledger,
        rebuild_ledger,
        revised_at,
        snapshot_scopes,
        update_ledger,
    )
    from mining_licenses.changes._scan import events, events_between
    from mining_licenses.changes._schedule import Due, RefreshSchedule, check_due
    from mining_licenses.changes._watch import Watch, Watchlist, event_places
    from mining_licenses.changes.vocabulary import (
        EVENT_COLUMNS,
        EVENT_ORDER,
        EVENT_SCHEMA,
        EVENT_TYPES,
        empty_events,
    )

_LAZY: dict[str, str] = {
    **dict.fromkeys(
        (
            "LEDGER_NAME",
            "LedgerUpdate",
            "current_ledger",
            "ledger_path",
            "ledger_snapshot",
            "read_ledger",
            "rebuild_ledger",
            "revised_at",
            "snapshot_scopes",
            "update_ledger",
        ),
        "_ledger",
    ),
    **dict.fromkeys(("events", "events_between"), "_scan"),
    **dict.fromkeys(("Due", "RefreshSchedule", "check_due"), "_schedule"),
    **dict.fromkeys(("Watch", "Watchlist", "event_places"), "_watch"),
    **dict.fromkeys(
        ("EVENT_COLUMNS", "EVENT_ORDER", "EVENT_SCHEMA", "EVENT_TYPES", "empty_events"),
        "vocabulary",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'mining_licenses.changes' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(import_module(f"mining_licenses.changes.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "EVENT_COLUMNS",
    "EVENT_ORDER",
    "EVENT_SCHEMA",
    "EVENT_TYPES",
    "LEDGER_NAME",
    "Due",
    "LedgerUpdate",
    "RefreshSchedule",
    "Watch",
    "Watchlist",
    "check_due",
    "current_ledger",
    "empty_events",
    "event_places",
    "events",
    "events_between",
    "ledger_path",
    "ledger_snapshot",
    "read_ledger",
    "rebuild_ledger",
    "revised_at",
    "snapshot_scopes",
    "update_ledger",
]
