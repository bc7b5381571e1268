"""What the client returns: a sweep's records with their provenance, and estimates."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from mining_licenses._filters import FilterValue
from mining_licenses._redact import get_logger, redact, redact_value
from mining_licenses.client._query import Page, Query, Trace

logger = get_logger(__name__)

SHORT: Final = "short"
OVER: Final = "over"
MOVED: Final = "moved"
SHRANK: Final = "shrank"
REPEATED: Final = "repeated"
REFUSED: Final = "refused"
#: Why a sweep may not be complete, as ``SweepResult.incomplete_reasons`` names it.
INCOMPLETE_REASONS: Final = {
    SHORT: "fewer records than total_count (pages lost records, or pages past the end of the "
    "data came back empty)",
    OVER: "more records than total_count (records from different states of the data)",
    MOVED: "the data changed during the sweep: total_count changed, or pages disagreed on "
    "the records they share, and no later pass saw one consistent set",
    SHRANK: "total_count fell during the sweep (from the largest figure a page showed) and no "
    "later pass saw every record at that figure; nothing already read was dropped",
    REPEATED: "the API served the same records at different offsets (it ignores offset, or "
    "repeats pages): the sweep stopped early",
    REFUSED: "pages the sweep needed failed or were refused (a repair that could not run)",
}


@dataclass(frozen=True)
class Estimate:
    """What a sweep would cost, learned from its first page.

    Attributes
    ----------
    total_count
        Licenses matching the filters.
    pages
        Pages a full sweep takes at the client's page size.
    credits
        Credits a :meth:`SectorsClient.fetch_all` would still spend now (the
        pages already journaled, including the one just fetched, are free).
    credits_spent
        Credits this estimate spent (1, or 0 when the page came from the journal).
    """

    total_count: int
    pages: int
    credits: int
    credits_spent: int
    limit: int
    order_by: str
    filters: Mapping[str, FilterValue]


@dataclass(frozen=True, repr=False)
class SweepResult:
    """The records of a sweep and everything known about how they were collected.

    Attributes
    ----------
    records
        Distinct records (exact duplicates dropped), as the API sent them.
    total_count
        What the API said matches the filters (the freshest figure seen).
    pages
        Pages of the main sweep.
    credits_spent, requests, retries
        Billed credits (every answer the client saw that the API bills), HTTP
        requests sent and retries, in this call.
    complete, missing
        Whether every record ``total_count`` counts was collected, and nothing
        else; how many were not. ``complete`` needs one pass whose pages all
        showed the same ``total_count`` and held that many records, at the
        largest ``total_count`` any page showed.
    duplicates_dropped
        Records the main sweep was sent again (the pages' overlap, ties
        ordered anew between requests) and dropped.
    duplicates_upstream
        Rows the API serves for a license beyond its first (the same key twice,
        with other contents or listed twice in one page): kept, counted as the
        API counts them, and flagged ``duplicate_wiup_code`` when normalised.
    repaired_by
        The repairs that ran, in order (``"order_by=licensed_area_ha"``, ``"province"``).
    synthetic
        The server marked its pages as made-up data (the replica does).
    pages_from_journal
        Pages read back from the resume journal instead of bought again.
    journal_paths
        Journals kept for this sweep (``keep_journal=True``); delete them with
        :meth:`SectorsClient.discard_journal` once the records are saved.
    totals_seen
        Distinct ``total_count`` values the pages reported.
    data_changed
        The data changed during the sweep and no later pass saw one consistent
        set; such a sweep is never reported complete.
    stale_dropped
        Records dropped because a consistent re-sweep no longer had them (the
        data changed upstream during the sweep).
    credits_upper_bound
        The most credits the API may have billed: ``credits_spent`` plus the
        requests given up on (timed out, dropped) that it may still have
        answered. Budgets are checked against this bound.
    incomplete_reasons
        Why the sweep is not complete, from :data:`INCOMPLETE_REASONS`
        (``"short"``, ``"over"``, ``"moved"``, ``"shrank"``, ``"repeated"``,
        ``"refused"``); empty when complete.
    notes
        What the client noticed on the way, one sentence each (a smaller page
        size than asked for, empty pages past the data, a repair that failed).
    """

    records: list[dict[str, Any]] = field(repr=False)
    total_count: int
    pages: int
    credits_spent: int
    requests: int
    retries: int
    complete: bool
    missing: int
    duplicates_dropped: int
    repaired_by: tuple[str, ...]
    filters: Mapping[str, FilterValue]
    order_by: str
    limit: int
    base_url: str
    started_at: dt.datetime
    finished_at: dt.datetime
    synthetic: bool = False
    pages_from_journal: int = 0
    journal_paths: tuple[Path, ...] = ()
    totals_seen: tuple[int, ...] = ()
    data_changed: bool = False
    stale_dropped: int = 0
    credits_upper_bound: int = 0
    incomplete_reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    duplicates_upstream: int = 0

    def __post_init__(self) -> None:
        # whatever made it, a result never holds a credential in its texts (they are pickled)
        object.__setattr__(self, "base_url", redact(self.base_url))
        object.__setattr__(self, "notes", tuple(map(redact, self.notes)))
        if self.credits_upper_bound < self.credits_spent:
            object.__setattr__(self, "credits_upper_bound", self.credits_spent)

    @property
    def state(self) -> str:
        """``complete``, or ``INCOMPLETE (<reasons>), N missing``: the sweep in a few words."""
        if self.complete:
            return "complete"
        return f"INCOMPLETE ({', '.join(self.incomplete_reasons)}), {self.missing} missing"

    @property
    def credits(self) -> str:
        """Credits spent, as a range when some requests may have been billed unseen."""
        if self.credits_upper_bound > self.credits_spent:
            return f"{self.credits_spent} to {self.credits_upper_bound} credits"
        return f"{self.credits_spent} credits"

    def __repr__(self) -> str:
        state = self.state
        return redact(
            f"SweepResult({len(self.records)} records of {self.total_count}, {state}, "
            f"{self.pages} pages, {self.credits_spent} credits, filters={dict(self.filters)})"
        )

    def metadata(self) -> dict[str, Any]:
        """Return the provenance of the sweep as JSON-able values (no records, no key).

        Every text goes through :func:`mining_licenses._redact.redact_value`.

        Examples
        --------
        >>> result = SweepResult([], 0, 1, 1, 1, 0, True, 0, 0, (), {}, "license_expiry_date",
        ...     30, "https://api.sectors.app", dt.datetime(2026, 8, 1, tzinfo=dt.UTC),
        ...     dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
        >>> result.metadata()["complete"]
        True
        """
        # field by field: asdict would deep-copy every record only for them to be dropped
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["records"] = len(self.records)
        data["filters"] = dict(self.filters)
        data["journal_paths"] = [str(p) for p in self.journal_paths]
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat()
        data["repaired_by"] = list(self.repaired_by)
        data["totals_seen"] = list(self.totals_seen)
        data["incomplete_reasons"] = list(self.incomplete_reasons)
        data["notes"] = list(self.notes)
        return dict(redact_value(data))


def incomplete_reasons(
    *,
    distinct: int,
    total: int,
    moved: bool,
    refused: bool,
    shrank: bool = False,
    repeated: bool = False,
) -> tuple[str, ...]:
    """Return why a sweep holding ``distinct`` records of ``total`` is not complete.

    Examples
    --------
    >>> incomplete_reasons(distinct=1236, total=1237, moved=False, refused=True)
    ('short', 'refused')
    >>> incomplete_reasons(distinct=292, total=300, moved=True, refused=False, shrank=True)
    ('short', 'moved', 'shrank')
    """
    return tuple(
        reason
        for reason, applies in (
            (SHORT, distinct < total),
            (OVER, distinct > total),
            (MOVED, moved),
            (SHRANK, shrank),
            (REPEATED, repeated),
            (REFUSED, refused),
        )
        if applies
    )


def fell(totals: tuple[int, ...]) -> list[int]:
    """Return the indices of ``totals`` (in arrival order) below a total seen before them.

    Examples
    --------
    >>> fell((1237, 1237, 0, 1237, 0))
    [2, 4]
    """
    out, largest = [], -1
    for index, total in enumerate(totals):
        if total < largest:
            out.append(index)
        largest = max(largest, total)
    return out


def fall_note(pages: Mapping[int, Page], *, kept: int) -> str | None:
    """Return, when ``total_count`` fell during a pass (pages in arrival order), what it did.

    Examples
    --------
    >>> pages = {o: Page(o, 30, [], t) for o, t in ((0, 1237), (29, 1237), (58, 0))}
    >>> fall_note(pages, kept=59)
    'total_count fell from 1,237 to 0 during the sweep (pages at offsets 58): none of the 59 \
records already read was dropped, and the sweep is not complete; if the registry really \
shrank, the next pull will show it consistently'
    """
    totals = tuple(page.total_count for page in pages.values())
    dips = fell(totals)
    if not dips:
        return None
    offsets = list(pages)
    shown = ", ".join(f"{offsets[i]:,}" for i in dips[:5]) + (" ..." if len(dips) > 5 else "")
    return (
        f"total_count fell from {max(totals):,} to {min(totals[i] for i in dips):,} during the "
        f"sweep (pages at offsets {shown}): none of the {kept:,} records already read was "
        "dropped, and the sweep is not complete; if the registry really shrank, the next pull "
        "will show it consistently"
    )


def trace_notes(query: Query, trace: Trace, moved_at: list[int], total: int) -> tuple[str, ...]:
    """Return, one sentence each, what the main sweep's pages showed besides records."""
    notes = []
    if trace.size != query.limit:
        notes.append(
            f"the API sent {trace.size} records a page when asked for {query.limit} (the first "
            f"page, read twice); the sweep re-planned at {trace.size} a page"
        )
    if trace.uneven:
        notes.append(
            f"the first page held {trace.uneven[0]} records and a second reading of it "
            f"{trace.uneven[1]}: one short answer, not a page size; the sweep stayed at "
            f"{trace.size} a page"
        )
    if trace.empty:
        shown = ", ".join(f"{o:,}" for o in sorted(trace.empty)[:5])
        notes.append(
            f"{len(trace.empty)} page(s) past the end of the data came back empty (offsets "
            f"{shown}) although total_count={total:,} says records are there: the total is "
            "overstated" + ("; the sweep stopped there" if trace.ended else "")
        )
    if trace.repeated:
        shown = ", ".join(f"{o:,} (as {p:,})" for o, p in trace.repeated[:5])
        notes.append(
            f"{len(trace.repeated)} page(s) held exactly the records of another offset "
            f"({shown})"
            + (
                ": the API ignores offset (or repeats pages); the call stopped there, after "
                f"{len(trace.shared)} such pages"
                if trace.ignores_offset
                else ""
            )
        )
    if trace.short:
        shown = ", ".join(f"{o:,}" for o in sorted(trace.short)[:5])
        notes.append(f"{len(trace.short)} page(s) held fewer records than a page (offsets {shown})")
    if moved_at:
        shown = ", ".join(f"{o:,}" for o in moved_at[:5])
        notes.append(
            f"the pages at offsets {shown} did not repeat the records the page before them "
            "ended with: records moved between pages during the sweep"
        )
    return tuple(notes)


def log_result(result: SweepResult) -> None:
    """Log how a sweep ended: complete (info), or why it is not (warning)."""
    if result.complete:
        logger.info("%r", result)
    elif result.data_changed and not result.missing:
        logger.warning(
            "Sweep not verified: the data changed upstream during it (total_count %s) "
            "and no repair saw one consistent set.",
            ", ".join(map(str, result.totals_seen)),
        )
    else:
        logger.warning(
            "Sweep incomplete (%s): %d of %d licenses missing after repairs %s.",
            ", ".join(result.incomplete_reasons), result.missing, result.total_count,
            list(result.repaired_by) or "none",
        )  # fmt: skip
    if result.stale_dropped:
        logger.info(
            "dropped %d records that a consistent re-sweep no longer had", result.stale_dropped
        )
