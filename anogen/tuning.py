"""Threshold tuning on a validation fold of synthetic anomalies (seed 001's purpose).

All thresholds are evaluated at once: scores are sorted, and the confusion counts of every
candidate threshold come from cumulative sums (O(n log n), no loop over thresholds). Prediction
rule everywhere in anogen: ``score >= threshold`` (:func:`anogen.thresholds.predict`).
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

from anogen.params import Probability, check_value
from anogen.types import AnogenError

__all__ = ["threshold_curve", "tune_threshold", "Objective", "OBJECTIVES"]

#: what :func:`tune_threshold` optimises
Objective = Literal["f1", "recall_at_fpr"]
OBJECTIVES = get_args(Objective)


def threshold_curve(y_true: np.ndarray, scores: np.ndarray) -> dict[str, np.ndarray]:
    """Counts for every distinct threshold (predict ``score >= thr``).

    Returns:
        dict with ``thr`` (candidate thresholds, descending; the first predicts nothing, the last
        predicts every row), ``tp``, ``fp``, ``fn``, ``tn`` arrays of equal length.
    """
    y = np.asarray(y_true, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape or y.ndim != 1:
        raise AnogenError(f"labels and scores must be 1-D of one length, got {y.shape} and {s.shape}")
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    # predicting the top rows down to the end of each group of equal scores
    distinct = np.flatnonzero(np.diff(s_sorted)) if s.size > 1 else np.zeros(0, dtype=np.int64)
    cut = np.concatenate([distinct, [s.size - 1]])            # last index of each group
    tp = np.cumsum(y_sorted)[cut]
    fp = (cut + 1) - tp
    P, N = int(y.sum()), int((~y).sum())
    thr = np.concatenate([[np.inf], s_sorted[cut]])          # score >= thr; +inf predicts nothing
    tp = np.concatenate([[0], tp])
    fp = np.concatenate([[0], fp])
    return {"thr": thr, "tp": tp, "fp": fp, "fn": P - tp, "tn": N - fp}


def tune_threshold(y_true: np.ndarray, scores: np.ndarray, objective: Objective = "f1",
                   max_fpr: Probability = 0.05) -> float:
    """The threshold that optimises ``objective`` on validation labels/scores.

    Args:
        y_true: ``(n,)`` validation labels.
        scores: ``(n,)`` validation scores.
        objective: ``f1`` (maximise F1) or ``recall_at_fpr`` (highest recall with FPR <= ``max_fpr``;
            ties broken by the lower FPR).
        max_fpr: FPR budget for ``recall_at_fpr``, in [0, 1].

    Returns:
        The threshold (predict ``score >= threshold``).

    Raises:
        AnogenError: an unknown objective or a budget outside [0, 1] (``tuning.max_fpr: ...``),
            or labels and scores of different shapes.
    """
    objective = check_value(objective, Objective, "tuning.objective")
    max_fpr = check_value(max_fpr, Probability, "tuning.max_fpr")
    c = threshold_curve(y_true, scores)
    tp, fp, fn, tn = (c[k].astype(np.float64) for k in ("tp", "fp", "fn", "tn"))
    if objective == "f1":
        denom = 2 * tp + fp + fn
        f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
        i = int(np.argmax(f1))
    else:
        fpr = np.divide(fp, fp + tn, out=np.zeros_like(fp), where=(fp + tn) > 0)
        ok = fpr <= max_fpr + 1e-12
        rec = np.where(ok, np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) > 0), -1.0)
        best = rec.max()
        cand = np.flatnonzero(rec == best)
        i = int(cand[np.argmin(fpr[cand])])
    return float(c["thr"][i])
