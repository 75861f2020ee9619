"""The critical-difference diagram (Demšar 2006, Fig. 1): detectors on a mean-rank axis (1 = best,
on the left), the critical difference drawn above it, and a bar joining each group of detectors whose
mean ranks differ by less than it. The numbers come from :mod:`anogen.metrics.critical_difference`."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from anogen.outputs.plots import _plt, save_fig

__all__ = ["plot_cd"]


def plot_cd(names: Sequence[str], mean_ranks: Sequence[float], cd: float, groups: Sequence[Sequence[int]],
            path: str | Path, title: str | None = None) -> Path:
    """Draw the diagram into ``path`` (PNG).

    Args:
        names: the detectors, length ``k``.
        mean_ranks: ``(k,)`` their mean ranks.
        cd: the Nemenyi critical difference.
        groups: column indices of each group joined by a bar (:func:`~anogen.metrics.critical_difference.cliques`).
        path: the PNG file.
        title: a line above the diagram.
    """
    plt = _plt()
    r = np.asarray(mean_ranks, dtype=np.float64)
    k = len(r)
    order = np.argsort(r, kind="stable")
    lo, hi = 1, max(k, int(np.ceil(r.max())))
    half = (k + 1) // 2
    rows = max(half, k - half)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * hi + 2.0), 1.6 + 0.32 * rows + 0.18 * len(groups)))
    ax.set_xlim(lo - 0.6 - 0.25 * hi, hi + 0.6 + 0.25 * hi)
    top, step = 0.0, 0.32
    ax.set_ylim(-0.1 - 0.18 * len(groups) - (rows + 0.8) * step, 0.9)
    ax.axis("off")
    ax.hlines(top, lo, hi, color="black", lw=1)
    for t in range(lo, hi + 1):
        ax.vlines(t, top, top + 0.08, color="black", lw=1)
        ax.text(t, top + 0.12, str(t), ha="center", va="bottom", fontsize=9)
    for t in np.arange(lo + 0.5, hi, 1.0):
        ax.vlines(t, top, top + 0.04, color="black", lw=0.7)
    if np.isfinite(cd) and cd > 0:            # the CD bar, from rank 1
        y = top + 0.55
        ax.hlines(y, lo, min(lo + cd, hi + 0.5), color="black", lw=1.5)
        ax.vlines([lo, min(lo + cd, hi + 0.5)], y - 0.04, y + 0.04, color="black", lw=1.5)
        ax.text(lo + cd / 2, y + 0.06, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=9)
    left, right = order[:half], order[half:][::-1]
    base = -0.1 - 0.18 * len(groups)           # the labels start below the group bars
    for i, c in enumerate(left):                 # the better half, labels on the left
        y = base - (i + 1) * step
        ax.plot([r[c], r[c], lo - 0.2], [top, y, y], color="black", lw=0.8)
        ax.text(lo - 0.25, y, f"{names[c]} ({r[c]:.2f})", ha="right", va="center", fontsize=9)
    for i, c in enumerate(right):               # the worse half, labels on the right
        y = base - (i + 1) * step
        ax.plot([r[c], r[c], hi + 0.2], [top, y, y], color="black", lw=0.8)
        ax.text(hi + 0.25, y, f"({r[c]:.2f}) {names[c]}", ha="left", va="center", fontsize=9)
    for g, members in enumerate(groups):        # detectors not significantly different
        y = -0.1 - 0.18 * g
        a, b = min(r[m] for m in members), max(r[m] for m in members)
        ax.hlines(y, a - 0.05, b + 0.05, color="tab:red", lw=3)
    if title:
        ax.set_title(title, fontsize=10)
    return save_fig(fig, path)
