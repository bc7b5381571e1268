"""Labels on the map that do not collide: stack counts and province names.

A simple greedy rule, measured in display space after the layout is final:
each label tries spots around its point, nearest first; a spot is taken
when the label stays inside the map and overlaps no label, legend or note
placed before it. Among such spots the one covering the fewest license
markers wins (the first with none, if any), so names sit beside the data,
not on it. Counts are placed first (largest stacks first), then names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.text import Annotation
    from matplotlib.transforms import Bbox

#: Spots tried around a point: offset in points, and the text's alignment there.
NEAR: Final = (
    (4, 2, "left", "bottom"),
    (4, -2, "left", "top"),
    (-4, 2, "right", "bottom"),
    (-4, -2, "right", "top"),
    (0, 5, "center", "bottom"),
    (0, -5, "center", "top"),
)
FAR: Final = tuple(
    (dx * r, dy * r, "left" if dx > 0 else "right" if dx < 0 else "center", va)
    for r in (14, 24, 34, 46)
    for dx, dy, va in (
        (1, 1, "bottom"),
        (1, -1, "top"),
        (-1, 1, "bottom"),
        (-1, -1, "top"),
        (1, 0, "center"),
        (-1, 0, "center"),
        (0, 1, "bottom"),
        (0, -1, "top"),
    )
)
_HALO_WIDTH: Final = 2.5
#: A label placed farther than this (points) from its point gets a leader line.
_LEADER: Final = 5


@dataclass
class Placer:
    """Places labels on ``ax`` one by one, each clear of what was placed before.

    ``taken`` holds the display boxes to keep clear (legends, notes, labels
    placed); ``markers`` the display boxes of the license markers, an
    ``(n, 4)`` array of ``x0, y0, x1, y1``, which labels avoid where they can.
    """

    ax: Axes
    renderer: RendererBase
    taken: list[Bbox]
    markers: np.ndarray

    def place(
        self,
        text: str,
        xy: tuple[float, float],
        *,
        spots: tuple[tuple[float, float, str, str], ...] = NEAR + FAR,
        **style: Any,
    ) -> Annotation | None:
        """Put ``text`` at the best free spot around ``xy``; None when no spot is free.

        The label is measured once; each spot's box is that size moved to the
        spot (texts here are never rotated), so trying a spot draws nothing.
        """
        from matplotlib import patheffects
        from matplotlib.text import Text
        from matplotlib.transforms import Bbox

        frame = self.ax.get_window_extent(self.renderer)
        halo = [patheffects.withStroke(linewidth=_HALO_WIDTH, foreground="white")]
        probe = self.ax.annotate(text, xy, path_effects=halo, **style)
        size = Text.get_window_extent(probe, self.renderer)
        probe.remove()
        width, height = size.width * 1.04, size.height * 1.15
        anchor = self.ax.transData.transform(xy)
        scale = self.ax.figure.dpi / 72.0
        best: tuple[int, tuple[float, float, str, str], Bbox] | None = None
        for spot in spots:
            dx, dy, ha, va = spot
            x0 = anchor[0] + dx * scale - {"left": 0.0, "center": width / 2, "right": width}[ha]
            y0 = anchor[1] + dy * scale - {"bottom": 0.0, "center": height / 2, "top": height}[va]
            box = Bbox.from_bounds(x0, y0, width, height)
            if max(abs(dx), abs(dy)) > _LEADER:  # the leader line from the point is kept clear
                box = Bbox.union([box, Bbox.from_bounds(anchor[0], anchor[1], 0, 0)])
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            if not inside or any(box.overlaps(other) for other in self.taken):
                continue
            covered = self._covered(box)
            if best is None or covered < best[0]:
                best = (covered, spot, box)
            if covered == 0:
                break
        if best is None:
            return None
        (dx, dy, ha, va), box = best[1], best[2]
        far = max(abs(dx), abs(dy)) > _LEADER
        leader = {"arrowstyle": "-", "color": "#9a9a9a", "lw": 0.5} if far else None
        label = self.ax.annotate(
            text,
            xy,
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            va=va,
            path_effects=halo,
            arrowprops=leader,
            annotation_clip=True,
            **style,
        )
        label.set_in_layout(False)
        self.taken.append(box)
        return label

    def _covered(self, box: Bbox) -> int:
        """Count the markers a box overlaps."""
        if not len(self.markers):
            return 0
        m = self.markers
        hit = (m[:, 0] < box.x1) & (m[:, 2] > box.x0) & (m[:, 1] < box.y1) & (m[:, 3] > box.y0)
        return int(hit.sum())


def marker_boxes(
    ax: Axes, x: np.ndarray, y: np.ndarray, sizes: np.ndarray, dpi: float
) -> np.ndarray:
    """Return the display boxes of scatter markers at ``x``, ``y`` of ``sizes`` (points squared)."""
    if not len(x):
        return np.empty((0, 4))
    centre = ax.transData.transform(np.column_stack([x, y]))
    half = np.sqrt(np.asarray(sizes, dtype=float)) * dpi / 72.0 / 2.0
    return np.column_stack(
        [centre[:, 0] - half, centre[:, 1] - half, centre[:, 0] + half, centre[:, 1] + half]
    )
