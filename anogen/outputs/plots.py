"""Plots (matplotlib, Agg backend, written atomically as PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from anogen.outputs.files import atomic_write
from anogen.types import Injected

__all__ = ["plot_series", "plot_loss", "plot_gallery", "plot_clean", "save_fig", "column_events"]

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


def column_events(inj: Injected, column: int) -> list:
    """The events that changed column ``column`` (an event names exactly the columns it changed)."""
    name = inj.columns[column]
    return [e for e in inj.events if name in e.columns]


def plot_series(inj: Injected, column: int, path: str | Path, title: str = "") -> Path:
    """Clean vs anomalous series of one column; the spans of the events that changed this column
    shaded and coloured by kind (events on other columns are not shaded here).

    The clean line is drawn over the anomalous one, except where the anomalous values differ from
    it: there they are drawn again on top (with the rows either side, so the segments join), so a
    flatline in a noisy column is not hidden under the clean noise."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 3.6))
    x = _x(inj.index)
    clean = inj.clean[:, column]
    values = inj.values[:, column]
    ax.plot(x, values, color="tab:red", lw=1.0, label="anomalous")
    ax.plot(x, clean, color="tab:blue", lw=1.0, label="clean")
    with np.errstate(invalid="ignore"):
        changed = ~((values == clean) | (np.isnan(values) & np.isnan(clean)))
    if changed.any():
        near = changed.copy()
        near[1:] |= changed[:-1]
        near[:-1] |= changed[1:]
        ax.plot(x, np.where(near, values, np.nan), color="tab:red", lw=1.0, zorder=2.5)
    events = column_events(inj, column)
    kinds = sorted({e.kind for e in events})
    colors = {k: KIND_COLORS[i % len(KIND_COLORS)] for i, k in enumerate(kinds)}
    seen = set()
    for e in events:
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
    """Training/validation loss per epoch, each model on its own axis (their losses have different
    scales, and a Gaussian negative log-likelihood can be negative: log scale only when all are > 0)."""
    plt = _plt()
    names = [n for n, h in histories.items() if h.get("train_loss") or h.get("val_loss")] or list(histories)[:1]
    fig, axes = plt.subplots(len(names), 1, figsize=(7, 2.6 * len(names)), squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        h = histories.get(name, {})
        curves = [(h.get("train_loss") or [], "-", "train"), (h.get("val_loss") or [], "--", "val")]
        for ys, style, label in curves:
            if len(ys):
                ax.plot(np.arange(1, len(ys) + 1), ys, style, label=f"{name} {label}")
        values = np.asarray([v for ys, _, _ in curves for v in ys], dtype=np.float64)
        if values.size and np.all(values[np.isfinite(values)] > 0):
            ax.set_yscale("log")
        ax.set_ylabel("loss")
        ax.legend(fontsize=8)
    axes[-1, 0].set_xlabel("epoch")
    return save_fig(fig, path)


def plot_gallery(gallery: dict, path: str | Path, max_items: int = 12) -> Path:
    """Anomaly gallery: each learned anomaly (red) over its clean counterpart (grey, dashed).

    ``gallery`` has ``mean``/``std`` ``(d,)`` (train), ``columns`` and ``samplers: {name: {"anomaly",
    "clean"}}`` with ``(k, L, d)`` arrays in original units. Values are drawn in train-std units so every
    column shares an axis: windows as one line per column over their ``L`` steps, rows (``L = 1``) as a
    profile over the columns. At most ``max_items`` anomalies per sampler, in a grid.
    """
    plt = _plt()
    items = [(name, a, c) for name, rec in gallery["samplers"].items()
             for a, c in list(zip(rec["anomaly"], rec["clean"]))[:max_items]]
    ncol = min(4, max(1, len(items)))
    nrow = max(1, -(-len(items) // ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.4 * nrow), squeeze=False)
    mean, std = np.asarray(gallery["mean"]), np.asarray(gallery["std"])
    for ax, (name, a, c) in zip(axes.ravel(), items):
        za, zc = (np.asarray(a) - mean) / std, (np.asarray(c) - mean) / std
        if za.shape[0] == 1:  # a row: a profile over the columns
            x = np.arange(za.shape[1])
            ax.plot(x, zc[0], "o--", color="0.5", label="clean")
            ax.plot(x, za[0], "x-", color="tab:red", label="anomaly")
            ax.set_xticks(x, [str(col)[:8] for col in gallery["columns"]], fontsize=6, rotation=30)
        else:
            for j in range(za.shape[1]):
                color = KIND_COLORS[j % len(KIND_COLORS)]
                ax.plot(zc[:, j], "--", color="0.5", lw=1)
                ax.plot(za[:, j], "-", color=color, lw=1.5, label=str(gallery["columns"][j]))
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=6)
    for ax in axes.ravel()[len(items):]:
        ax.axis("off")
    if items:
        axes[0, 0].legend(fontsize=6)
    fig.suptitle("anomalies (colour) over their clean counterparts (grey), train-std units", fontsize=9, y=1.02)
    return save_fig(fig, path)


def plot_latent(latent: dict, path: str | Path, max_points: int = 5000) -> Path:
    """Latent space: normal codes, candidates rejected by each filter, accepted anomalies.

    ``latent`` has ``z_normal`` ``(m, k)`` (may be None), ``accepted`` ``(a, k)`` and ``rejected``
    ``{filter: (r, k)}``. With ``k > 2`` everything is projected by a PCA fitted on the normal codes.
    """
    plt = _plt()
    zn = latent.get("z_normal")
    acc = np.asarray(latent.get("accepted"))
    rej = {k: np.asarray(v) for k, v in (latent.get("rejected") or {}).items()}
    ref = zn if zn is not None and len(zn) else acc
    k = ref.shape[1]
    if k > 2 and len(ref) >= 2:
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2).fit(ref)
        proj, label = pca.transform, "PCA"
    else:
        proj, label = (lambda a: a[:, :2] if a.shape[1] >= 2 else np.c_[a, np.zeros(len(a))]), "z"
    fig, ax = plt.subplots(figsize=(6, 5))
    rng = np.random.default_rng(0)

    def sub(a):
        return a[rng.choice(len(a), max_points, replace=False)] if len(a) > max_points else a

    if zn is not None and len(zn):
        p = proj(sub(zn))
        ax.scatter(p[:, 0], p[:, 1], s=4, c="tab:blue", alpha=0.4, label="normal")
    for (name, r), c in zip(rej.items(), ["tab:gray", "tab:olive", "tab:brown"]):
        if len(r):
            p = proj(sub(r))
            ax.scatter(p[:, 0], p[:, 1], s=4, c=c, alpha=0.3, marker="x", label=f"rejected by {name}")
    if len(acc):
        p = proj(acc)
        ax.scatter(p[:, 0], p[:, 1], s=14, c="tab:red", label="accepted anomalies")
    ax.set_xlabel(f"{label} 1")
    ax.set_ylabel(f"{label} 2")
    ax.legend(fontsize=8, markerscale=2)
    return save_fig(fig, path)


def plot_kind_heatmap(table, path: str | Path, side=None, events: dict | None = None,
                      expected_fpr: float | None = None) -> Path:
    """Detector x anomaly-kind heatmap of event recall (``table``: DataFrame, index = detectors).

    Args:
        side: optional DataFrame (same index) of ``precision`` and/or ``fpr`` at the threshold, drawn
            in a panel beside the recall: a recall of 1.00 from a detector that flags a third of the
            normal rows says little.
        events: ``{recall column: number of events}`` the recall of each kind rests on (in the column
            labels, ``drift (n=1)``).
        expected_fpr: the false-positive rate the threshold aims at (in the FPR column's label).
    """
    plt = _plt()
    vals = table.to_numpy(dtype=float)
    side_cols = [c for c in ("precision", "fpr") if side is not None and c in getattr(side, "columns", ())]
    labels = [c.removeprefix("recall[").removesuffix("]") for c in table.columns]
    if events:
        labels = [f"{lab} (n={events[c]})" if c in events else lab for lab, c in zip(labels, table.columns)]
    if not side_cols:
        fig, ax = plt.subplots(figsize=(1.2 + 1.1 * vals.shape[1], 0.8 + 0.5 * vals.shape[0]))
    else:
        fig, (ax, sx) = plt.subplots(1, 2, figsize=(2.4 + 1.1 * (vals.shape[1] + len(side_cols)),
                                                    0.8 + 0.5 * vals.shape[0]),
                                     gridspec_kw={"width_ratios": [vals.shape[1], len(side_cols)], "wspace": 0.05})
    im = ax.imshow(vals, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    ax.set_xticks(range(vals.shape[1]), labels, rotation=40, ha="right")
    ax.set_yticks(range(vals.shape[0]), list(table.index))
    for i in range(vals.shape[0]):
        for j in range(vals.shape[1]):
            if np.isfinite(vals[i, j]):
                ax.text(j, i, f"{vals[i, j]:.2f}", ha="center", va="center",
                        color="white" if vals[i, j] < 0.6 else "black", fontsize=8)
    if side_cols:
        sv = side.reindex(table.index)[side_cols].to_numpy(dtype=float)
        import matplotlib

        maps = {"precision": matplotlib.colormaps["viridis"], "fpr": matplotlib.colormaps["Reds"]}
        rgba = np.stack([maps[c](np.nan_to_num(sv[:, j], nan=0.0)) for j, c in enumerate(side_cols)], axis=1)
        rgba[~np.isfinite(sv)] = (1.0, 1.0, 1.0, 1.0)
        sx.imshow(rgba, aspect="auto")
        names = {"precision": "precision", "fpr": "FPR" if expected_fpr is None else f"FPR (aim {expected_fpr:.2g})"}
        sx.set_xticks(range(len(side_cols)), [names[c] for c in side_cols], rotation=40, ha="right")
        sx.set_yticks([])
        for i in range(sv.shape[0]):
            for j in range(sv.shape[1]):
                if np.isfinite(sv[i, j]):
                    dark = sv[i, j] > 0.6 if side_cols[j] == "fpr" else sv[i, j] < 0.6
                    sx.text(j, i, f"{sv[i, j]:.2f}", ha="center", va="center",
                            color="white" if dark else "black", fontsize=8)
        sx.set_title("at the threshold", fontsize=8)
    fig.colorbar(im, ax=[ax, sx] if side_cols else ax, label="event recall")
    ax.set_title("Which detector finds which anomalies")
    return save_fig(fig, path)


def plot_curves(y_true: np.ndarray, scores: dict, path: str | Path) -> Path:
    """ROC and precision-recall curves, one line per detector."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4.2))
    y = np.asarray(y_true, dtype=bool)
    for name, s in scores.items():
        if y.any() and (~y).any():
            fpr, tpr, _ = roc_curve(y, s)
            a1.plot(fpr, tpr, label=name)
            p, r, _ = precision_recall_curve(y, s)
            a2.plot(r, p, label=name)
    a1.plot([0, 1], [0, 1], "k:", lw=0.8)
    a1.set_xlabel("false positive rate")
    a1.set_ylabel("true positive rate")
    a1.set_title("ROC")
    a2.set_xlabel("recall")
    a2.set_ylabel("precision")
    a2.set_title("Precision-recall")
    a2.axhline(y.mean() if y.size else 0, color="k", ls=":", lw=0.8)
    a1.legend(fontsize=8)
    return save_fig(fig, path)


def plot_scores(inj: Injected, scores: dict, path: str | Path) -> Path:
    """Score traces (min-max normalised) over the series, anomaly spans shaded."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.6 * len(scores)))
    x = _x(inj.index)
    for i, (name, s) in enumerate(scores.items()):
        s = np.asarray(s, dtype=float)
        rng = s.max() - s.min()
        ax.plot(x, i + (s - s.min()) / (rng if rng > 0 else 1.0) * 0.9, lw=0.9, label=name)
    for e in inj.events:
        ax.axvspan(x[e.start], x[min(e.end, len(x) - 1)], color="tab:red", alpha=0.2, lw=0)
    ax.set_yticks(np.arange(len(scores)) + 0.45, list(scores))
    ax.set_title("detector scores (normalised); red = injected anomalies")
    fig.autofmt_xdate()
    return save_fig(fig, path)
