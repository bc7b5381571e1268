"""The sweep's progress bar: pages, records and credits, in a terminal or Jupyter.

In a Jupyter kernel with ``ipywidgets`` (the ``viz`` extra ships it) the bar
is a widget; without it, tqdm's text bar on stdout (stderr shows red in a
notebook); anywhere else, tqdm's text bar on stderr. The choice
is made here, when a bar is made, rather than by ``tqdm.auto``: importing
``tqdm.auto`` in a kernel without ``ipywidgets`` warns ``TqdmWarning:
IProgress not found`` at import, so every notebook that imports the package
printed it, sweep or not.
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm.std import tqdm


def _in_kernel() -> bool:
    """Return whether this runs in a Jupyter kernel (tqdm's own test, without importing IPython)."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if get_ipython is not None else None
    try:
        return shell is not None and "IPKernelApp" in shell.config
    except Exception:  # an odd shell without a config: treat it as a terminal
        return False


def bar_class(*, enabled: bool) -> type[tqdm[Any]]:
    """Return the tqdm class to draw with: the widget bar in a kernel with ipywidgets, else text.

    Examples
    --------
    >>> bar_class(enabled=True).__module__  # not in Jupyter here
    'tqdm.std'
    """
    if enabled and _in_kernel():
        from tqdm import notebook  # no warning on import, unlike tqdm.auto

        if getattr(notebook, "IProgress", None) is not None:  # None without ipywidgets
            return notebook.tqdm
    return tqdm


class SweepProgress:
    """A tqdm bar whose total grows as a sweep learns how many pages it needs.

    ``enabled=False`` makes every method a no-op (tqdm's own ``disable``).

    Examples
    --------
    >>> bar = SweepProgress(enabled=False)
    >>> bar.plan(3); bar.advance(records=30, credits=1); bar.close()
    """

    def __init__(self, *, enabled: bool, description: str = "licenses") -> None:
        cls = bar_class(enabled=enabled)
        # a text bar in Jupyter goes to stdout, as tqdm's widget does: stderr shows as an alarm
        out = sys.stdout if enabled and cls is tqdm and _in_kernel() else None
        self._bar = cls(
            total=0,
            unit="page",
            desc=description,
            disable=not enabled,
            dynamic_ncols=True,
            file=out,
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
