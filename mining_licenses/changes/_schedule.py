"""When a pull is due: the provider's monthly refresh, against the newest snapshot.

The provider refreshes the registry from the ministry's portal about once a
month, around the 1st. :class:`RefreshSchedule` models that as "the data of
month M is there from day ``day`` + ``lag_days`` of M, 00:00 UTC" (by default
the 3rd). A pull is due when the store's newest complete snapshot of the same
filters was fetched before the last such time: a daily cron then pulls once a
month and costs nothing on the other days. :func:`check_due` reads only the
footers of the snapshots newer than that time, newest first, so it answers
in milliseconds whatever the store's size.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from mining_licenses import _config
from mining_licenses._errors import ConfigurationError, SnapshotError
from mining_licenses._filters import validate_filters
from mining_licenses.store import read_snapshot_meta, snapshot_files

#: Longest a month can be, in days (to walk back to the previous month).
_MONTH_DAYS: Final = 31


@dataclass(frozen=True)
class RefreshSchedule:
    """The provider's refresh: monthly, on ``day``, complete ``lag_days`` later (00:00 UTC).

    Examples
    --------
    >>> when = RefreshSchedule().last_refresh(dt.datetime(2026, 12, 10, tzinfo=dt.UTC))
    >>> when.isoformat()
    '2026-12-03T00:00:00+00:00'
    >>> RefreshSchedule().last_refresh(dt.datetime(2026, 12, 2, tzinfo=dt.UTC)).date()
    datetime.date(2026, 11, 3)
    """

    day: int = 1
    lag_days: int = 2

    def __post_init__(self) -> None:
        if not isinstance(self.day, int) or not 1 <= self.day <= 28:
            msg = f"day={self.day!r}: the refresh day must be a whole number from 1 to 28."
            raise ConfigurationError(msg)
        if not isinstance(self.lag_days, int) or not 0 <= self.lag_days <= 27:
            msg = f"lag_days={self.lag_days!r} must be a whole number from 0 to 27."
            raise ConfigurationError(msg)

    def _in_month(self, year: int, month: int) -> dt.datetime:
        start = dt.datetime(year, month, self.day, tzinfo=dt.UTC)
        return start + dt.timedelta(days=self.lag_days)

    def last_refresh(self, now: dt.datetime) -> dt.datetime:
        """Return the latest time at or before ``now`` when a refresh is taken as done."""
        here = self._in_month(now.year, now.month)
        if here <= now:
            return here
        back = now.replace(day=1) - dt.timedelta(days=1)
        return self._in_month(back.year, back.month)

    def next_refresh(self, now: dt.datetime) -> dt.datetime:
        """Return the first time after ``now`` when a refresh is taken as done."""
        ahead = now.replace(day=1) + dt.timedelta(days=_MONTH_DAYS + 1)
        for candidate in (
            self._in_month(now.year, now.month),
            self._in_month(ahead.year, ahead.month),
        ):
            if candidate > now:
                return candidate
        return self._in_month(ahead.year, ahead.month)


@dataclass(frozen=True)
class Due:
    """Whether a pull is due, and why.

    Attributes
    ----------
    due
        True when no complete snapshot of these filters is newer than ``last_refresh``.
    newest
        ``fetched_at`` of the newest complete snapshot of these filters (None: none).
    snapshot
        Its file name.
    last_refresh, next_refresh
        The provider's refresh times around ``now`` by the schedule.
    reason
        One sentence.
    """

    due: bool
    newest: dt.datetime | None
    snapshot: str | None
    last_refresh: dt.datetime
    next_refresh: dt.datetime
    reason: str


def _utc_now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC)
    return now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)


def check_due(
    store: str | os.PathLike[str] | None = None,
    *,
    filters: Mapping[str, Any] | None = None,
    schedule: RefreshSchedule | None = None,
    now: dt.datetime | None = None,
) -> Due:
    """Tell whether a pull of ``filters`` is due by the provider's refresh schedule.

    Parameters
    ----------
    store
        The snapshot folder.
    filters
        The pull's filters (a snapshot of other filters does not count).
    schedule
        The provider's refresh (default: monthly on the 1st, taken as done on the 3rd).
    now
        The current time (default: the clock; naive is UTC).

    Examples
    --------
    >>> import tempfile
    >>> check_due(tempfile.mkdtemp()).due
    True
    """
    plan = schedule or RefreshSchedule()
    when = _utc_now(now)
    last, upcoming = plan.last_refresh(when), plan.next_refresh(when)
    want = validate_filters(dict(filters or {}))
    folder = _config.store_dir(store)
    for path in reversed(snapshot_files(folder)):
        try:
            info = read_snapshot_meta(path)
        except SnapshotError:
            continue  # a damaged file is not a pull
        fetched = info.fetched_at
        if fetched is None or not info.complete or dict(info.filters) != want:
            continue
        if fetched >= last:
            reason = (
                f"not due: {path.name} ({fetched:%Y-%m-%d %H:%M} UTC) is newer than the "
                f"provider's last refresh ({last:%Y-%m-%d}); next one {upcoming:%Y-%m-%d}"
            )
            return Due(False, fetched, path.name, last, upcoming, reason)
        reason = (
            f"due: the newest complete snapshot ({path.name}, {fetched:%Y-%m-%d}) predates "
            f"the provider's last refresh ({last:%Y-%m-%d})"
        )
        return Due(True, fetched, path.name, last, upcoming, reason)
    reason = f"due: no complete snapshot of these filters in {folder}"
    return Due(True, None, None, last, upcoming, reason)
