"""Plots (matplotlib, Agg backend, written atomically as PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from anogen.outputs.files import atomic_write
from anogen.types import Injected

__all__ = ["plot_series", "plot_loss", "plot_clean", "save_fig"]

KIND_COLORS = ["tab:red", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan",
               "tab:green", "tab:gray", "gold", "navy"]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save_fig(fig, path: str | Path) -> Path:
    plt = _plt()
    out = atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, bbox_inches="tight", format="png"))
    plt.close(fig)
    return out


def _x(index: np.ndarray) -> np.ndarray:
    return index.astype("datetime64[ns]") if np.issubdtype(index.dtype, np.datetime64) else index


def plot_series(inj: Injected, column: int, path: str | Path, title: str = "") -> Path:
    """Clean vs anomalous series of one column, anomaly spans shaded and coloured by kind."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 3.6))
    x = _x(inj.index)
    clean = inj.clean[:, column]
    ax.plot(x, inj.values[:, column], color="tab:red", lw=1.0, label="anomalous")
    ax.plot(x, clean, color="tab:blue", lw=1.0, label="clean")
    kinds = sorted({e.kind for e in inj.events})
    colors = {k: KIND_COLORS[i % len(KIND_COLORS)] for i, k in enumerate(kinds)}
    seen = set()
    for e in inj.events:
        lo = x[e.start]
        hi = x[min(e.end, len(x) - 1)] if e.end - e.start > 1 or e.end < len(x) else x[e.end - 1]
        ax.axvspan(lo, hi, color=colors[e.kind], alpha=0.25, lw=0,
                   label=None if e.kind in seen else e.kind)
        seen.add(e.kind)
    ax.set_title(title or inj.columns[column])
    ax.set_ylabel(inj.columns[column])
    ax.legend(loc="upper right", fontsize=8, ncol=2)
    fig.autofmt_xdate()
    return save_fig(fig, path)


def plot_clean(index: np.ndarray, values: np.ndarray, name: str, path: str | Path, color: str = "tab:blue") -> Path:
    """One series, no annotations (the seed's ``*Clean.png``)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 3.6))
    ax.plot(_x(index), values, color=color, lw=1.0)
    ax.set_title(name)
    fig.autofmt_xdate()
    return save_fig(fig, path)


def plot_loss(histories: dict[str, dict[str, Sequence[float]]], path: str | Path) -> Path:
    """Training/validation loss per epoch, one line pair per model."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, h in histories.items():
        if h.get("train_loss"):
            ax.plot(np.arange(1, len(h["train_loss"]) + 1), h["train_loss"], label=f"{name} train")
        if h.get("val_loss"):
            ax.plot(np.arange(1, len(h["val_loss"]) + 1), h["val_loss"], "--", label=f"{name} val")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    return save_fig(fig, path)
