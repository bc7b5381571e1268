"""The sweep's progress bar: pages, records and credits, in a terminal or Jupyter."""

from __future__ import annotations

from tqdm.auto import tqdm


class SweepProgress:
    """A tqdm bar whose total grows as a sweep learns how many pages it needs.

    ``enabled=False`` makes every method a no-op (tqdm's own ``disable``).

    Examples
    --------
    >>> bar = SweepProgress(enabled=False)
    >>> bar.plan(3); bar.advance(records=30, credits=1); bar.close()
    """

    def __init__(self, *, enabled: bool, description: str = "licenses") -> None:
        self._bar = tqdm(
            total=0, unit="page", desc=description, disable=not enabled, dynamic_ncols=True
        )
        self._records = 0

    def plan(self, pages: int) -> None:
        """Add ``pages`` to the pages expected."""
        if pages:
            self._bar.total = (self._bar.total or 0) + pages
            self._bar.refresh()

    def advance(self, *, records: int, credits: int) -> None:
        """Count one more page holding ``records``; show the credits spent so far."""
        self._records += records
        self._bar.set_postfix(records=self._records, credits=credits, refresh=False)
        self._bar.update(1)

    def close(self) -> None:
        """Close the bar (leaves the final line in place)."""
        self._bar.close()
