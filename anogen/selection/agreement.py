"""How far two rankings of the same detectors agree: Spearman, Kendall, top-1, top-3.

Used to compare the selection's synthetic ranking with a ranking on real labels.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

__all__ = ["agreement", "spearman", "kendall"]


def _aligned(a: Mapping[str, float], b: Mapping[str, float]) -> tuple[list[str], np.ndarray, np.ndarray]:
    names = [k for k in a if k in b and np.isfinite(a[k]) and np.isfinite(b[k])]
    return names, np.array([a[k] for k in names], dtype=np.float64), np.array([b[k] for k in names], dtype=np.float64)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho (average ranks for ties); ``nan`` when either side is constant or < 3 values."""
    from scipy.stats import spearmanr

    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def kendall(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-b; ``nan`` when either side is constant or < 3 values."""
    from scipy.stats import kendalltau

    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(kendalltau(x, y).statistic)


def agreement(predicted: Mapping[str, float], real: Mapping[str, float]) -> dict[str, float]:
    """Agreement of a predicted score per detector with the real score (both higher = better).

    Returns:
        ``spearman``, ``kendall``; ``top1``: 1.0 when the predicted winner is (one of) the real
        best; ``top3``: 1.0 when the real winner is among the predicted top three; ``n``: detectors
        compared (those with a finite score on both sides). All NaN when the real side does not
        rank anything (every compared detector tied).
    """
    names, p, r = _aligned(predicted, real)
    if not names or np.ptp(r) == 0:  # nothing to agree with (no detector, or a real ranking of ties only)
        return {"spearman": float("nan"), "kendall": float("nan"), "top1": float("nan"), "top3": float("nan"), "n": 0}
    pred_order = np.argsort(-p, kind="stable")
    real_best = set(np.flatnonzero(r == r.max()).tolist())
    top1 = float(int(pred_order[0]) in real_best)
    top3 = float(bool(real_best & set(pred_order[:3].tolist())))
    return {"spearman": spearman(p, r), "kendall": kendall(p, r), "top1": top1, "top3": top3, "n": len(names)}
