"""Point-wise classification metrics on binary predictions.

Each time step is one sample. Undefined ratios (an empty denominator) follow one rule, see
:func:`anogen.metrics._validate.ratio`: ``1.0`` when y_true and y_pred both have no
positives (they agree on "nothing to find"), else ``0.0``. The negative-class rates follow
the same idea: with no true normal point, FPR is ``0.0`` and specificity ``1.0``.
"""

from __future__ import annotations

import numpy as np

from ._validate import check_positive, check_pred, fbeta_from, ratio
from .base import metric


def _counts(t: np.ndarray, p: np.ndarray) -> tuple[int, int, int, int]:
    """``(TP, TN, FP, FN)`` of two bool arrays."""
    n = t.shape[0]
    tp = int(np.count_nonzero(t & p))
    n_true = int(np.count_nonzero(t))
    n_pred = int(np.count_nonzero(p))
    fp = n_pred - tp
    fn = n_true - tp
    tn = n - tp - fp - fn
    return tp, tn, fp, fn


def _ppv(tp: int, fp: int, fn: int) -> float:
    return ratio(tp, tp + fp, agree=(tp + fp + fn) == 0)


def _tpr(tp: int, fp: int, fn: int) -> float:
    return ratio(tp, tp + fn, agree=(tp + fp + fn) == 0)


def _tnr(tn: int, fp: int) -> float:
    return 1.0 if tn + fp == 0 else tn / (tn + fp)


@metric(input="pred")
def confusion(y_true, y_pred) -> dict[str, float]:
    """Confusion counts and the rates derived from them.

    Args:
        y_true: ``(n,)`` 0/1 ground truth.
        y_pred: ``(n,)`` 0/1 prediction.

    Returns:
        ``{"TP", "TN", "FP", "FN"}`` (ints) and ``{"TPR", "TNR", "PPV", "NPV", "FPR", "FNR",
        "FDR"}`` (floats). ``FNR = 1 - TPR``, ``FDR = 1 - PPV``, ``FPR = 1 - TNR``; NPV with
        no predicted normal point is ``1.0`` when there is no true normal point either,
        else ``0.0``.
    """
    t, p = check_pred(y_true, y_pred)
    tp, tn, fp, fn = _counts(t, p)
    tpr = _tpr(tp, fp, fn)
    ppv = _ppv(tp, fp, fn)
    tnr = _tnr(tn, fp)
    npv = ratio(tn, tn + fn, agree=(tn + fn + fp) == 0)
    return {
        "TP": tp,
        "TN": tn,
        "FP": fp,
        "FN": fn,
        "TPR": tpr,
        "TNR": tnr,
        "PPV": ppv,
        "NPV": npv,
        "FPR": 1.0 - tnr,
        "FNR": 1.0 - tpr,
        "FDR": 1.0 - ppv,
    }


@metric(input="pred")
def precision(y_true, y_pred) -> float:
    """Point-wise precision ``TP / (TP + FP)``.

    Args:
        y_true: ``(n,)`` 0/1 ground truth.
        y_pred: ``(n,)`` 0/1 prediction.

    Returns:
        Precision in ``[0, 1]``; with no predicted point: ``1.0`` if there is no true
        anomaly either, else ``0.0``.
    """
    tp, _, fp, fn = _counts(*check_pred(y_true, y_pred))
    return _ppv(tp, fp, fn)


@metric(input="pred")
def recall(y_true, y_pred) -> float:
    """Point-wise recall (TPR) ``TP / (TP + FN)``.

    Returns:
        Recall in ``[0, 1]``; with no true anomaly: ``1.0`` if nothing is predicted, else ``0.0``.
    """
    tp, _, fp, fn = _counts(*check_pred(y_true, y_pred))
    return _tpr(tp, fp, fn)


@metric(input="pred")
def fbeta(y_true, y_pred, beta: float = 1.0) -> float:
    """Point-wise F-beta ``(1 + b^2) P R / (b^2 P + R)``; ``0.0`` when ``P = R = 0``.

    Args:
        y_true: ``(n,)`` 0/1 ground truth.
        y_pred: ``(n,)`` 0/1 prediction.
        beta: weight of recall (``> 0``).
    """
    beta = check_positive(beta, "beta")
    tp, _, fp, fn = _counts(*check_pred(y_true, y_pred))
    return fbeta_from(_ppv(tp, fp, fn), _tpr(tp, fp, fn), beta)


@metric(input="pred")
def f1(y_true, y_pred) -> float:
    """Point-wise F1 (``fbeta`` with ``beta=1``)."""
    return fbeta(y_true, y_pred, beta=1.0)


@metric(input="pred")
def fpr(y_true, y_pred) -> float:
    """False-positive rate ``FP / (FP + TN)``; ``0.0`` when there is no true normal point."""
    _, tn, fp, _ = _counts(*check_pred(y_true, y_pred))
    return 1.0 - _tnr(tn, fp)


@metric(input="pred")
def specificity(y_true, y_pred) -> float:
    """Specificity (TNR) ``TN / (TN + FP)``; ``1.0`` when there is no true normal point."""
    _, tn, fp, _ = _counts(*check_pred(y_true, y_pred))
    return _tnr(tn, fp)


@metric(input="pred")
def accuracy(y_true, y_pred) -> float:
    """Fraction of time steps whose prediction equals the label."""
    t, p = check_pred(y_true, y_pred)
    return float(np.count_nonzero(t == p)) / t.shape[0]


@metric(input="pred")
def balanced_accuracy(y_true, y_pred) -> float:
    """Mean of TPR and TNR (each with the undefined-case values above)."""
    tp, tn, fp, fn = _counts(*check_pred(y_true, y_pred))
    return 0.5 * (_tpr(tp, fp, fn) + _tnr(tn, fp))
