"""How the package's figures reach the screen in Jupyter: once each, without pyplot.

What decides it. A cell's last expression goes to IPython's display hook,
which asks the shell's ``DisplayFormatter`` for a representation: first a
``_ipython_display_`` (a printer registered for the type, else the method),
then ``_repr_mimebundle_``, then the per-MIME printers and ``_repr_png_``.
A value that is not the last expression is never looked at. The
``matplotlib_inline`` backend adds two things, and only once pyplot is
imported under it: a PNG printer for every ``Figure`` and a ``post_execute``
hook (``flush_figures``) that displays, then closes, every figure in pyplot's
registry. A figure made without pyplot, as ours are, gets neither: a plain
kernel printed ``<Figure size 1100x520 with 1 Axes>``.

What was weighed.

* Registering our figures with pyplot inside a kernel: ``flush_figures``
  would show a figure that is not the last expression, but one that is
  would be shown twice (the PNG printer, then the flush); under any other
  backend (``%matplotlib qt``, ``widget``) the figures would open windows or
  pile up in pyplot's registry, and the result would depend on the backend
  the user happened to pick.
* ``_repr_png_`` alone: shown only as the cell's value, never when drawn by a
  statement, and it loses to ``matplotlib_inline``'s printer once pyplot is
  imported, so it could not even record that the figure was shown.

What this module does. Figures stay out of pyplot everywhere, so
``matplotlib.pyplot.get_fignums()`` stays empty in scripts, tests and the
report. Their class, :class:`NotebookFigure`, displays itself as a PNG from
``_ipython_display_``, which IPython consults before every other
representation (``matplotlib_inline``'s printer never renders it again), and
notes that it was shown. A public plot function called from user code in a
kernel that displays images queues its figure; a ``post_execute`` hook,
registered once per shell, displays the queued figures that the display hook
did not already show and then forgets them. So each figure appears exactly
once per cell, as the cell's value or not, with any edits made later in the
cell; the cell's value comes first, the others follow in the order drawn.
Figures the package draws for its own use (the report embeds the charts as
PNG) are not queued: the queue looks at who called the public function.
Terminal IPython, which shows no images, keeps the text repr. Under ipympl
(``%matplotlib widget``), which registers a display printer for every
``Figure``, a more specific printer for :class:`NotebookFigure` keeps ours.

This module imports matplotlib: :mod:`mining_licenses.plots._style` imports
it lazily, once a figure is being made.
"""

from __future__ import annotations

import base64
import io
import sys
from typing import Any, Final

from matplotlib.figure import Figure

# Figures drawn by user calls in the running cell and not shown yet, in the
# order drawn; emptied by the post_execute hook at the end of every cell.
_PENDING: Final[list[Figure]] = []
_PNG: Final = "image/png"


class NotebookFigure(Figure):
    """A figure that IPython shows as one PNG each time it is displayed.

    Outside IPython it is a plain :class:`matplotlib.figure.Figure`.
    """

    def _ipython_display_(self) -> None:
        _forget(self)
        _display({_PNG: png_base64(self), "text/plain": repr(self)}, raw=True)


def _display(obj: object, *, raw: bool = False) -> None:
    from IPython.display import display

    display(obj, raw=raw)  # type: ignore[no-untyped-call]


def png_base64(fig: Figure) -> str:
    """Return the figure as a base64 PNG, cropped to what is drawn, as Jupyter shows images."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _forget(fig: Figure) -> None:
    _PENDING[:] = [f for f in _PENDING if f is not fig]


def _shell() -> Any:
    """Return the running IPython shell if it displays images (a kernel), else ``None``."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if get_ipython is not None else None
    formatter = getattr(shell, "display_formatter", None)
    if formatter is None or _PNG not in getattr(formatter, "active_types", ()):
        return None
    return shell


def queue(fig: Figure) -> None:
    """Show ``fig`` at the end of the running cell unless the cell shows it first.

    Does nothing outside an IPython kernel, or for a figure that is not a
    :class:`NotebookFigure` (one the caller made, e.g. with pyplot, and passed as ``ax=``).
    """
    shell = _shell()
    if shell is None or not isinstance(fig, NotebookFigure):
        return
    if _flush not in shell.events.callbacks["post_execute"]:
        shell.events.register("post_execute", _flush)
        printer = shell.display_formatter.ipython_display_formatter
        printer.for_type(NotebookFigure, NotebookFigure._ipython_display_)
    if all(f is not fig for f in _PENDING):
        _PENDING.append(fig)


def _flush() -> None:
    """Display the figures queued by the cell that just ran (a ``post_execute`` hook)."""
    figures = list(_PENDING)
    _PENDING.clear()
    for fig in figures:
        try:
            _display(fig)
        except Exception:  # a hook must not break the kernel; show why instead
            shell = _shell()
            if shell is None:
                raise
            shell.showtraceback()
