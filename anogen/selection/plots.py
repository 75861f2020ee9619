"""Plots of the selection report: rank heatmap, rank against difficulty, probability of being best."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from anogen.outputs.plots import _plt, save_fig
from anogen.selection.consensus import Selection

__all__ = ["plot_rank_heatmap", "plot_rank_by_level", "plot_p_best"]


def plot_rank_heatmap(sel: Selection, path: str | Path) -> Path:
    """Detectors (rows, best first) x battery cells (columns, grouped by kind): rank per cell (mean over metrics)."""
    plt = _plt()
    dets = list(sel.ranking["detector"])
    cr = sel.cell_ranks.copy()
    cr.index = [v.rsplit("|", 1)[0] for v in cr.index]
    cells = cr.groupby(level=0, sort=False).mean()
    order = sorted(cells.index, key=lambda c: (c.split("/")[1].split("@")[0], c))
    vals = cells.loc[order, dets].to_numpy(np.float64).T
    fig, ax = plt.subplots(figsize=(min(30, 2 + 0.14 * vals.shape[1]), 1 + 0.45 * len(dets)))
    im = ax.imshow(vals, cmap="viridis_r", aspect="auto", vmin=1, vmax=len(dets))
    kinds = [c.split("/")[1].split("@")[0] for c in order]
    ticks = [i for i in range(len(kinds)) if i == 0 or kinds[i] != kinds[i - 1]]
    ax.set_xticks(ticks, [kinds[i] for i in ticks], rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(dets)), dets)
    fig.colorbar(im, ax=ax, label="rank (1 = best)")
    ax.set_title("Rank of each detector in each battery cell")
    return save_fig(fig, path)


def plot_rank_by_level(sel: Selection, path: str | Path) -> Path:
    """Mean rank of each detector at each difficulty level."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    lv = sel.by_level
    for d in sel.ranking["detector"]:
        ax.plot(lv.index.astype(float), lv[d], marker="o", label=d)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("difficulty level (RMS deviation / local variability)")
    ax.set_ylabel("mean rank (1 = best)")
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("Rank against difficulty")
    return save_fig(fig, path)


def plot_p_best(sel: Selection, path: str | Path) -> Path:
    """Probability of being best (bootstrap), with and without the prior."""
    plt = _plt()
    rk = sel.ranking
    x = np.arange(len(rk))
    fig, ax = plt.subplots(figsize=(1.5 + 0.7 * len(rk), 3.5))
    ax.bar(x - 0.2, rk["p_best"].fillna(0), 0.4, label="selection" + (" (with prior)" if sel.prior["used"] else ""))
    ax.bar(x + 0.2, rk["p_best_synthetic"].fillna(0), 0.4, label="synthetic only")
    ax.set_xticks(x, rk["detector"], rotation=30, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("P(best)")
    ax.legend(fontsize=8)
    ax.set_title(f"Probability of being best (trust: {sel.trust['label'].split(':')[0]})")
    return save_fig(fig, path)
