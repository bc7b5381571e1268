"""Change intelligence: typed events between snapshots, the ledger, watchlists, the schedule.

:func:`events` compares each snapshot of a store with the one before it and
names what changed with the vocabulary of :data:`EVENT_TYPES`;
:func:`events_between` does it for two snapshots. Inside: ``vocabulary``
(the event types with their rules, the columns; public), ``_classify`` (the
rules, as polars expressions over many pairs at once) and ``_scan`` (the
store's chains of snapshots, read a batch at a time).
"""

from mining_licenses.events._scan import events, events_between
from mining_licenses.events.vocabulary import (
    EVENT_COLUMNS,
    EVENT_ORDER,
    EVENT_SCHEMA,
    EVENT_TYPES,
    empty_events,
)

__all__ = [
    "EVENT_COLUMNS",
    "EVENT_ORDER",
    "EVENT_SCHEMA",
    "EVENT_TYPES",
    "empty_events",
    "events",
    "events_between",
]
